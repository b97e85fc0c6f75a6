// The application author's API for a server portion (DASP): derive from Server, handle each
// session's opening, messages and closing, keep per-session state in the Session, and reply
// at once or later (seed 002 Figs. 19, 20, 22, 23; DESIGN.md section 4).
//
// Threading: the messages of one session are handled one at a time and in order; different
// sessions run in parallel on the instance's worker threads. A Server's handlers may
// therefore run concurrently for different sessions: guard shared state (ResourceLock).
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/engine.h>
#include <dabs/mp/system_messages.h>

namespace dabs::dasp {

class Runtime;
struct SessionImpl;
struct ReplyTarget;

// One message of a session, as the author's handler sees it. Valid during the handler.
class Request {
 public:
  uint16_t command() const;
  std::span<const uint8_t> payload() const;
  // How long the message took to come (from its sent time, spec 1.4).
  uint32_t latency_ms() const;

  // Replies now. At most one reply per request; later calls return an error.
  Status Reply(std::vector<uint8_t> payload);
  // Refuses the request with a NAK (e.g. kLimitExceeded). Counts as the reply.
  Status Refuse(mp::Errc error, std::string text = {});
  // For replying later, from any thread (the seed's asynchronous replies): the Responder
  // outlives the handler. After this, Reply/Refuse on the Request return an error.
  class Responder TakeResponder();

  bool replied() const;

  Request(std::shared_ptr<ReplyTarget> target, const mp::Message& message);

 private:
  std::shared_ptr<ReplyTarget> target_;
  const mp::Message& message_;
};

// A handle to reply to one request later. Copyable, thread-safe; the first reply wins.
class Responder {
 public:
  Responder() = default;
  explicit Responder(std::shared_ptr<ReplyTarget> target) : target_(std::move(target)) {}
  Status Reply(std::vector<uint8_t> payload) const;
  Status Refuse(mp::Errc error, std::string text = {}) const;
  explicit operator bool() const { return target_ != nullptr; }

 private:
  std::shared_ptr<ReplyTarget> target_;
};

// A client's session with this instance. The handle is valid during a handler; keep a
// SessionRef to use it later (for unsolicited sends).
class Session {
 public:
  explicit Session(std::shared_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}

  uint8_t id() const;
  mp::Va client_va() const;
  const mp::Endpoint& client() const;
  const std::string& client_id() const;
  uint32_t client_caps() const;
  bool open() const;

  // The author's state for this session, created on first use. T must be default
  // constructible; the same T must be used for one session. Not thread-safe across
  // sessions' handlers, but a session's handlers never run concurrently.
  template <typename T>
  T& State() {
    std::any& a = state();
    if (!a.has_value()) a.emplace<T>();
    return std::any_cast<T&>(a);
  }

  // Sends an unsolicited message to the client (its DACP); `done` gets the ACK, reply or
  // error. Thread-safe.
  void Send(uint16_t command, std::vector<uint8_t> payload, mp::SendOptions options,
            mp::SendCallback done);
  // Closes the session from the server side (CLOSE_SESSION to the client). Thread-safe.
  void Close();

  const std::shared_ptr<SessionImpl>& impl() const { return impl_; }

 private:
  std::any& state();
  std::shared_ptr<SessionImpl> impl_;
};
using SessionRef = Session;

// Derive from Server to write a DASP. One Server object per instance.
class Server {
 public:
  virtual ~Server() = default;

  // A client asks to open a session (spec 4). Return an error (kNoCapacity,
  // kLimitExceeded, ...) to refuse it with that NAK.
  virtual Status OnOpen(Session& session, const mp::OpenSessionRequest& request) {
    (void)session;
    (void)request;
    return Status::Ok();
  }
  // One application message (command 0x0100 and up) of the session.
  virtual void OnMessage(Session& session, Request& request) = 0;
  // The session ended (the client closed it, or the instance is shutting down).
  virtual void OnClose(Session& session) { (void)session; }

  // Hooks to move a live session to another instance (starvation avoidance, docs/dasp.md
  // "Moving sessions"): serialise the session's state, and restore it there. The farm moves
  // the sessions of an instance only when SavesSessions() says these two carry everything a
  // session needs; an application that keeps the default is never moved while a session is
  // open. SaveSession runs after the session's last handler and once every request has its
  // reply; the session then goes on at the other instance without OnClose here.
  // RestoreSession runs there instead of OnOpen; an error leaves the session where it was.
  virtual bool SavesSessions() const { return false; }
  virtual std::vector<uint8_t> SaveSession(Session& session) {
    (void)session;
    return {};
  }
  virtual Status RestoreSession(Session& session, std::span<const uint8_t> saved) {
    (void)session;
    (void)saved;
    return Status::Ok();
  }

  // Set by the framework before the first callback: events, timers, locks, reports.
  void Attach(Runtime* runtime) { runtime_ = runtime; }
  Runtime& runtime() { return *runtime_; }

 private:
  Runtime* runtime_ = nullptr;
};

}  // namespace dabs::dasp
