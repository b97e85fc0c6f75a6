// What dabs-statd's SNMP subagent shows, built each second from the store and the daemon's
// memory: the farm scalars, a row per server (dabs-lbd's servers database when it has one,
// else every server whose SERVER_STATS were heard), a row per local DASP instance, a row per
// configured application and a row per recent session move of dabs-lbd's.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/config/farm.h>
#include <dabs/mp/clock.h>
#include <dabs/snmp/snapshot.h>
#include <dabs/statd/dasp_figures.h>
#include <dabs/store/records.h>
#include <dabs/store/txn.h>

namespace dabs::statd {

// The store's part of the inputs, read in one transaction.
struct StoreView {
  std::vector<store::ServerRecord> servers;  // dabs-lbd's view; empty without dabs-lbd
  std::vector<store::DaspRecord> dasps;
  std::map<std::string, uint64_t> app_sessions;   // limits "sessions/<app>"
  std::map<std::string, uint64_t> app_instances;  // limits "instances/<app>"
  // Statistics "security/<daemon>": this server's daemons' farm-guard counters.
  uint64_t rejected_datagrams = 0;
  std::string farm_key;  // dabs-statd's own record's primary
  // Statistics "moves/dabs-lbd": dabs-lbd's session move counters and its last moves as the
  // source, oldest first (at most kMaxRecentMoves, the newest).
  uint64_t session_moves_out = 0;
  uint64_t session_moves_in = 0;
  uint64_t session_move_failures = 0;
  std::vector<store::MoveRecord> recent_moves;
};

// The key of dabs-lbd's moves record in the statistics database, and the most of its
// "recent" moves taken (dabs-lbd keeps 16).
inline constexpr std::string_view kMovesKey = "moves/dabs-lbd";
inline constexpr size_t kMaxRecentMoves = 64;

// Fills the moves part of `view` from the JSON of a "moves/dabs-lbd" record:
//   {"moves_out": N, "moves_in": N, "move_failures": N, "recent": [MoveRecord, ...]}
// A missing or mistyped counter reads 0; an undecodable move is skipped; text that is not a
// JSON object leaves `view` as it was.
void ReadMovesRecord(std::string_view json, StoreView& view);

// Reads the servers, dasps and limits databases, and this server's records of the statistics
// database (security/, moves/). Undecodable records are skipped.
Result<StoreView> ReadStoreView(const store::ReadTxn& txn);

struct ViewInputs {
  const config::FarmConfig* config = nullptr;  // REQUIRES: not null
  std::string self;
  std::string self_address;  // dabs-statd's own UDP endpoint
  int64_t now_ms = 0;        // Unix milliseconds
  mp::TimePoint now{};
  const StoreView* store = nullptr;                                    // REQUIRES: not null
  const std::map<std::string, store::StatsRecord>* current = nullptr;  // REQUIRES: not null
  std::map<std::string, std::string> heard_from;  // server id -> endpoint its stats came from
  std::map<mp::Va, DaspFigures> dasp_figures;
  mp::Duration dasp_max_age{};
  // Without dabs-lbd: a server is alive while its newest figures are at most this old,
  // suspect up to three times as old, then gone.
  std::chrono::milliseconds stats_lease{3000};
};

snmp::AgentSnapshot BuildAgentSnapshot(const ViewInputs& in);

}  // namespace dabs::statd
