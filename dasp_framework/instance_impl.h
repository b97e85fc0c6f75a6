// Private: the state behind dabs::dasp::Instance. instance.cc: set-up, lifecycle, runtime
// API, reports to dabs-lbd, statistics. sessions.cc: opening, messages, closing, replies.
// migration.cc: moving a session to another instance (MIGRATE, REDIRECT) and restoring one.
#pragma once

#include <bitset>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include <dabs/dasp/instance.h>
#include <dabs/dasp/latency.h>

#include "dispatcher.h"

namespace dabs::dasp {

// One client session of the instance.
struct SessionImpl {
  Instance::Impl* instance = nullptr;
  mp::Endpoint client;
  uint8_t id = 0;
  mp::Va client_va = mp::kVaNone;
  std::string client_id;
  uint32_t caps = 0;
  uint8_t open_transaction = 0;  // the OPEN_SESSION's transaction id
  // Spec 6, set before `open`: what the OPEN_SESSION reply carries (and carries again to a
  // retransmitted request) and the session's cipher. Empty for a plaintext session.
  std::optional<mp::EncOffer> offer;
  std::optional<mp::EncAccept> enc_accept;
  std::shared_ptr<mp::SessionCrypto> cipher;
  std::atomic<bool> open{false};  // after OnOpen accepted it, until closed
  std::any state;                 // the author's
  // Moving (migration.cc). kFrozen: messages are held, on the node's strand; kGone: moved.
  enum class Move : uint8_t { kNone, kFrozen, kGone };
  std::atomic<Move> move{Move::kNone};
  std::vector<mp::Message> held;   // the node's strand only
  std::atomic<int> unanswered{0};  // requests handed to the author, not yet answered
  std::shared_ptr<internal::Mailbox> mailbox = std::make_shared<internal::Mailbox>();
};

// Where a reply to one request goes; shared by the Request and its Responders.
struct ReplyTarget {
  std::shared_ptr<Instance::Impl> instance;
  std::shared_ptr<SessionImpl> session;  // its unanswered count (a move waits for it)
  mp::Endpoint peer;
  mp::Header request;  // session, transaction, command
  mp::Va va = mp::kVaNone;
  std::atomic<bool> replied{false};
  bool taken = false;  // a Responder was taken: the Request itself no longer replies
  std::chrono::steady_clock::time_point received;
  // A request nobody will answer any more (one-way, or its Responders dropped) is no
  // longer owed a reply.
  ~ReplyTarget();
};

struct SessionKey {
  mp::Endpoint client;
  uint8_t id;
  bool operator==(const SessionKey&) const = default;
};
struct SessionKeyHash {
  size_t operator()(const SessionKey& k) const { return k.client.Hash() * 31 + k.id; }
};

class Instance::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(boost::asio::io_context& io, InstanceConfig config, std::unique_ptr<Server> server);

  // instance.cc
  Status Open(Instance* facade);
  void Start();
  void Shutdown(ShutdownMode mode, std::function<void()> done);
  void FinishShutdown(ShutdownMode mode);
  std::vector<std::shared_ptr<SessionImpl>> TellClientsShutdown(
      bool clean, std::chrono::steady_clock::time_point deadline);
  void ReportState(mp::wire::DaspState state, mp::StateReason reason,
                   std::string resource_type = {}, std::string detail = {});
  void SetBusy(mp::StateReason reason, bool on, std::string detail = {});
  void SendToLbd(uint16_t command, std::vector<uint8_t> payload);
  void SendStarted(mp::Duration timeout);
  void ReportError(uint16_t error, std::string text);
  // A session ended: STATE_CHANGE with the state unchanged, kSessionClosed and its client.
  void ReportSessionClosed(mp::Va client_va, size_t sessions_left);
  void Housekeeping();
  mp::Statistics Snapshot();
  void RunControl(std::function<void()> task);

  // sessions.cc
  void OnNodeMessage(mp::Message&& m);
  void OnNodeError(const mp::ErrorReport& r);
  void HandleClientStarted(const mp::Message& m);
  void HandleClientErrorReport(const mp::Message& m);
  void HandleOpen(const mp::Message& m);
  void HandleAddClient(const mp::Message& m);
  // The session's half of spec 6 (a key, ENC_ACCEPT, the cipher), or why it cannot open.
  Status AgreeEncryption(SessionImpl& s);
  // REQUIRES: sessions_mu held. A new session (first free id for `client`), or NO_CAPACITY.
  Result<std::shared_ptr<SessionImpl>> NewSessionLocked(const mp::OpenSessionRequest& request,
                                                        const mp::Endpoint& client,
                                                        mp::Va client_va);
  // Opens a session for a client; `answer(status, session)` reports the outcome once.
  void OpenFor(const mp::OpenSessionRequest& request, const mp::Endpoint& client,
               uint8_t transaction, mp::Va client_va, std::function<void(Status, uint8_t)> answer);
  void HandleApplication(mp::Message&& m);
  void HandleClose(const mp::Message& m);
  void CloseSession(const std::shared_ptr<SessionImpl>& s, bool tell_client);
  void DropSession(const std::shared_ptr<SessionImpl>& s);
  std::shared_ptr<SessionImpl> Find(const mp::Endpoint& client, uint8_t id);
  std::vector<std::shared_ptr<SessionImpl>> AllSessions();
  size_t SessionCount() const {
    std::lock_guard lock(sessions_mu);
    return sessions.size();
  }
  void Run(const std::shared_ptr<SessionImpl>& s, mp::Message&& m);
  // Spends one unanswered request (instance and session), after its reply is handed over.
  void Answered(ReplyTarget& t);

