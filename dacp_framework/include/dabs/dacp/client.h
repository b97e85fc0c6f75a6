// The client portion's base class (seed 002 Figs. 16, 17, 21; spec 4, 7): opens a session
// through the farm's load-balancing group (or a standalone DASP's endpoint), then sends the
// application's commands to its DASP, follows REDIRECT, answers STATUS, notices SHUTDOWN, tells
// its DASP when it starts (STARTED), meets an error or exits (ERROR_REPORT), and, when asked,
// re-homes through the group when its server vanishes.
//
// Ownership: a Client is owned by a std::shared_ptr (Create, or std::make_shared of a derived
// class); asynchronous work holds weak references only. It holds its GatewaySeat, which keeps
// the gateway alive. Destroying a client forgets its session locally; call Close first to
// tell the DASP.
//
// Thread safety: every public method is thread-safe. Callbacks (completion callbacks and the
// virtual hooks) run on the gateway's node strand, without the client's lock held: they may
// call back into the client. The *Sync methods block and REQUIRE that they are not called
// on that strand (from a callback) and that some thread runs the gateway's io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <dabs/dacp/gateway.h>
#include <dabs/mp/node.h>
#include <dabs/mp/result.h>
#include <dabs/mp/session_handshake.h>

namespace dabs::dacp {

struct ClientConfig {
  std::string app;        // the application's name, as OPEN_SESSION's APP (required)
  std::string client_id;  // up to 64 bytes naming the device (e.g. its MAC)
  uint32_t caps = 0;      // mp::caps bits sent in OPEN_SESSION
  // Where OPEN_SESSION goes: the farm's load-balancing group (IPv4 multicast), or a
  // standalone DASP's UDP endpoint.
  mp::Endpoint farm;
  // Opening gives up after this long in all (with kTimedOut). To a group the request is
  // resent 250 ms doubling to 8 s with up to 25% jitter (spec 4; the gateway's engine
  // config), until a reply or a NAK.
  mp::Duration open_timeout = std::chrono::seconds(30);
  // When the server vanishes (a call's transmissions fail, STARTED goes unanswered): open a
  // new session through `farm` and retry each failed call once there (re-homing). Also lets
  // a call after SHUTDOWN reopen. Off: the application sees the error and may Reopen.
  bool reopen_on_failure = false;
  int call_transmissions = 0;          // per call; 0: the engine's default (6)
  mp::Duration call_reply_timeout{0};  // after the ACK; 0: the engine's default (5 s)
  bool send_started = true;            // send STARTED once a session is open (spec 7)
  // Session encryption (spec 6): off, offered (plaintext when the DASP declines) or
  // required; the suites to offer, most preferred first; the farm's public key, delivered
  // with the client portion like `farm` (needed unless off); and each key's limits. A
  // reply whose ENC_ACCEPT does not verify is ignored, so a forger cannot beat the genuine
  // reply; an open with no acceptable reply fails with kCrypto. Past `limits.soft` in either
  // direction the client opens a new session (new keys) before its next call.
  mp::ClientEncryption encryption;
};

// A client's state; its wire value is what STATUS is answered with (docs/dacp.md).
enum class ClientState : uint8_t {
  kOpening = 1,  // OPEN_SESSION sent (first open, reopen or re-home)
  kOpen = 2,     // a session; STATUS says 3 (busy) while calls are in flight
  kClosing = 4,  // Close called: the exit report and CLOSE_SESSION are on their way
  kClosed = 5,   // never opened, closed, shut down or closed by the server
  kFailed = 6,   // opening failed, or the server vanished and re-homing is off
};
inline constexpr uint8_t kStatusBusy = 3;

// How a session ended without the application asking.
enum class SessionEnd : uint8_t {
  kShutdownClean = 1,      // SHUTDOWN, clean (spec 7)
  kShutdownEmergency = 2,  // SHUTDOWN, emergency
  kClosedByServer = 3,     // CLOSE_SESSION from the DASP
  kServerLost = 4,         // transmissions to the DASP failed (re-homing follows if enabled)
};
std::string_view SessionEndName(SessionEnd e);

struct SessionInfo {
  mp::Endpoint dasp;    // where commands go
  uint8_t session = 0;  // 1..255
  mp::Va dasp_va = mp::kVaNone;
  mp::Va client_va = mp::kVaNone;
  std::string server;  // the OPEN_SESSION reply's SERVER, if any
  uint8_t suite = 0;   // spec 6's suite of an encrypted session; 0: plaintext
};

struct ClientStats {
  uint32_t opens = 0;          // sessions opened (first, reopen, re-home)
  uint32_t open_failures = 0;  // OPEN_SESSION refused or unanswered
  uint32_t rehomes = 0;        // the server vanished and a new session was sought
  uint32_t redirects = 0;      // REDIRECTs followed
  uint32_t shutdowns = 0;      // SHUTDOWN or CLOSE_SESSION from the server
  uint32_t status_answered = 0;
  uint32_t started_answered = 0;  // STARTED replies (one per session)
  uint32_t error_reports = 0;     // ERROR_REPORTs sent
  uint64_t calls = 0, call_failures = 0;
  uint64_t retried_calls = 0;    // calls sent again on a new session after their server vanished
  uint32_t rekeys = 0;           // sessions replaced because their keys neared their limit
  uint32_t refused_replies = 0;  // OPEN_SESSION replies ignored: bad signature, no encryption
};

using CallCallback = std::function<void(Result<std::vector<uint8_t>>&&)>;
using DoneCallback = std::function<void(Status)>;

// Callbacks for applications that compose a Client rather than derive from it. The default
// virtual hooks call these.
struct ClientCallbacks {
  std::function<void(SessionEnd, const std::string& why)> on_session_end;
  std::function<void(const SessionInfo&)> on_redirect;
  std::function<void(const SessionInfo&)> on_reopened;  // a session after a loss or shutdown
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  // REQUIRES: `seat` holds a seat; config.app is set and config.farm is valid.
  Client(GatewaySeat seat, ClientConfig config);
  static std::shared_ptr<Client> Create(GatewaySeat seat, ClientConfig config);
  virtual ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Opens a session (spec 4). `done` gets OK, the farm's NAK (e.g. kUnknownApplication, 8,
  // kNoCapacity, 7) or kTimedOut after open_timeout. Already open: OK at once; opening:
  // `done` joins the attempt under way.
  void Open(DoneCallback done);
  Status OpenSync();
  // Forgets the current session (sending CLOSE_SESSION if it is open) and opens a new one
  // through `farm`: after SHUTDOWN or a failure.
  void Reopen(DoneCallback done);
  // Reports the exit to the DASP (ERROR_REPORT 0, "exit: REASON"), closes the session
  // (CLOSE_SESSION) and ends in kClosed. `done` may be empty.
  void Close(std::string reason, DoneCallback done = {});

