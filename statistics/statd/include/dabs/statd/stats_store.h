// Every server's figures in the statistics database (keys of dabs/store/records.h):
//   "current/<server id>"              the newest StatsRecord of that server
//   "history/<server id>/<u64 be ms>"  a ring of its last `keep` records, oldest first
// dabs-statd writes each second's records in one write transaction, and a restarted
// dabs-statd finds its ring as it left it.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/result.h>
#include <dabs/store/records.h>
#include <dabs/store/txn.h>

namespace dabs::statd {

// 600 one-second samples: ten minutes of chart per server.
inline constexpr size_t kDefaultHistorySamples = 600;

// Appends each record to its server's history ring, deletes the oldest entries of each such
// server beyond `keep`, and makes each the server's current record unless the stored one is
// newer. Records of one server may come several at a time. Runs inside the caller's write
// transaction (all or nothing with the rest of it). REQUIRES: keep >= 1.
Status WriteStats(store::WriteTxn& txn, std::span<const store::StatsRecord> records, size_t keep);

// Every "current/" record, by server id. Records that do not decode are skipped.
Result<std::map<std::string, store::StatsRecord>> ReadCurrent(const store::ReadTxn& txn);

// The history ring of `server`, oldest first.
Result<std::vector<store::StatsRecord>> ReadHistory(const store::ReadTxn& txn,
                                                    const std::string& server);

// "current/<server>" and "history/<server>/".
std::string CurrentKey(const std::string& server);
std::string HistoryPrefix(const std::string& server);

}  // namespace dabs::statd
