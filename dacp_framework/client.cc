// Client: opening (spec 4), calls, re-homing, STARTED and the reports to the DASP. The
// unsolicited commands (SHUTDOWN, REDIRECT, STATUS, ...) are in client_events.cc.
#include <future>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <dabs/dacp/client.h>
#include <dabs/mp/header.h>
#include <dabs/mp/system_messages.h>

namespace dabs::dacp {

namespace {
using mp::Errc;
constexpr auto kStartedFirstRetry = std::chrono::milliseconds(250);  // spec 7: growing
constexpr auto kStartedMaxRetry = std::chrono::seconds(8);

Error Fail(Errc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

bool IsUnspecified(const mp::Endpoint& e) {
  for (size_t i = 0; i < (e.is_v6() ? 16u : 4u); ++i) {
    if (e.address_bytes()[i] != 0) return false;
  }
  return true;
}

std::string Ms(mp::Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

// A send's failure as an Error: the NAK's number with its text, or what the engine saw.
Error ErrorOf(const mp::SendResult& r) {
  return Error{r.error, r.text};
}

// Transmissions to a group that cover `total` on spec 4's schedule (nominal timeouts), plus
// one so that the client's own deadline, not the engine, ends the attempt.
int GroupTransmissions(const mp::EngineConfig& e, mp::Duration total) {
  mp::Duration sum{0};
  mp::Duration step = e.group_initial_timeout;
  int n = 0;
  while (sum < total && n < 1000) {
    sum += step;
    step = std::min(step * 2, e.group_max_timeout);
    ++n;
  }
  return n + 1;
}

template <typename F>
void RunAll(std::vector<F>& fns) {
  for (auto& f : fns)
    f();
}
}  // namespace

// One OPEN_SESSION attempt's side of spec 6. The engine asks `Accept` about each reply on
// its strand; the completion (OnOpenAnswer) reads the result there too, after it.
struct Client::OpenAttempt {
  std::shared_ptr<const mp::ClientHandshake> handshake;  // null: no encryption
  std::mutex mu;
  std::shared_ptr<mp::SessionCrypto> cipher;  // of the reply accepted
  std::string refused;                        // why the last reply was ignored
  uint32_t refusals = 0;

  // SendOptions::accept_reply: a reply that does not meet our encryption is ignored.
  bool Accept(const mp::Message& m) {
    auto rep = mp::OpenSessionReply::Decode(m.payload);
    auto cipher_or =
        rep ? handshake->Finish(*rep) : Result<std::shared_ptr<mp::SessionCrypto>>(rep.error());
    std::lock_guard lock(mu);
    if (!cipher_or) {
      refused =
          "OPEN_SESSION reply from " + m.peer.ToString() + " refused: " + cipher_or.error().detail;
      if (refusals++ == 0) spdlog::warn("dacp: {}", refused);  // its resends: once is enough
      return false;
    }
    cipher = std::move(*cipher_or);
    return true;
  }
};

std::string_view SessionEndName(SessionEnd e) {
  switch (e) {
    case SessionEnd::kShutdownClean:
      return "clean shutdown";
    case SessionEnd::kShutdownEmergency:
      return "emergency shutdown";
    case SessionEnd::kClosedByServer:
      return "closed by the server";
    case SessionEnd::kServerLost:
      return "server lost";
  }
  return "?";
}

bool IsServerGone(std::error_code e) {
  if (e.category() != mp::MpCategory()) return false;
  switch (static_cast<Errc>(e.value())) {
    case Errc::kTimedOut:
    case Errc::kTransportError:
    case Errc::kNoRoute:
    case Errc::kRejected:
    case Errc::kUnknownSession:
    case Errc::kSessionClosed:
    case Errc::kShuttingDown:
      return true;
    default:
      return false;
  }
}

Client::Client(GatewaySeat seat, ClientConfig config)
    : seat_(std::move(seat)), config_(std::move(config)) {
  assert(seat_);
}

std::shared_ptr<Client> Client::Create(GatewaySeat seat, ClientConfig config) {
  return std::make_shared<Client>(std::move(seat), std::move(config));
}

Client::~Client() {
  // No CLOSE_SESSION here: its completion would outlive us. Close first to tell the DASP.
  if (current_) {
    gateway().Unroute(current_->info.client_va, this);
    gateway().node().CloseSession(current_->info.dasp, current_->info.session);
  }
  if (retiring_) gateway().node().CloseSession(retiring_->dasp, retiring_->session);
}

// ---------------------------------------------------------------------------- opening

void Client::Open(DoneCallback done) {
  std::vector<std::function<void()>> after;
  {
    std::lock_guard lock(mu_);
    if (state_ == ClientState::kOpen) {
      after.push_back([done] { done(Status::Ok()); });
    } else {
      WaitForOpenLocked(std::move(done), after);
    }
  }
  RunAll(after);
}

Status Client::OpenSync() {
  std::promise<Status> p;
  Open([&p](Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

void Client::Reopen(DoneCallback done) {
  std::vector<std::function<void()>> after;
  {
    std::lock_guard lock(mu_);
    if (state_ == ClientState::kOpen) {
      const SessionInfo old = current_->info;
      gateway().Unroute(old.client_va, this);
      current_.reset();
      ++generation_;
      // Tell the DASP; the engine session is closed once CLOSE_SESSION is ACKed.
      after.push_back([self = shared_from_this(), old] {
        mp::SendOptions one_way;
        one_way.expect_reply = false;
        std::weak_ptr<Client> weak = self;
        self->gateway().node().Send(old.dasp, old.session, mp::wire::kCloseSession, old.dasp_va, {},
                                    one_way, [weak, old](mp::SendResult&&) {
                                      if (auto c = weak.lock())
                                        c->gateway().node().CloseSession(old.dasp, old.session);
                                    });
      });
    }
    WaitForOpenLocked(std::move(done), after);
  }
  RunAll(after);
}

// REQUIRES: mu_ held. `done` is told when the session opens (or fails to); an open starts
// unless one is under way. A closing client refuses.
void Client::WaitForOpenLocked(DoneCallback done, std::vector<std::function<void()>>& after) {
  if (state_ == ClientState::kClosing) {
    after.push_back([done] { done(Fail(Errc::kSessionClosed, "the client is closing")); });
    return;
  }
  closed_by_app_ = false;
  waiters_.push_back([done](const Status& s) { done(s); });
  if (state_ != ClientState::kOpening) StartOpenLocked(after);
}

// REQUIRES: mu_ held, state_ != kOpening. Work that must run unlocked goes into `after`.
void Client::StartOpenLocked(std::vector<std::function<void()>>& after) {
  state_ = ClientState::kOpening;
  const uint32_t attempt = ++attempt_;
  mp::OpenSessionRequest req;
  req.app = config_.app;
  req.caps = config_.caps;
  req.client_id = config_.client_id.substr(0, mp::kMaxClientIdBytes);
  const bool group = config_.farm.IsMulticast();
  mp::SendOptions options;
  if (group)
    options.max_transmissions = GroupTransmissions(gateway().engine_config(), config_.open_timeout);
  auto state = std::make_shared<OpenAttempt>();
  auto handshake = mp::ClientHandshake::Start(config_.encryption);  // a fresh key per attempt
  if (!handshake) {
    std::weak_ptr<Client> weak = weak_from_this();
    after.push_back([weak, e = handshake.error()] {
      if (auto c = weak.lock()) c->FinishOpen(e, std::nullopt, false);
    });
    return;
  }
  state->handshake = *handshake;
  open_attempt_ = state;
  if (state->handshake) {
    req.caps = config_.caps | mp::caps::kEncryption;
    req.enc_offer = state->handshake->offer();
    options.accept_reply = [state](const mp::Message& m) { return state->Accept(m); };
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(gateway().io(), config_.open_timeout);
  open_timer_ = timer;
  std::weak_ptr<Client> weak = weak_from_this();
  after.push_back(
      [this, weak, timer, attempt, group, options, state, payload = req.Encode()]() mutable {
        timer->async_wait([weak, attempt](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto c = weak.lock()) c->OnOpenDeadline(attempt);
        });
        gateway().node().Send(config_.farm, mp::wire::kOpeningSession, mp::wire::kOpenSession,
                              group ? mp::kVaLbGroup : mp::kVaNone, std::move(payload), options,
                              [weak, attempt, state](mp::SendResult&& r) {
                                if (auto c = weak.lock())
                                  c->OnOpenAnswer(attempt, state, std::move(r));
                              });
      });
}

std::string Client::TakeRefusals(const std::shared_ptr<OpenAttempt>& state) {
  if (!state) return "";
  uint32_t refusals = 0;
  std::string why;
  {
    std::lock_guard lock(state->mu);
    refusals = std::exchange(state->refusals, 0);
    why = state->refused;
  }
  std::lock_guard lock(mu_);
  stats_.refused_replies += refusals;
  return why;
}

void Client::OnOpenDeadline(uint32_t attempt) {
  std::shared_ptr<OpenAttempt> state;
  {
    std::lock_guard lock(mu_);
    if (attempt != attempt_ || state_ != ClientState::kOpening) return;
    ++attempt_;  // a late reply to this attempt is abandoned (OnOpenAnswer closes its session)
    state = open_attempt_;
  }
  if (const std::string refused = TakeRefusals(state); !refused.empty()) {
    // Replies came, but none we could accept: that is the reason, not silence.
    return FinishOpen(Fail(Errc::kCrypto, refused), std::nullopt, false);
  }
  FinishOpen(
      Fail(Errc::kTimedOut, "no OPEN_SESSION reply for '" + config_.app + "' from " +
                                config_.farm.ToString() + " within " + Ms(config_.open_timeout)),
      std::nullopt, false);
}

void Client::OnOpenAnswer(uint32_t attempt, const std::shared_ptr<OpenAttempt>& state,
                          mp::SendResult&& r) {
  std::optional<SessionInfo> info;
  Status status;
  std::shared_ptr<mp::SessionCrypto> cipher;
  {
    std::lock_guard lock(state->mu);
    cipher = state->cipher;
  }
  const std::string refused_reply = TakeRefusals(state);
  if (r.error) {
    Error e = ErrorOf(r);
    const bool refused = mp::IsNakCode(static_cast<uint16_t>(r.error.value()));
    e.detail = (refused ? "refused by " : "no answer from ") + config_.farm.ToString() + " for '" +
               config_.app + "' after " + std::to_string(r.transmissions) + " transmissions" +
               (r.text.empty() ? "" : ": " + r.text);
    if (!refused && !refused_reply.empty()) {
      // Replies came, but none we could accept: that is the reason, not silence.
      e = Error{make_error_code(Errc::kCrypto), refused_reply};
    }
    status = std::move(e);
  } else if (auto rep = mp::OpenSessionReply::Decode(r.reply->payload); !rep) {
    status = Fail(Errc::kMalformed, "bad OPEN_SESSION reply from " + r.reply->peer.ToString() +
                                        ": " + rep.error().Message());
  } else {
    SessionInfo s;
    // Without a DASP_ENDPOINT (or with an unspecified one) the DASP is where the reply came from.
    s.dasp = rep->dasp_endpoint.valid() && !IsUnspecified(rep->dasp_endpoint) ? rep->dasp_endpoint
                                                                              : r.reply->peer;
    s.session = rep->session;
    s.dasp_va = rep->dasp_va;
    s.client_va = rep->client_va;
    s.server = rep->server;
    s.suite = cipher ? static_cast<uint8_t>(cipher->suite()) : 0;
    info = std::move(s);
  }
  bool rehome = false;
  bool abandoned = false;
  {
    std::lock_guard lock(mu_);
    abandoned = attempt != attempt_ || state_ != ClientState::kOpening;
    rehome = rehoming_;
  }
  if (abandoned) {
    // The deadline passed or the attempt was superseded: give the DASP its session back.
    if (info) {
      auto& node = gateway().node();
      node.OpenSession(info->dasp, info->session, {cipher});
      mp::SendOptions one_way;
      one_way.expect_reply = false;
      std::weak_ptr<Client> weak = weak_from_this();
      node.Send(info->dasp, info->session, mp::wire::kCloseSession, info->dasp_va, {}, one_way,
                [weak, i = *info](mp::SendResult&&) {
                  if (auto c = weak.lock()) c->gateway().node().CloseSession(i.dasp, i.session);
                });
    }
    return;
  }
  if (info)  // before anything is sent on it
    gateway().node().OpenSession(info->dasp, info->session, {cipher});
  FinishOpen(status, std::move(info), rehome, std::move(cipher));
}

void Client::FinishOpen(const Status& s, std::optional<SessionInfo> info, bool rehome,
                        std::shared_ptr<mp::SessionCrypto> cipher) {
  std::vector<Waiter> waiters;
  std::string lost;
  uint32_t generation = 0;
  {
    std::lock_guard lock(mu_);
    open_timer_.reset();
    open_attempt_.reset();
    waiters.swap(waiters_);
    rehoming_ = false;
    if (info) {
      state_ = ClientState::kOpen;
      generation = ++generation_;
      current_ = Current{*info, generation, std::move(cipher)};
      ++stats_.opens;
      lost.swap(lost_);
    } else {
      state_ = ClientState::kFailed;
      ++stats_.open_failures;
    }
  }
  if (info) {
    gateway().Route(info->client_va, shared_from_this());
    spdlog::debug("dacp: {} session {} with {} (DASP VA {}, client VA {})", config_.app,
                  info->session, info->dasp.ToString(), mp::FormatVa(info->dasp_va),
                  mp::FormatVa(info->client_va));
    if (config_.send_started) SendStarted(generation, kStartedFirstRetry);
    // The farm hears of the loss from the new DASP (spec 2: a give-up is reported).
    if (!lost.empty()) ReportError(static_cast<uint16_t>(Errc::kTimedOut), "re-homed: " + lost);
    if (rehome) OnReopened(*info);
  } else {
    spdlog::info("dacp: {}: {}", config_.app, s.error().Message());
  }
  for (auto& w : waiters)
    w(s);
}

// ---------------------------------------------------------------------------- STARTED

void Client::SendStarted(uint32_t generation, mp::Duration delay) {
  std::optional<SessionInfo> at;
  {
    std::lock_guard lock(mu_);
    if (!current_ || current_->generation != generation) return;
    at = current_->info;
  }
  std::weak_ptr<Client> weak = weak_from_this();
  gateway().node().Send(
      at->dasp, at->session, mp::wire::kStarted, at->dasp_va, {}, CallOptions(),
      [weak, generation, delay](mp::SendResult&& r) {
        auto c = weak.lock();
        if (!c) return;
        if (!r.error) {
          std::lock_guard lock(c->mu_);
          ++c->stats_.started_answered;
          return;
        }
        if (IsServerGone(r.error)) return c->ServerLost(generation, "STARTED: " + r.text);
        if (r.error == Errc::kUnknownCommand) return;  // a DASP that takes no STARTED
        // Resent with growing timeouts until answered (spec 7).
        auto timer = std::make_shared<boost::asio::steady_timer>(c->gateway().io(), delay);
        timer->async_wait([weak, generation, delay, timer](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto again = weak.lock()) {
            again->SendStarted(generation, std::min<mp::Duration>(delay * 2, kStartedMaxRetry));
          }
        });
      });
}

// ---------------------------------------------------------------------------- calls

mp::SendOptions Client::CallOptions() const {
  mp::SendOptions o;
  o.max_transmissions = config_.call_transmissions;
  o.reply_timeout = config_.call_reply_timeout;
  return o;
}

void Client::Call(uint16_t command, std::vector<uint8_t> payload, CallCallback done) {
  {
    std::lock_guard lock(mu_);
    ++stats_.calls;
  }
  Dispatch(command, std::move(payload), std::move(done), false);
}

Result<std::vector<uint8_t>> Client::CallSync(uint16_t command, std::vector<uint8_t> payload) {
  std::promise<Result<std::vector<uint8_t>>> p;
  Call(command, std::move(payload),
       [&p](Result<std::vector<uint8_t>>&& r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

void Client::Dispatch(uint16_t command, std::vector<uint8_t> payload, CallCallback done,
                      bool retried) {
  std::vector<std::function<void()>> after;
  std::optional<Current> at;
  {
    std::lock_guard lock(mu_);
    if (state_ == ClientState::kOpen && current_->cipher && current_->cipher->NeedsRekey()) {
      ++stats_.rekeys;
      RenewLocked(after);  // new keys first; this call waits for them below
    }
    const bool may_open = state_ == ClientState::kOpening ||
                          ((state_ == ClientState::kClosed || state_ == ClientState::kFailed) &&
                           config_.reopen_on_failure && stats_.opens > 0 && !closed_by_app_);
    if (state_ == ClientState::kOpen) {
      at = current_;
      ++in_flight_;
    } else if (may_open) {
      std::weak_ptr<Client> weak = weak_from_this();
      waiters_.push_back(
          [weak, command, payload = std::move(payload), done, retried](const Status& s) mutable {
            auto c = weak.lock();
            if (!c) return done(Fail(Errc::kCancelled, "the client is gone"));
            if (!s) return c->FailCall(done, s.error());
            c->Dispatch(command, std::move(payload), std::move(done), retried);
          });
      if (state_ != ClientState::kOpening) {
        rehoming_ = true;
        StartOpenLocked(after);
      }
    } else {
      ++stats_.call_failures;
      after.push_back([done] { done(Fail(Errc::kSessionClosed, "no open session")); });
    }
  }
  RunAll(after);
  if (!at) return;
  // Keep the payload for one retry on a new session: when the server may vanish, or when the
  // session moves while the call waits (REDIRECT; the old instance NAKs it unhandled).
  std::vector<uint8_t> keep;
  if (!retried) keep = payload;
  std::weak_ptr<Client> weak = weak_from_this();
  gateway().node().Send(
      at->info.dasp, at->info.session, command, at->info.dasp_va, std::move(payload), CallOptions(),
      [weak, gen = at->generation, command, keep = std::move(keep), done,
       retried](mp::SendResult&& r) mutable {
        auto c = weak.lock();
        if (!c) {
          if (r.error) return done(ErrorOf(r));
          return done(std::move(r.reply->payload));
        }
        c->OnCallDone(gen, command, std::move(keep), std::move(done), retried, std::move(r));
      });
}

void Client::OnCallDone(uint32_t generation, uint16_t command, std::vector<uint8_t> keep,
                        CallCallback done, bool retried, mp::SendResult&& r) {
  std::vector<std::function<void()>> after;
  bool recover = false;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (in_flight_ == 0 && retiring_) RetireLocked(after, true);
    // Sent on a session that has since moved: SHUTTING_DOWN (it was held there) and
    // UNKNOWN_SESSION (it came after the move) both say it was not handled there (D73).
    const bool moved = (r.error == Errc::kShuttingDown || r.error == Errc::kUnknownSession) &&
                       moved_from_ == generation;
    recover = (config_.reopen_on_failure || moved) && !retried && !closed_by_app_;
  }
  RunAll(after);
  if (!r.error) return done(std::move(r.reply->payload));
  if (IsServerGone(r.error)) {
    // Whoever sees the loss first ends the session; every call that failed with it is retried.
    ServerLost(generation, std::string(mp::CommandName(command)) + " " + r.error.message() +
                               (r.text.empty() ? "" : ": " + r.text));
    if (recover) return RetryAfterLoss(command, std::move(keep), std::move(done), r.text);
  } else if (r.error == Errc::kReplyTimeout && recover) {
    return ProbeThenRecover(generation, command, std::move(keep), std::move(done), std::move(r));
  }
  FailCall(done, ErrorOf(r));
}

void Client::FailCall(const CallCallback& done, Error e) {
  {
    std::lock_guard lock(mu_);
    ++stats_.call_failures;
  }
  done(std::move(e));
}

// ACKed but unanswered: a slow DASP, or one that died after the ACK. A PING tells which.
void Client::ProbeThenRecover(uint32_t generation, uint16_t command, std::vector<uint8_t> keep,
                              CallCallback done, mp::SendResult&& r) {
  std::optional<SessionInfo> at;
  {
    std::lock_guard lock(mu_);
    if (current_ && current_->generation == generation) at = current_->info;
  }
  if (!at) return RetryAfterLoss(command, std::move(keep), std::move(done), r.text);
  std::weak_ptr<Client> weak = weak_from_this();
  auto failure = std::make_shared<Error>(ErrorOf(r));
  gateway().node().Send(at->dasp, at->session, mp::wire::kPing, at->dasp_va, {}, CallOptions(),
                        [weak, generation, command, keep = std::move(keep), done,
                         failure](mp::SendResult&& p) mutable {
                          auto c = weak.lock();
                          if (!c) return done(*failure);
                          if (!p.error || !IsServerGone(p.error)) {
                            return c->FailCall(done,
                                               *failure);  // alive, just slow: the timeout stands
                          }
                          c->ServerLost(generation, "PING after a reply timeout: " + p.text);
                          c->RetryAfterLoss(command, std::move(keep), std::move(done), p.text);
                        });
}

void Client::RetryAfterLoss(uint16_t command, std::vector<uint8_t> keep, CallCallback done,
                            const std::string& why) {
  {
    std::lock_guard lock(mu_);
    ++stats_.retried_calls;
  }
  spdlog::debug("dacp: {}: retrying 0x{:04x} on a new session ({})", config_.app, command, why);
  Dispatch(command, std::move(keep), std::move(done), true);
}

// The session of `generation` is gone. Once per session: unroute, forget, tell the
// application, and (reopen_on_failure) seek a new session through the farm.
void Client::ServerLost(uint32_t generation, const std::string& why) {
  std::vector<std::function<void()>> after;
  SessionInfo old;
  std::string lost;
  {
    std::lock_guard lock(mu_);
    if (!current_ || current_->generation != generation || state_ != ClientState::kOpen) return;
    old = current_->info;
    current_.reset();
    ++generation_;
    lost_ = lost = "DASP " + mp::FormatVa(old.dasp_va) + " at " + old.dasp.ToString() + ": " + why;
    if (config_.reopen_on_failure) {
      ++stats_.rehomes;
      rehoming_ = true;
      StartOpenLocked(after);
    } else {
      state_ = ClientState::kFailed;
    }
  }
  spdlog::info("dacp: {}: lost {}", config_.app, lost);
  gateway().Unroute(old.client_va, this);
  gateway().node().CloseSession(old.dasp, old.session);
  OnSessionEnd(SessionEnd::kServerLost, why);
  RunAll(after);
}

// ---------------------------------------------------------------------------- reports

void Client::ReportError(uint16_t error, std::string text) {
  std::optional<SessionInfo> at;
  {
    std::lock_guard lock(mu_);
    if (current_) at = current_->info;
    if (at) ++stats_.error_reports;
  }
  if (!at) return;
  gateway().node().Send(at->dasp, at->session, mp::wire::kErrorReport, at->dasp_va,
                        mp::ErrorReportPayload{error, std::move(text)}.Encode(), CallOptions(),
                        [](mp::SendResult&&) {});
}

void Client::Close(std::string reason, DoneCallback done) {
  std::optional<SessionInfo> at;
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    closed_by_app_ = true;
    if (state_ == ClientState::kOpen) {
      at = current_->info;
      state_ = ClientState::kClosing;
    } else {
      if (state_ == ClientState::kOpening) ++attempt_;  // abandon the attempt
      if (state_ != ClientState::kClosing) state_ = ClientState::kClosed;
      waiters.swap(waiters_);
      open_timer_.reset();
    }
  }
  for (auto& w : waiters)
    w(Fail(Errc::kSessionClosed, "closed: " + reason));
  if (!at) {
    if (done) done(Status::Ok());
    return;
  }
  auto& node = gateway().node();
  std::weak_ptr<Client> weak = weak_from_this();
  auto finish = [weak, at, done](mp::SendResult&& r) {
    auto c = weak.lock();
    if (c) {
      bool unroute = false;
      {
        std::lock_guard lock(c->mu_);
        if (c->current_ && c->current_->info.session == at->session &&
            c->current_->info.dasp == at->dasp) {
          unroute = true;
          c->current_.reset();
          ++c->generation_;
        }
        if (c->state_ == ClientState::kClosing) c->state_ = ClientState::kClosed;
      }
      if (unroute) c->gateway().Unroute(at->client_va, c.get());
      c->gateway().node().CloseSession(at->dasp, at->session);
    }
    if (done) done(r.error ? Status(ErrorOf(r)) : Status::Ok());
  };
  // The exit report first (seed 002: "start, error, or exit"), then CLOSE_SESSION.
  {
    std::lock_guard lock(mu_);
    ++stats_.error_reports;
  }
  node.Send(at->dasp, at->session, mp::wire::kErrorReport, at->dasp_va,
            mp::ErrorReportPayload{0, "exit: " + reason}.Encode(), CallOptions(),
            [weak, at, finish](mp::SendResult&&) mutable {
              auto c = weak.lock();
              if (!c) return;
              mp::SendOptions one_way = c->CallOptions();
              one_way.expect_reply = false;
              c->gateway().node().Send(at->dasp, at->session, mp::wire::kCloseSession, at->dasp_va,
                                       {}, one_way, std::move(finish));
            });
}

// ---------------------------------------------------------------------------- accessors

ClientState Client::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::optional<SessionInfo> Client::session() const {
  std::lock_guard lock(mu_);
  if (!current_) return std::nullopt;
  return current_->info;
}

ClientStats Client::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Client::Serves(const mp::Endpoint& peer, uint8_t session) const {
  std::lock_guard lock(mu_);
  return current_ && current_->info.dasp == peer && current_->info.session == session;
}

}  // namespace dabs::dacp
