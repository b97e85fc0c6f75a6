// The records the daemons of a server share through its store, one definition for every
// writer and reader (dabs-lbd, dabs-statd, dabs-configd, dabsctl). Values are JSON text, so
// they are readable with mdb_dump and newer fields can be added; keys are below.
//
//   servers     "<server id>"                       ServerRecord   (dabs-lbd's view)
//   statistics  "current/<server id>"                StatsRecord    (dabs-statd)
//               "history/<server id>/<u64 be ms>"    StatsRecord    (a ring, dabs-statd)
//   dasps       "<va as 0x%08x>"                     DaspRecord     (dabs-lbd's supervisor)
//   directory   "va/<va as 0x%08x>"                  DirectoryRecord (dabs-lbd)
//               "uri/<uri>"                           the VA, as 0x%08x
//               "session/<client va as 0x%08x>"       SessionRecord  (dabs-lbd)
//               "next_counter"                        u32 text: this server's next VA counter
//   limits      "sessions/<app>"                      u64 text: this server's open sessions
//               "instances/<app>"                     u64 text: this server's instances
//   placement   "<u64 be sequence>"                   DecisionRecord (dabs-lbd, the last 1,000)
//   placement   "m<u64 be sequence>"                  MoveRecord (dabs-lbd, the last 1,000)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::store {

struct ServerRecord {
  std::string id;
  uint16_t index = 0;
  std::string lbd;     // endpoint text
  std::string stats;   // endpoint text, may be empty
  std::string config;  // endpoint text, may be empty
  uint64_t incarnation = 0;
  uint32_t lease_ms = 0;
  int64_t last_heard_ms = 0;  // Unix milliseconds
  int64_t joined_ms = 0;
  std::string state = "alive";  // alive | suspect | gone
  uint32_t load_x100 = 0;
  bool eligible = true;
  uint64_t config_version = 0;
  bool self = false;
  uint32_t instances = 0;
  uint32_t sessions = 0;
  std::string balance = "neither";  // its HELLO's BALANCE: source | sink | neither (seed 000)
  // Its farm keys as its HELLO announced them (docs/spec/farm-seal.md section 5): ids only.
  uint64_t keyring_version = 0;
  std::string keyring_primary;
  std::vector<std::string> key_ids;
};

struct StatsRecord {
  std::string server;
  uint16_t index = 0;
  int64_t sampled_ms = 0;
  std::map<std::string, double> figures;  // cpu_pct, memory_pct, net_pct, load, ...
};

struct DaspRecord {
  uint32_t va = 0;
  std::string uri;
  std::string app;
  std::string server;
  int32_t pid = 0;
  std::string state = "starting";  // starting | ready | busy | draining | stopped | failed
  uint32_t sessions = 0;
  std::string udp;      // endpoint text
  std::string control;  // local socket path
  int64_t started_ms = 0;
  uint32_t restarts = 0;
  std::string process;  // the DASP process it belongs to (several instances may share one)
};

struct DirectoryRecord {
  uint32_t va = 0;
  std::string uri;
  uint8_t kind = 1;  // 1 DASP instance, 2 client
  std::string server;
  std::string udp;
  std::string local;
  int32_t pid = 0;
  std::string app;
  std::string state;  // a DASP instance's: starting | ready | busy | draining | stopped | failed
  uint32_t sessions = 0;  // a DASP instance's open sessions, as last announced
};

struct SessionRecord {
  std::string app;
  std::string server;
  uint32_t dasp_va = 0;
  uint32_t client_va = 0;
  std::string client_endpoint;
  int64_t opened_ms = 0;
};

// One BALLOT as a server saw it.
struct BallotRecord {
  std::string server;
  uint16_t index = 0;
  uint32_t votes = 0;
  uint64_t ballot_time_us = 0;
  bool has_instance = false;
  std::string abstain;  // why a server cast no votes ("" when it voted)
};

// A placement decision as this server reached it: the ballots it saw and who won.
struct DecisionRecord {
  std::string request_key;
  std::string app;
  int64_t decided_ms = 0;  // Unix milliseconds
  uint32_t waited_us = 0;  // from the first sight of the request to the decision
  bool all_voted = false;  // every live member voted (else the ballot window ran out)
  std::string winner;      // empty when nobody could take it
  std::string outcome;     // "placed", "no capacity", "unknown application", "limit"
  std::vector<BallotRecord> ballots;
};

// One session moved by starvation avoidance, as its source server saw it (dabsctl moves).
struct MoveRecord {
  uint64_t seq = 0;
  int64_t at_ms = 0;  // Unix milliseconds, when the move ended
  uint32_t client_va = 0;
  std::string app;
  std::string from, to;  // server ids
  std::string why;       // "backlog", "lock timeout", "spread", "drain", ...
  uint32_t from_load_x100 = 0, to_load_x100 = 0;  // the scores that chose the servers
  uint32_t from_sessions = 0, to_sessions = 0;
  uint32_t moves = 0;        // times the session had moved before
  uint32_t pause_us = 0;     // from the freeze on the source to the client's ACK of REDIRECT
  uint32_t state_bytes = 0;  // what SaveSession carried
  std::string outcome;       // "moved", or why not ("the sink refused: ...")
};

// JSON text of a record, and back (kCorrupted-style errors name what is wrong).
std::string ToJson(const ServerRecord& r);
std::string ToJson(const StatsRecord& r);
std::string ToJson(const DaspRecord& r);
std::string ToJson(const DirectoryRecord& r);
std::string ToJson(const SessionRecord& r);
std::string ToJson(const DecisionRecord& r);
std::string ToJson(const MoveRecord& r);
Result<MoveRecord> MoveRecordFromJson(std::string_view text);
Result<ServerRecord> ServerRecordFromJson(std::string_view text);
Result<StatsRecord> StatsRecordFromJson(std::string_view text);
Result<DaspRecord> DaspRecordFromJson(std::string_view text);
Result<DirectoryRecord> DirectoryRecordFromJson(std::string_view text);
Result<SessionRecord> SessionRecordFromJson(std::string_view text);
Result<DecisionRecord> DecisionRecordFromJson(std::string_view text);

// "0x00100005"
std::string VaKey(uint32_t va);
// "history/<server>/" + 8 big-endian bytes of `ms`
std::string HistoryKey(const std::string& server, int64_t ms);

}  // namespace dabs::store