  // Sends an application command (>= 0x0100) to the DASP; `done` gets the reply's payload or
  // the error (a NAK's number with its text as detail, kTimedOut, kReplyTimeout, ...). Made
  // while opening: sent once the session is open. With reopen_on_failure, a call whose
  // server vanished is retried once on a new session.
  void Call(uint16_t command, std::vector<uint8_t> payload, CallCallback done);
  Result<std::vector<uint8_t>> CallSync(uint16_t command, std::vector<uint8_t> payload);
  // ERROR_REPORT to the DASP (spec 7): u16 error (an mp::Errc value, or 0), text. Dropped
  // when there is no session.
  void ReportError(uint16_t error, std::string text);

  ClientState state() const;
  std::optional<SessionInfo> session() const;  // while open
  ClientStats stats() const;
  const ClientConfig& config() const { return config_; }
  Gateway& gateway() const { return seat_.gateway(); }
  // Set before Open; not thread-safe against hooks that run meanwhile.
  void SetCallbacks(ClientCallbacks callbacks) { callbacks_ = std::move(callbacks); }

  // For Gateway: an unsolicited message for this client, on the node's strand.
  void OnUnsolicited(mp::Message&& m);
  // Whether (peer, session) is this client's current session.
  bool Serves(const mp::Endpoint& peer, uint8_t session) const;

 protected:
  // Hooks; the defaults call the ClientCallbacks.
  virtual void OnSessionEnd(SessionEnd how, const std::string& why);
  virtual void OnRedirected(const SessionInfo& now);
  virtual void OnReopened(const SessionInfo& now);
  // An application command the DASP sent unasked. Default: NAK UNKNOWN_COMMAND.
  virtual void OnServerMessage(const mp::Message& m);

