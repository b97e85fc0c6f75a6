// dabs-lbd's state and its parts. One thread runs the io_context: the MP node's callbacks,
// the timers and the supervisor's exit notifications all run on it, so nothing here needs a
// lock. lbd.cc: start, stop, message dispatch. members.cc: HELLO, leases, server records.
// placement.cc: votes, decisions, handing sessions to instances. instances.cc: this
// server's DASPs (reports, supervisor, shutdown). directory.cc: VA_UPDATE, VA_QUERY and
// the directory's records. config.cc: following configuration changes. moves.cc: starvation
// avoidance, moving sessions as the source and restoring them as the sink (rebalancer.h
// keeps the balance state).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <dabs/config/farm.h>
#include <dabs/farm/balance.h>
#include <dabs/farm/directory.h>
#include <dabs/farm/membership.h>
#include <dabs/farm/posix_launcher.h>
#include <dabs/farm/supervisor.h>
#include <dabs/farm/task_scheduler.h>
#include <dabs/farm/voting.h>
#include <dabs/mp/clock.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/migrate.h>
#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>
#include <dabs/store/layout.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

#include "keyring_sync.h"
#include "lbd.h"
#include "rebalancer.h"
#include "store_writer.h"

namespace dabs::farm {

// One DASP instance of this server, as dabs-lbd sees it.
struct LocalInstance {
  mp::Va va = mp::kVaNone;
  std::string app;
  std::string process;  // the supervisor's process id
  mp::wire::DaspState state = mp::wire::DaspState::kStarting;
  uint32_t sessions = 0;      // open sessions (reported, plus those handed since)
  uint32_t handing = 0;       // ADD_CLIENTs in flight
  uint32_t max_sessions = 0;  // limits.instance.sessions
  mp::Endpoint udp;
  std::string control;
  uint32_t pid = 0;
  std::vector<std::string> waiting;  // requests to hand over once it has STARTED
  uint32_t announced_sessions = 0;   // in the last VA_UPDATE
  bool shutting_down = false;
  bool movable = false;  // its sessions may move (Server::SavesSessions, from STARTED)

  bool Started() const { return !control.empty() && state != mp::wire::DaspState::kStarting; }
  bool Live() const {
    return state != mp::wire::DaspState::kStopped && state != mp::wire::DaspState::kFailed &&
           !shutting_down;
  }
  // Takes a new session now or once it has started.
  bool HasRoom() const {
    return Live() && state != mp::wire::DaspState::kDraining &&
           state != mp::wire::DaspState::kBusy &&
           sessions + handing + waiting.size() < max_sessions;
  }
};

// An OPEN_SESSION this server voted on, kept until it is decided and, if we won, handed over.
struct Request {
  mp::Message message;
  mp::OpenSessionRequest open;
  mp::TimePoint heard{};
  int attempts = 0;  // instances tried
};

// A session this server handed to one of its instances.
struct LocalSession {
  mp::Va client_va = mp::kVaNone;
  mp::Va dasp_va = mp::kVaNone;
  std::string app;
  mp::Endpoint client;
  int64_t opened_ms = 0;
  uint32_t moves = 0;      // times it moved before it came here
  bool unmovable = false;  // its instance refused to save it (encrypted, say)
};

// The move this server is making as a source (one at a time, seed 000).
struct ActiveMove {
  uint64_t id = 0;
  mp::Va client_va = mp::kVaNone;
  mp::Va dasp_va = mp::kVaNone;
  MovePlan plan;
  std::string why;
  mp::TimePoint frozen_at{};
  bool placed = false;  // the sink holds a copy (kDrop it if the move fails from here)
  uint32_t state_bytes = 0;
};

// A session the sink is to restore once its instance has STARTED.
struct PendingRestore {
  mp::Message request;  // the source's MIGRATE place, answered when restored
  mp::Migrate migrate;
};

struct LbdCounters {
  uint64_t requests = 0, duplicates = 0, malformed = 0, refused_full = 0;
  uint64_t won = 0, placed = 0, naked = 0, cold_starts = 0, handover_failures = 0;
  uint64_t hellos_sent = 0, va_updates_sent = 0, va_queries = 0;
  uint64_t refused_origin = 0, keyrings_sent = 0;
  uint64_t moves_out = 0, moves_in = 0, move_failures = 0;
};

class Lbd::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(LbdOptions o) : options(std::move(o)), layout{options.state_dir} {}

