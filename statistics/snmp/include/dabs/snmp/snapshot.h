// What the SNMP subagent shows, as plain data: dabs-statd's cron builds an AgentSnapshot every
// second and publishes it, with the notifications it detected, into a SnapshotBox; the
// subagent's own thread (the only one that calls Net-SNMP) takes the newest snapshot and
// turns it into table rows (rows.h). Neither side waits for the other beyond a short lock.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dabs::snmp {

struct FarmScalars {
  std::string name;
  std::string this_server;  // the server whose dabs-statd answers
  uint32_t servers_alive = 0;
  uint64_t sessions = 0;   // over every server in the table
  uint64_t instances = 0;  // over every server in the table
  uint64_t config_version = 0;
  // What this server's daemons dropped without authentication (docs/spec/farm-seal.md),
  // since each started; and the id of the farm key this server seals with.
  uint64_t rejected_datagrams = 0;
  std::string farm_key;
  // Sessions this server's dabs-lbd moved to other servers, took in from them, and failed to
  // move away, since it started (its "moves/dabs-lbd" record).
  uint64_t session_moves_out = 0;
  uint64_t session_moves_in = 0;
  uint64_t session_move_failures = 0;
};

// dabsServerState values.
enum class ServerState : int32_t { kAlive = 1, kSuspect = 2, kGone = 3 };
// "alive" | "suspect" | "gone" (the store's and dabsctl's words); anything else is gone.
ServerState ServerStateFromText(std::string_view text);

struct ServerRow {
  std::string id;
  uint16_t index = 0;   // the server index of its VAs; 0 when not known
  std::string address;  // an endpoint or address text; may be empty
  ServerState state = ServerState::kAlive;
  double cpu_pct = 0, memory_pct = 0, net_pct = 0;
  double load = 0;  // smoothed load score, 0..100
  double latency_p99_ms = 0;
  uint64_t instances = 0, sessions = 0;
  uint64_t lease_remaining_ms = 0;
};

struct DaspRow {
  uint32_t va = 0;
  std::string uri, app, server;
  int32_t pid = 0;
  std::string state;  // the store's words: starting | ready | busy | draining | stopped | failed
  uint64_t sessions = 0;
  double latency_p99_ms = 0;
  uint64_t lock_timeouts = 0;
};
// dabsDaspState: the wire's DASP state numbers (spec 7), 7 for a word it does not know.
int32_t DaspStateNumber(std::string_view state);

struct AppRow {
  std::string name;
  uint64_t instances = 0, sessions = 0;                                   // on this server
  std::optional<uint64_t> farm_instances, farm_sessions, farm_memory_mb;  // none: no limit
  uint64_t instance_sessions = 0;
  std::optional<uint64_t> instance_memory_mb;
};

// One move of a live session that this server's dabs-lbd made as the source (a
// store::MoveRecord, less what SNMP does not show).
struct MoveRow {
  uint64_t seq = 0;  // dabs-lbd's sequence: increases while it runs, starts again when it restarts
  uint32_t client_va = 0;
  std::string app;
  std::string from, to;   // server ids
  std::string why;        // "backlog", "lock timeout", "spread", "drain", ...
  uint32_t pause_us = 0;  // from the freeze on the source to the client's ACK of REDIRECT
  std::string outcome;    // "moved", or why not
};
// A move that succeeded: its outcome is "moved".
bool Succeeded(const MoveRow& move);

struct AgentSnapshot {
  FarmScalars farm;
  std::vector<ServerRow> servers;
  std::vector<DaspRow> dasps;
  std::vector<AppRow> apps;
  std::vector<MoveRow> moves;  // the last moves this server made as the source, oldest first
};

enum class NotificationKind {
  kDaspStateChange,
  kLatencyHigh,
  kLatencyLow,
  kServerJoined,
  kServerLeft,
  kSessionMoved,
};

struct Notification {
  NotificationKind kind = NotificationKind::kDaspStateChange;
  ServerRow server;  // latency and server notifications
  DaspRow dasp;      // DASP state changes
  MoveRow move;      // session moves
};

// Notifications held while the subagent's thread has not taken them: a burst beyond this
// drops the oldest (counted in dropped()).
inline constexpr size_t kMaxQueuedNotifications = 1024;

// The hand-over point between the threads. Thread-safe.
class SnapshotBox {
 public:
  // Replaces the published snapshot.
  void Publish(AgentSnapshot snapshot);
  // Queues notifications for the subagent to send.
  void Notify(std::vector<Notification> notifications);

  // The newest snapshot when it is newer than generation `seen` (which it then updates),
  // else nullptr.
  std::shared_ptr<const AgentSnapshot> TakeIfNewer(uint64_t& seen) const;
  std::vector<Notification> TakeNotifications();
  uint64_t dropped() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const AgentSnapshot> snapshot_;
  uint64_t generation_ = 0;
  std::deque<Notification> queue_;
  uint64_t dropped_ = 0;
};

}  // namespace dabs::snmp