  // migration.cc
  std::shared_ptr<SessionImpl> FindByClient(mp::Va client_va);
  void HandleMigrate(const mp::Message& m);
  void SaveForMove(const mp::Message& m, const std::shared_ptr<SessionImpl>& s);
  void ReleaseMove(const std::shared_ptr<SessionImpl>& s);
  bool HoldIfMoving(mp::Message& m, const std::shared_ptr<SessionImpl>& s);
  void HandleLocalRedirect(const mp::Message& m);
  void FinishMove(const std::shared_ptr<SessionImpl>& s);
  void NakAgain(std::shared_ptr<std::vector<mp::Message>> held, int copy);
  void RestoreFor(const mp::OpenSessionRequest& request, const mp::Endpoint& client,
                  mp::Va client_va, std::vector<uint8_t> saved,
                  std::function<void(Status, uint8_t)> answer);
  Status Reply(ReplyTarget& t, std::vector<uint8_t> payload);
  Status Refuse(ReplyTarget& t, mp::Errc error, std::string text);

  boost::asio::io_context& io;
  InstanceConfig config;
  std::unique_ptr<Server> server;
  Instance* facade = nullptr;
  std::unique_ptr<mp::Node> node;
  mp::SystemClock clock;
  std::unique_ptr<ReadTimer> read_timer;
  std::unique_ptr<internal::Dispatcher> dispatcher;
  std::shared_ptr<internal::Mailbox> control = std::make_shared<internal::Mailbox>();
  boost::asio::steady_timer housekeeping;

  // Sessions.
  mutable std::mutex sessions_mu;
  std::unordered_map<SessionKey, std::shared_ptr<SessionImpl>, SessionKeyHash> sessions;
  std::unordered_map<mp::Endpoint, std::bitset<256>, mp::EndpointHash> used_ids;
  struct RecentOpen {  // spec 4 step 5: a retransmitted OPEN_SESSION gets the same session
    uint8_t session;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::tuple<std::string, uint8_t, std::string>, RecentOpen> recent_opens;
  std::chrono::steady_clock::time_point recent_opens_pruned{};  // at most one sweep a second
  mp::VaAllocator client_vas;

  // Callbacks (control path).
  std::mutex callbacks_mu;
  std::vector<std::function<void(mp::Statistics&)>> on_statistics;
  std::vector<std::function<void(ShutdownMode)>> on_shutdown;
  std::vector<std::function<void(mp::wire::DaspState&)>> on_state;
  std::vector<std::function<void(const mp::AddClient&)>> on_add_client;
  std::vector<std::shared_ptr<ResourceLock>> locks;
  std::vector<std::shared_ptr<WriteTimer>> write_timers;

  // State and figures.
  std::atomic<mp::wire::DaspState> state{mp::wire::DaspState::kStarting};
  std::mutex state_mu;
  uint32_t busy_reasons = 0;  // bit per StateReason that holds the instance busy
  std::chrono::steady_clock::time_point last_backlog{};
  std::map<std::string, std::chrono::steady_clock::time_point> last_lock_report;
  bool latency_high = false;
  std::atomic<uint64_t> messages_total{0}, errors{0}, high_water_crossings{0};
  std::atomic<int64_t> unanswered{0};  // requests handed to the server and not yet answered
  uint64_t messages_at_last_tick = 0;
  std::atomic<uint64_t> messages_per_second{0}, latency_p50{0}, latency_p99{0}, processing_p99{0};
  Histogram latency_ms, processing_us;
  std::chrono::steady_clock::time_point last_tick;
  bool shutting_down = false;
  std::atomic<bool> stopped{false};
  std::chrono::milliseconds fault_delay{0};  // DABS_FAULT_HANDLER_DELAY (instance.cc)
  std::thread shutdown_thread;               // runs FinishShutdown; joined by ~Instance
  std::function<void()> on_stopped;          // when a SHUTDOWN from dabs-lbd has run its course
};

}  // namespace dabs::dasp