  // lbd.cc
  Status Open();  // the steps below, then membership, ballots and the supervisor
  Status OpenStore();
  Status AdoptConfiguration();
  Status ResolveIdentity();  // index, address, incarnation
  Status OpenFarmChannel();  // the keyring and the guard every farm datagram passes
  Status OpenVaSource();
  Status CreateNode();
  void Begin();
  void Stop(std::function<void()> done);
  void OnMessage(mp::Message&& m);
  bool Admissible(const mp::Message& m) const;
  void SendToGroup(uint16_t command, std::vector<uint8_t> payload);
  int64_t NowMs() const { return clock.UnixMillis(); }

  // members.cc
  void StartMembership();
  void Heartbeat();
  mp::Hello OwnHello();  // what we announce now
  void SendHelloNow();
  void OnHello(const mp::Message& m);
  void OnLeave(const mp::Message& m);
  void OnMemberChange(const MemberChange& change);
  void ReadOwnFigures();
  void OnServerStats(const mp::Message& m);
  void WriteServerRecords();
  std::set<std::string> LiveIds() const;

  // placement.cc
  void OnOpenSession(mp::Message&& m);
  void OnBallot(const mp::Message& m);
  mp::Ballot MakeBallot(const std::string& key, const std::string& app);
  void PollBallots();
  void ArmBallotTimer();
  void OnDecision(const Decision& d);
  void RecordDecision(const Decision& d);
  void Place(const std::string& key);
  void HandOver(const std::string& key, LocalInstance& instance);
  void NakRequest(const std::string& key, mp::Errc error, const std::string& text);
  LocalInstance* ChooseInstance(const std::string& app);

  // instances.cc
  void StartSupervisor();
  LocalInstance* StartInstances(const config::AppEntry& app);
  void OnStarted(const mp::Message& m);
  void OnStateChange(const mp::Message& m);
  void ForwardToStatd(const mp::Message& m, mp::StateReason reason);
  void OnErrorReport(const mp::Message& m);
  void OnShutdownRequest(const mp::Message& m);
  void SyncInstancesFromRecords();
  void AnnounceInstance(LocalInstance& instance, bool removed = false);
  void FollowProcesses();
  void RefreshSessionCount(LocalInstance& instance);
  void TrackNewProcesses();
  void DropSessionsOf(LocalInstance& instance);
  void SweepRequests();
  void AnnounceSessionCounts();
  uint32_t SessionsOnThisServer() const;

  // directory.cc
  void OnVaUpdate(const mp::Message& m);
  void OnVaQuery(const mp::Message& m);
  void ApplyToDirectory(const mp::DirectoryUpdate& u);
  void AnnounceClient(const LocalSession& s, bool removed);
  void AnnounceEverything();  // instances at once, sessions paced (ReannounceSome)
  void ReannounceSome();
  void ClearForeignDirectoryRecords();
  Result<mp::Va> NextVa();

  // keys.cc
  void OnKeyring(const mp::Message& m);
  void OnKeyringRequest(const mp::Message& m);
  void SendKeyring();
  void RecordSecurity();

  // moves.cc
  void StartRebalancing();
  // An instance's STATE_CHANGE: starving (backlog, lock or write timeout, latency high) or not.
  void NoteStarvation(mp::Va va, const mp::StateChange& change);
  void RebalanceTick();
  OwnSignals OwnBalanceSignals() const;
  void EvaluateBalance();  // before each HELLO: the BALANCE it carries
  std::vector<ServerBalance> BalanceView() const;
  void StartMove(const MovePlan& plan);
  void OnMoveSaved(mp::SendResult&& saved);
  void OnMovePlaced(mp::SendResult&& placed);
  void OnMoveCommitted(mp::SendResult&& committed);
  void EndMove(const std::string& outcome);
  void OnMigrate(const mp::Message& m);
  // A clean stop: moves every movable session to other servers, one after another, then runs
  // `then`. False (and `then` not kept) when there is nothing to move or nowhere to move it.
  bool StartDrain(std::function<void()> then);
  void DrainStep();
  std::optional<MovePlan> DrainPlan() const;
  bool HasMovableSessions() const;
  void RestoreHere(PendingRestore pending, LocalInstance& instance);
  void RecordMove(const store::MoveRecord& r);
  std::string MovesRecordValue() const;
  static constexpr size_t kRecentMoves = 16;

