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
  if (m.header.command >= kFirstApplicationCommand) return OnServerMessage(m);
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
      current_ = Current{now, ++generation_};
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

// REQUIRES: mu_ held. Closes the retiring session (in `after`) when `now`.
void Client::RetireLocked(std::vector<std::function<void()>>& after, bool now) {
  if (!retiring_ || !now) return;
  Gateway* g = &gateway();
  after.push_back([g, r = *retiring_] { g->node().CloseSession(r.dasp, r.session); });
  retiring_.reset();
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
