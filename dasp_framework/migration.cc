// Moving a live session to another instance (starvation avoidance, seed 000; MIGRATE in
// docs/payloads.md; decisions D72-D74). dabs-lbd drives it over the local socket:
//
//   MIGRATE save     freeze the session: messages that come are held, not handled; once the
//                    handlers queued before have run and every request has its reply, the
//                    author's SaveSession gives the state, which goes back to dabs-lbd.
//   MIGRATE release  the move failed before the client heard of it: handle the held messages.
//   REDIRECT         the sink has restored the session: tell the client (REDIRECT, ACKed),
//                    then NAK the held messages with SHUTTING_DOWN, which the client resends on
//                    the new session. Nothing handled here is handled there, and nothing is
//                    lost: exactly once.
//   MIGRATE drop     forget a restored copy whose move failed (on the sink).
//
// ADD_CLIENT with SAVED restores a session here (RestoreFor). The source keeps the session
// known to its MP engine for kMovedGrace, so that a client whose reply was lost gets it again
// from the engine's duplicate cache instead of sending the request to the sink.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <dabs/mp/migrate.h>
#include <dabs/mp/tlv.h>

#include "instance_impl.h"

namespace dabs::dasp {

namespace {
constexpr auto kSaveTimeout = std::chrono::seconds(2);        // replies owed before a save
constexpr auto kMovedGrace = std::chrono::seconds(30);        // the engine answers duplicates
constexpr size_t kMaxHeld = 256;                              // messages held while frozen
constexpr int kNakCopies = 5;                                 // of each held message's NAK
constexpr auto kNakSpacing = std::chrono::milliseconds(200);  // 200, 400, 600, 800 ms apart

Error Fail(mp::Errc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}
}  // namespace

std::shared_ptr<SessionImpl> Instance::Impl::FindByClient(mp::Va client_va) {
  std::lock_guard lock(sessions_mu);
  for (const auto& [key, s] : sessions) {
    if (s->client_va == client_va) return s;
  }
  return nullptr;
}

void Instance::Impl::HandleMigrate(const mp::Message& m) {
  auto mig = mp::Migrate::Decode(m.payload);
  if (!mig) return node->Nak(m, mp::Errc::kMalformed, mig.error().detail);
  auto s = FindByClient(mig->client_va);
  if (!s || !s->open) {
    return node->Nak(m, mp::Errc::kUnknownSession,
                     "no open session of client " + mp::FormatVa(mig->client_va));
  }
  switch (mig->op) {
    case mp::MigrateOp::kSave:
      return SaveForMove(m, s);
    case mp::MigrateOp::kRelease:
      ReleaseMove(s);
      return node->Reply(m, {});
    case mp::MigrateOp::kDrop:
      dispatcher->Post(
          s->mailbox, [self = shared_from_this(), s] { self->CloseSession(s, false); }, false);
      return node->Reply(m, {});
    case mp::MigrateOp::kPlace:
      break;
  }
  node->Nak(m, mp::Errc::kUnknownCommand, "MIGRATE place goes to dabs-lbd");
}

void Instance::Impl::SaveForMove(const mp::Message& m, const std::shared_ptr<SessionImpl>& s) {
  if (!server->SavesSessions()) {
    return node->Nak(m, mp::Errc::kUnknownCommand, config.app + " does not save sessions");
  }
  if (s->cipher) {
    // Keys stay where they were agreed (D62): an encrypted session moves by reopening.
    return node->Nak(m, mp::Errc::kCrypto, "an encrypted session is not moved");
  }
  if (s->move != SessionImpl::Move::kNone)
    return node->Nak(m, mp::Errc::kNoCapacity, "moving already");
  s->move = SessionImpl::Move::kFrozen;
  // Behind every handler queued before the freeze; nothing new is queued while frozen.
  const bool queued = dispatcher->Post(
      s->mailbox,
      [self = shared_from_this(), s, m] {
        const auto deadline = std::chrono::steady_clock::now() + kSaveTimeout;
        while (s->unanswered.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (s->unanswered.load() > 0) {
          boost::asio::post(self->io, [self, s] { self->ReleaseMove(s); });
          return self->node->Nak(m, mp::Errc::kNoCapacity, "replies still owed after 2 s");
        }
        mp::Migrate saved;
        saved.op = mp::MigrateOp::kSave;
        saved.client_va = s->client_va;
        saved.client = s->client;
        saved.request =
            mp::OpenSessionRequest{self->config.app, s->caps, s->client_id, {}}.Encode();
        try {
          Session handle(s);
          saved.state = self->server->SaveSession(handle);
        } catch (const std::exception& e) {
          boost::asio::post(self->io, [self, s] { self->ReleaseMove(s); });
          return self->node->Nak(m, mp::Errc::kNoCapacity,
                                 std::string("SaveSession threw: ") + e.what());
        }
        self->node->Reply(m, saved.Encode());
      },
      false);
  if (!queued) {
    s->move = SessionImpl::Move::kNone;
    node->Nak(m, mp::Errc::kNoCapacity, "the instance's queue is full");
  }
}

// On the node's strand.
void Instance::Impl::ReleaseMove(const std::shared_ptr<SessionImpl>& s) {
  if (s->move != SessionImpl::Move::kFrozen) return;
  s->move = SessionImpl::Move::kNone;
  auto held = std::move(s->held);
  s->held.clear();
  for (auto& m : held)
    HandleApplication(std::move(m));
}

// Holds a message of a frozen session; false when it is not frozen.
bool Instance::Impl::HoldIfMoving(mp::Message& m, const std::shared_ptr<SessionImpl>& s) {
  if (s->move != SessionImpl::Move::kFrozen) return false;
  if (s->held.size() >= kMaxHeld) {
    // Not handled here: the client resends it, to wherever the session is by then.
    node->Nak(m, mp::Errc::kNoCapacity, "the session is moving");
    return true;
  }
  s->held.push_back(std::move(m));
  return true;
}

void Instance::Impl::HandleLocalRedirect(const mp::Message& m) {
  auto r = mp::Redirect::Decode(m.payload);
  if (!r) return node->Nak(m, mp::Errc::kMalformed, r.error().detail);
  auto s = FindByClient(r->client);
  if (!s || s->move != SessionImpl::Move::kFrozen) {
    return node->Nak(m, mp::Errc::kUnknownSession,
                     "no session of client " + mp::FormatVa(r->client) + " being moved");
  }
  mp::RedirectPayload to_client{r->session, r->dasp_va, r->dasp_endpoint, std::nullopt};
  mp::SendOptions ack_only;
  ack_only.expect_reply = false;
  const auto sent = std::chrono::steady_clock::now();
  node->Send(s->client, s->id, mp::wire::kRedirect, s->client_va, to_client.Encode(), ack_only,
             [self = shared_from_this(), s, m, sent](mp::SendResult&& result) {
               if (result.error) {
                 // The client did not ACK: it is gone, or cut off. The copy on the sink is
                 // dropped by dabs-lbd; this one goes on if the client comes back.
                 self->ReleaseMove(s);
                 return self->node->Nak(
                     m, mp::Errc::kNoCapacity,
                     "the client did not ACK REDIRECT: " + result.error.message());
               }
               self->FinishMove(s);
               const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - sent)
                                   .count();
               std::vector<uint8_t> out;
               mp::TlvWriter w(out);
               w.U32(mp::local_tag::kSessions, static_cast<uint32_t>(self->SessionCount()));
               self->node->Reply(m, std::move(out));
               spdlog::debug("{}: client {} moved away (REDIRECT ACKed after {} us)",
                             self->config.app, mp::FormatVa(s->client_va), us);
             });
}

// The client follows the REDIRECT: the session leaves this instance without OnClose (it goes
// on elsewhere). Its id stays taken, and the engine keeps it, for kMovedGrace.
void Instance::Impl::FinishMove(const std::shared_ptr<SessionImpl>& s) {
  s->move = SessionImpl::Move::kGone;
  s->open = false;
  // The held messages were ACKed, so their senders wait for an answer and resend nothing: a
  // NAK is never ACKed or resent by the engine, so a lost one would leave the call hanging.
  // It goes out kNakCopies times over about 2 s; a copy after the first that arrives is
  // ignored (the call is answered).
  auto held = std::make_shared<std::vector<mp::Message>>(std::move(s->held));
  s->held.clear();
  for (auto& m : *held)
    node->Nak(m, mp::Errc::kShuttingDown, "the session moved: send it there");
  if (!held->empty()) NakAgain(held, 1);
  {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(SessionKey{s->client, s->id});
    if (it != sessions.end() && it->second == s) sessions.erase(it);
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io, kMovedGrace);
  timer->async_wait([self = shared_from_this(), s, timer](const boost::system::error_code&) {
    self->node->CloseSession(s->client, s->id);
    std::lock_guard lock(self->sessions_mu);
    if (auto used = self->used_ids.find(s->client); used != self->used_ids.end()) {
      used->second.reset(s->id);
      if (used->second.none()) self->used_ids.erase(used);
    }
  });
}

void Instance::Impl::NakAgain(std::shared_ptr<std::vector<mp::Message>> held, int copy) {
  if (copy >= kNakCopies) return;
  auto timer = std::make_shared<boost::asio::steady_timer>(io, kNakSpacing * copy);
  timer->async_wait(
      [self = shared_from_this(), held, copy, timer](const boost::system::error_code& ec) {
        if (ec || self->stopped) return;
        for (auto& m : *held)
          self->node->Nak(m, mp::Errc::kShuttingDown, "the session moved: send it there");
        self->NakAgain(held, copy + 1);
      });
}

void Instance::Impl::RestoreFor(const mp::OpenSessionRequest& request, const mp::Endpoint& client,
                                mp::Va client_va, std::vector<uint8_t> saved,
                                std::function<void(Status, uint8_t)> answer) {
  if (shutting_down) return answer(Fail(mp::Errc::kShuttingDown, "shutting down"), 0);
  if (request.app != config.app) {
    return answer(
        Fail(mp::Errc::kUnknownApplication, "this is " + config.app + ", not " + request.app), 0);
  }
  std::shared_ptr<SessionImpl> s;
  {
    std::lock_guard lock(sessions_mu);
    auto made = NewSessionLocked(request, client, client_va);
    if (!made) return answer(made.error(), 0);
    s = std::move(*made);
  }
  const bool queued = dispatcher->Post(
      s->mailbox,
      [self = shared_from_this(), s, saved = std::move(saved), answer] {
        Session handle(s);
        Status verdict = Status::Ok();
        try {
          verdict = self->server->RestoreSession(handle, saved);
        } catch (const std::exception& e) {
          verdict = Fail(mp::Errc::kNoCapacity, std::string("RestoreSession threw: ") + e.what());
        }
        if (!verdict) {
          self->DropSession(s);
          return answer(verdict, 0);
        }
        s->open = true;
        self->node->OpenSession(s->client, s->id);
        answer(Status::Ok(), s->id);
      },
      false);
  if (!queued) {
    DropSession(s);
    answer(Fail(mp::Errc::kNoCapacity, "the instance's queue is full"), 0);
  }
}

}  // namespace dabs::dasp
