// Client: what the DASP (or the farm) sends unasked, routed here by the gateway: SHUTDOWN,
// CLOSE_SESSION, REDIRECT, STATUS, PING and the application's own pushes (spec 7).
#include <spdlog/spdlog.h>

#include <dabs/dacp/client.h>
#include <dabs/mp/header.h>
#include <dabs/mp/system_messages.h>

namespace dabs::dacp {

void Client::OnUnsolicited(mp::Message&& m) {
  using namespace mp::wire;
  auto& node = gateway().node();
  if (m.header.command >= kFirstApplicationCommand) {
    OnServerMessage(m);
    return RekeyIfDue();  // a DASP that pushes more than we call spends its keys too
  }
  switch (m.header.command) {
    case kShutdown: {
      const auto mode = mp::DecodeU8(m.payload);
      return EndByServer(m, mode == kShutdownEmergency ? SessionEnd::kShutdownEmergency
                                                       : SessionEnd::kShutdownClean);
    }
    case kCloseSession:
      return EndByServer(m, SessionEnd::kClosedByServer);
    case kRedirect:
      return FollowRedirect(m);
    case kStatus: {
      uint8_t state = 0;
      {
        std::lock_guard lock(mu_);
        state = static_cast<uint8_t>(state_);
        if (state_ == ClientState::kOpen && in_flight_ > 0) state = kStatusBusy;
        ++stats_.status_answered;
      }
      return node.Reply(m, mp::EncodeU8(state));
    }
    case kPing:
      return node.Reply(m, {});
    default:
      return node.Nak(m, mp::Errc::kUnknownCommand, "not a command a DACP answers");
  }
}

// SHUTDOWN or CLOSE_SESSION on our session: it is gone (the engine has ACKed the message).
void Client::EndByServer(const mp::Message& m, SessionEnd how) {
  std::vector<std::function<void()>> after;
  SessionInfo old;
  {
    std::lock_guard lock(mu_);
    if (!current_ || !(current_->info.dasp == m.peer && current_->info.session == m.header.session))
      return;
    old = current_->info;
    current_.reset();
    ++generation_;
    if (state_ == ClientState::kOpen) state_ = ClientState::kClosed;
    ++stats_.shutdowns;
    // A clean shutdown finishes pending transactions: keep the session until their answers
    // are in. Otherwise the session is gone now (its pending calls fail with kSessionClosed,
    // and with reopen_on_failure are retried on a new session).
    if (retiring_) RetireLocked(after, true);
    retiring_ = Retiring{old.dasp, old.session};
    RetireLocked(after, how != SessionEnd::kShutdownClean || in_flight_ == 0);
  }
  spdlog::info("dacp: {}: session {} with {} ended: {}", config_.app, old.session,
               old.dasp.ToString(), SessionEndName(how));
  gateway().Unroute(old.client_va, this);
  for (auto& f : after)
    f();
  OnSessionEnd(how, std::string(SessionEndName(how)));
}

void Client::FollowRedirect(const mp::Message& m) {
  auto r = mp::RedirectPayload::Decode(m.payload);
  if (!r) {
    spdlog::warn("dacp: {}: bad REDIRECT from {}: {}", config_.app, m.peer.ToString(),
                 r.error().Message());
    return;
  }
  {
    // An encrypted session has no keys at the new instance (REDIRECT carries none): it is
    // reopened through the farm instead, with new keys (docs/dacp.md). The REDIRECT itself
    // came sealed, so it is our DASP's.
    std::vector<std::function<void()>> after;
    {
      std::lock_guard lock(mu_);
      if (state_ == ClientState::kOpen && current_ && current_->cipher &&
          current_->info.dasp == m.peer && current_->info.session == m.header.session) {
        ++stats_.redirects;
        RenewLocked(after);
      }
    }
    if (!after.empty()) {
      spdlog::debug("dacp: {}: encrypted session redirected: reopening through {}", config_.app,
                    config_.farm.ToString());
      for (auto& f : after)
        f();
      return;
    }
  }
  auto& node = gateway().node();
  // Open the new session before any call can be sent on it.
  node.OpenSession(r->dasp_endpoint, r->session);
  std::vector<std::function<void()>> after;
  SessionInfo old, now;
  {
    std::lock_guard lock(mu_);
    if (state_ != ClientState::kOpen || !current_ ||
        !(current_->info.dasp == m.peer && current_->info.session == m.header.session)) {
      after.push_back([&node, r] { node.CloseSession(r->dasp_endpoint, r->session); });
    } else {
      old = now = current_->info;
      now.dasp = r->dasp_endpoint;
      now.session = r->session;
      now.dasp_va = r->dasp_va;
      if (r->client_va) now.client_va = *r->client_va;
      moved_from_ = current_->generation;
      current_ = Current{now, ++generation_, nullptr};  // plaintext: an encrypted one reopens
      ++stats_.redirects;
      // Calls in flight on the old session may still be answered there.
      if (retiring_) RetireLocked(after, true);
      retiring_ = Retiring{old.dasp, old.session};
      RetireLocked(after, in_flight_ == 0);
    }
  }
  if (now.session == 0) {  // stale: not our current session
    for (auto& f : after)
      f();
    return;
  }
  spdlog::debug("dacp: {}: redirected from {} session {} to {} session {}", config_.app,
                old.dasp.ToString(), old.session, now.dasp.ToString(), now.session);
  if (now.client_va != old.client_va) {
    gateway().Unroute(old.client_va, this);
    gateway().Route(now.client_va, shared_from_this());
  }
  for (auto& f : after)
    f();
  OnRedirected(now);
}

// REQUIRES: mu_ held. Closes the retiring session (in `after`) when `now`; one that is ours
// to end is told first (CLOSE_SESSION, sealed with its keys when encrypted).
void Client::RetireLocked(std::vector<std::function<void()>>& after, bool now) {
  if (!retiring_ || !now) return;
  const Retiring r = *retiring_;
  retiring_.reset();
  if (!r.tell) {
    Gateway* g = &gateway();
    after.push_back([g, r] { g->node().CloseSession(r.dasp, r.session); });
    return;
  }
  std::weak_ptr<Client> weak = weak_from_this();
  after.push_back([weak, r] {
    auto c = weak.lock();
    if (!c) return;
    mp::SendOptions one_way;
    one_way.expect_reply = false;
    c->gateway().node().Send(r.dasp, r.session, mp::wire::kCloseSession, r.dasp_va, {}, one_way,
                             [weak, r](mp::SendResult&&) {
                               if (auto again = weak.lock())
                                 again->gateway().node().CloseSession(r.dasp, r.session);
                             });
  });
}

void Client::RenewLocked(std::vector<std::function<void()>>& after) {
  const SessionInfo old = current_->info;
  Gateway* g = &gateway();
  after.push_back([g, va = old.client_va, self = this] { g->Unroute(va, self); });
  current_.reset();
  ++generation_;
  if (retiring_) RetireLocked(after, true);
  // Calls in flight on the old session are answered there; then it is closed.
  retiring_ = Retiring{old.dasp, old.session, old.dasp_va, true};
  RetireLocked(after, in_flight_ == 0);
  rehoming_ = true;  // the application hears OnReopened
  StartOpenLocked(after);
}

void Client::RekeyIfDue() {
  std::vector<std::function<void()>> after;
  {
    std::lock_guard lock(mu_);
    if (state_ == ClientState::kOpen && current_ && current_->cipher &&
        current_->cipher->NeedsRekey()) {
      ++stats_.rekeys;
      RenewLocked(after);
    }
  }
  for (auto& f : after)
    f();
}

void Client::OnSessionEnd(SessionEnd how, const std::string& why) {
  if (callbacks_.on_session_end) callbacks_.on_session_end(how, why);
}

void Client::OnRedirected(const SessionInfo& now) {
  if (callbacks_.on_redirect) callbacks_.on_redirect(now);
}

void Client::OnReopened(const SessionInfo& now) {
  if (callbacks_.on_reopened) callbacks_.on_reopened(now);
}

void Client::OnServerMessage(const mp::Message& m) {
  gateway().node().Nak(m, mp::Errc::kUnknownCommand, "this client takes no application commands");
}

}  // namespace dabs::dacp
