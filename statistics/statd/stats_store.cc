#include <cassert>
#include <set>

#include <dabs/statd/stats_store.h>

namespace dabs::statd {

namespace {

using store::Database;

// Deletes the oldest entries of `server`'s ring beyond `keep`. Keys sort by time (the
// milliseconds are big-endian), so the oldest come first in a scan.
Status TrimHistory(store::WriteTxn& txn, const std::string& server, size_t keep) {
  std::vector<std::string> keys;
  Status s = txn.ForEach(Database::kStatistics, HistoryPrefix(server),
                         [&](std::string_view key, std::string_view) {
                           keys.emplace_back(key);
                           return store::Visit::kContinue;
                         });
  if (!s) return s;
  // The visitor may not write: delete after the scan.
  for (size_t i = 0; i + keep < keys.size(); ++i) {
    auto deleted = txn.Delete(Database::kStatistics, keys[i]);
    if (!deleted) return deleted.error();
  }
  return Status::Ok();
}

// Whether the stored current record of `r.server` is newer than `r`.
Result<bool> StoredIsNewer(const store::WriteTxn& txn, const store::StatsRecord& r) {
  auto stored = txn.Get(Database::kStatistics, CurrentKey(r.server));
  if (!stored) return stored.error();
  if (!*stored) return false;
  auto old = store::StatsRecordFromJson(**stored);
  return old && old->sampled_ms > r.sampled_ms;
}

}  // namespace

std::string CurrentKey(const std::string& server) {
  return "current/" + server;
}
std::string HistoryPrefix(const std::string& server) {
  return "history/" + server + "/";
}

Status WriteStats(store::WriteTxn& txn, std::span<const store::StatsRecord> records, size_t keep) {
  assert(keep >= 1);
  std::set<std::string> servers;
  for (const auto& r : records) {
    const std::string json = store::ToJson(r);
    if (Status s = txn.Put(Database::kStatistics, store::HistoryKey(r.server, r.sampled_ms), json);
        !s) {
      return s;
    }
    auto newer = StoredIsNewer(txn, r);
    if (!newer) return newer.error();
    if (!*newer) {
      if (Status s = txn.Put(Database::kStatistics, CurrentKey(r.server), json); !s) return s;
    }
    servers.insert(r.server);
  }
  for (const auto& server : servers) {
    if (Status s = TrimHistory(txn, server, keep); !s) return s;
  }
  return Status::Ok();
}

Result<std::map<std::string, store::StatsRecord>> ReadCurrent(const store::ReadTxn& txn) {
  std::map<std::string, store::StatsRecord> out;
  Status s =
      txn.ForEach(Database::kStatistics, "current/", [&](std::string_view, std::string_view v) {
        if (auto r = store::StatsRecordFromJson(v); r && !r->server.empty()) out[r->server] = *r;
        return store::Visit::kContinue;
      });
  if (!s) return s.error();
  return out;
}

Result<std::vector<store::StatsRecord>> ReadHistory(const store::ReadTxn& txn,
                                                    const std::string& server) {
  std::vector<store::StatsRecord> out;
  Status s = txn.ForEach(Database::kStatistics, HistoryPrefix(server),
                         [&](std::string_view, std::string_view v) {
                           if (auto r = store::StatsRecordFromJson(v)) out.push_back(*r);
                           return store::Visit::kContinue;
                         });
  if (!s) return s.error();
  return out;
}

}  // namespace dabs::statd