 private:
  struct Current {  // the session, with a generation that changes whenever it does
    SessionInfo info;
    uint32_t generation = 0;
    std::shared_ptr<mp::SessionCrypto> cipher;  // null: plaintext
  };
  struct Retiring {  // a session left behind by REDIRECT, a clean SHUTDOWN or new keys
    mp::Endpoint dasp;
    uint8_t session = 0;
    mp::Va dasp_va = mp::kVaNone;
    bool tell = false;  // ours to end: CLOSE_SESSION once its calls are answered
  };
  struct OpenAttempt;  // one OPEN_SESSION's encryption state (client.cc)
  using Waiter = std::function<void(const Status&)>;

  void WaitForOpenLocked(DoneCallback done, std::vector<std::function<void()>>& after);
  void StartOpenLocked(std::vector<std::function<void()>>& after);
  void OnOpenAnswer(uint32_t attempt, const std::shared_ptr<OpenAttempt>& state,
                    mp::SendResult&& r);
  void OnOpenDeadline(uint32_t attempt);
  // Counts an attempt's ignored replies into the stats; why the last one was, or "".
  std::string TakeRefusals(const std::shared_ptr<OpenAttempt>& state);
  void FinishOpen(const Status& s, std::optional<SessionInfo> info, bool rehome,
                  std::shared_ptr<mp::SessionCrypto> cipher = nullptr);
  void SendStarted(uint32_t generation, mp::Duration delay);
  void Dispatch(uint16_t command, std::vector<uint8_t> payload, CallCallback done, bool retried);
  void OnCallDone(uint32_t generation, uint16_t command, std::vector<uint8_t> keep,
                  CallCallback done, bool retried, mp::SendResult&& r);
  void ProbeThenRecover(uint32_t generation, uint16_t command, std::vector<uint8_t> keep,
                        CallCallback done, mp::SendResult&& r);
  void RetryAfterLoss(uint16_t command, std::vector<uint8_t> keep, CallCallback done,
                      const std::string& why);
  void FailCall(const CallCallback& done, Error e);
  void ServerLost(uint32_t generation, const std::string& why);
  void EndByServer(const mp::Message& m, SessionEnd how);
  void FollowRedirect(const mp::Message& m);
  void RetireLocked(std::vector<std::function<void()>>& after, bool now);
  // Replaces an open session with a new one through `farm` (new keys): its keys neared
  // their limit, or an encrypted session was redirected. REQUIRES: mu_ held, open.
  void RenewLocked(std::vector<std::function<void()>>& after);
  // RenewLocked when the current session's keys passed their soft limit.
  void RekeyIfDue();
  mp::SendOptions CallOptions() const;

  GatewaySeat seat_;
  const ClientConfig config_;
  ClientCallbacks callbacks_;
  mutable std::mutex mu_;
  ClientState state_ = ClientState::kClosed;
  uint32_t attempt_ = 0;        // open attempts
  uint32_t in_flight_ = 0;      // calls awaiting their answer
  bool rehoming_ = false;       // the attempt under way replaces a lost session
  bool closed_by_app_ = false;  // Close called (and no Open since): failures never reopen
  std::optional<Current> current_;
  uint32_t generation_ = 0;
  // The session a REDIRECT moved us from: a call it NAKs with SHUTTING_DOWN (held there) or
  // UNKNOWN_SESSION (arrived after the move) was never handled, and is sent again on the new
  // session (D73).
  std::optional<uint32_t> moved_from_;
  std::optional<Retiring> retiring_;
  std::vector<Waiter> waiters_;                // run when the attempt under way ends
  std::shared_ptr<void> open_timer_;           // the open_timeout deadline, while opening
  std::shared_ptr<OpenAttempt> open_attempt_;  // the attempt under way (its refusals)
  std::string lost_;  // why the last session was lost, reported once re-homed
  ClientStats stats_;
};

// Whether an error means the DASP is gone (its transmissions failed, it forgot the session,
// it is shutting down): the errors after which a client re-homes.
bool IsServerGone(std::error_code e);

}  // namespace dabs::dacp