  // config.cc
  void WatchConfig();
  void AdoptConfig(config::Records records);

  LbdOptions options;
  store::ServerLayout layout;
  mp::SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<StoreWriter> writer;
  config::Records records;
  config::FarmConfig config;
  std::string address;  // this server's address
  uint16_t index = 0;
  uint64_t incarnation = 0;
  Policy policy = Policy::kVote;

  boost::asio::io_context io;
  std::unique_ptr<KeyringSync> keys;  // the farm keys and their guard
  std::unique_ptr<mp::Node> node;
  std::shared_ptr<Directory> directory = std::make_shared<Directory>();
  std::unique_ptr<Membership> members;
  std::unique_ptr<BallotBox> box;
  std::unique_ptr<VaSource> vas;
  std::unique_ptr<PosixLauncher> launcher;
  std::unique_ptr<AsioTaskScheduler> scheduler;
  std::unique_ptr<Supervisor> supervisor;
  std::optional<boost::asio::steady_timer> heartbeat_timer, ballot_timer, config_timer;
  std::optional<boost::asio::steady_timer> reannounce_timer, rebalance_timer;
  std::unique_ptr<Rebalancer> rebalancer;
  std::optional<ActiveMove> moving;
  std::map<mp::Va, std::vector<PendingRestore>> restores;  // by the instance to start
  bool draining = false;              // a clean stop handing sessions over (moves.cc)
  std::function<void()> after_drain;  // the rest of the stop
  mp::TimePoint drain_deadline{};
  std::set<std::string> drain_refused;  // sinks that refused a session during the drain
  uint64_t move_seq = 0;
  std::deque<store::MoveRecord> recent_moves;  // the last kRecentMoves, for dabs-statd
  // OPEN_SESSIONs heard before voting_from, taken up then (placement.cc).
  std::vector<mp::Message> early_requests;
  std::optional<boost::asio::steady_timer> early_timer;
  std::vector<mp::Va> reannounce;  // client VAs AnnounceEverything has still to send
  std::optional<mp::TimePoint> ballot_timer_at;

  std::map<mp::Va, LocalInstance> instances;
  std::unordered_map<std::string, Request> requests;
  std::unordered_map<mp::Va, LocalSession> sessions;
  std::map<mp::Va, mp::Message>
      ctl_shutdowns;  // dabsctl's SHUTDOWNs, answered once the DASP took them
  std::map<std::string, uint32_t> won_since_hello;  // placements per server since its HELLO
  std::map<std::string, uint32_t> hello_sessions, hello_instances;  // from each server's last HELLO
  std::map<std::string, uint64_t> app_sequence;                     // round-robin turns
  uint64_t decision_seq = 0;

  // This server's own figures (dabs-statd) and eligibility.
  uint32_t load_x100 = 0;
  bool below_minimums = false, latency_high = false;
  bool leaving = false;
  mp::TimePoint last_extra_hello{};
  std::optional<mp::TimePoint> last_heartbeat;  // when Heartbeat last ran
  // Until then we do not vote: the other servers' HELLOs (sent as soon as they hear ours) must
  // be in, or we would decide as if alone.
  mp::TimePoint voting_from{};
  LbdCounters counters;

  std::thread loop;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopped = false;
};

// "127.0.0.1:5000/17/1234567/<client id hex>": one OPEN_SESSION exchange; retransmissions
// (same endpoint, transaction, first sent time and client id) share it (spec 4 step 5).
std::string RequestKey(const mp::Message& m, const mp::OpenSessionRequest& open);

// placement.rebalance and placement.spread_pct (config.cc).
BalanceConfig BalanceConfigOf(const config::FarmConfig& c);

}  // namespace dabs::farm
