// Sessions of an instance: opening (standalone OPEN_SESSION, or ADD_CLIENT from dabs-lbd),
// application messages to the worker threads, replies, closing; the runtime's commands.
#include <spdlog/spdlog.h>

#include <dabs/mp/tlv.h>

#include "instance_impl.h"

namespace dabs::dasp {

namespace {
constexpr auto kRecentOpen = std::chrono::seconds(30);  // spec 4 step 5

Error Fail(mp::Errc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

bool IsUnspecified(const mp::Endpoint& e) {
  for (size_t i = 0; i < (e.is_v6() ? 16u : 4u); ++i) {
    if (e.address_bytes()[i] != 0) return false;
  }
  return true;
}

mp::Errc CodeOf(const Error& e) {
  return e.code.category() == mp::MpCategory() ? static_cast<mp::Errc>(e.code.value())
                                               : mp::Errc::kNoCapacity;
}
}  // namespace

// ---------------------------------------------------------------------------- dispatch

void Instance::Impl::OnNodeMessage(mp::Message&& m) {
  using namespace mp::wire;
  if (m.header.command >= kFirstApplicationCommand) return HandleApplication(std::move(m));
  // The runtime's commands come from dabs-lbd and dabs-statd over the local socket only: a
  // set-top must not stop an instance, hand it clients or read its figures (spec 7).
  const bool runtime_command = m.header.command == kAddClient || m.header.command == kShutdown ||
                               m.header.command == kGetStatistics || m.header.command == kMigrate ||
                               m.header.command == kRedirect;
  if (runtime_command && m.peer.kind() != mp::TransportKind::kLocal) {
    return node->Nak(m, mp::Errc::kUnknownCommand, "taken from this server's runtime only");
  }
  switch (m.header.command) {
    case kOpenSession:
      return HandleOpen(m);
    case kAddClient:
      return HandleAddClient(m);
    case kMigrate:
      return HandleMigrate(m);
    case kRedirect:
      return HandleLocalRedirect(m);
    case kCloseSession:
      return HandleClose(m);
    case kPing:
      return node->Reply(m, {});
    case kStarted:
      return HandleClientStarted(m);
    case kErrorReport:
      return HandleClientErrorReport(m);
    case kShutdown: {
      const auto mode = mp::DecodeU8(m.payload);
      node->Reply(m, {});
      Shutdown(mode == kShutdownEmergency ? ShutdownMode::kEmergency : ShutdownMode::kClean,
               on_stopped);
      return;
    }
    case kGetStatistics:
      return RunControl(
          [self = shared_from_this(), m] { self->node->Reply(m, self->Snapshot().Encode()); });
    case kStatus:
      return RunControl([self = shared_from_this(), m] {
        mp::wire::DaspState s = self->state.load();
        std::vector<std::function<void(mp::wire::DaspState&)>> callbacks;
        {
          std::lock_guard lock(self->callbacks_mu);
          callbacks = self->on_state;
        }
        for (const auto& cb : callbacks)
          cb(s);
        self->node->Reply(m, mp::EncodeU8(static_cast<uint8_t>(s)));
      });
    default:
      return node->Nak(m, mp::Errc::kUnknownCommand, "not a command a DASP answers");
  }
}

void Instance::Impl::OnNodeError(const mp::ErrorReport& r) {
  if (r.was_reply && r.command == mp::wire::kOpenSession) {
    // The client never ACKed our OPEN_SESSION reply: it took another (a lost ballot) or went
    // away. Drop the session (spec 4 step 4).
    for (const auto& s : AllSessions()) {
      if (s->client == r.peer && s->open_transaction == r.transaction) CloseSession(s, false);
    }
    return;
  }
  // SHUTDOWNs to clients go out only while shutting down, to every client at once: those
  // that fail are counted into one report there (FinishShutdown), not one line each.
  if (r.command == mp::wire::kShutdown && !r.was_reply) return;
  ReportError(static_cast<uint16_t>(r.error),
              std::string(mp::CommandName(r.command)) + " to " + r.peer.ToString() + ": " + r.text);
}

// A DACP's start and error / exit reports on its session (seed 002: "each DACP informs its
// corresponding DASP when the former incurs a start, error, or exit condition"). Answered
// with an empty reply, which is what stops the client resending (spec 7).
void Instance::Impl::HandleClientStarted(const mp::Message& m) {
  auto s = m.header.session == mp::wire::kOpeningSession ? nullptr : Find(m.peer, m.header.session);
  if (!s) return node->Nak(m, mp::Errc::kUnknownSession, "STARTED on no open session");
  spdlog::debug("{}: client {} (VA {}) started", config.app, m.peer.ToString(),
                mp::FormatVa(s->client_va));
  node->Reply(m, {});
}

void Instance::Impl::HandleClientErrorReport(const mp::Message& m) {
  auto s = m.header.session == mp::wire::kOpeningSession ? nullptr : Find(m.peer, m.header.session);
  if (!s) return node->Nak(m, mp::Errc::kUnknownSession, "ERROR_REPORT on no open session");
  auto report = mp::ErrorReportPayload::Decode(m.payload);
  if (!report) return node->Nak(m, mp::Errc::kMalformed, report.error().detail);
  if (report->error == 0) {
    // An event without a number: the client's exit, for example. Debug: a farm sees one
    // per viewer who tunes away (the statistics count the sessions).
    spdlog::debug("{}: client {} (VA {}): {}", config.app, m.peer.ToString(),
                  mp::FormatVa(s->client_va), report->text);
  } else {
    spdlog::warn("{}: client {} (VA {}) reports error {}: {}", config.app, m.peer.ToString(),
                 mp::FormatVa(s->client_va), report->error, report->text);
  }
  node->Reply(m, {});
}

// ---------------------------------------------------------------------------- opening

void Instance::Impl::HandleOpen(const mp::Message& m) {
  if (!config.standalone) {
    return node->Nak(m, mp::Errc::kUnknownCommand,
                     "this DASP takes clients from dabs-lbd (ADD_CLIENT)");
  }
  auto request = mp::OpenSessionRequest::Decode(m.payload);
  if (!request) return node->Nak(m, mp::Errc::kMalformed, request.error().detail);
  auto client_va = client_vas.Next();
  if (!client_va) return node->Nak(m, mp::Errc::kNoCapacity, "no client VAs left");
  OpenFor(*request, m.peer, m.header.transaction, *client_va,
          [self = shared_from_this(), m](Status s, uint8_t) {
            if (!s) self->node->Nak(m, CodeOf(s.error()), s.error().detail);
          });
}

void Instance::Impl::HandleAddClient(const mp::Message& m) {
  auto add = mp::AddClient::Decode(m.payload);
  if (!add) return node->Nak(m, mp::Errc::kMalformed, add.error().detail);
  auto request = mp::OpenSessionRequest::Decode(add->request);
  if (!request) return node->Nak(m, mp::Errc::kMalformed, request.error().detail);
  std::vector<std::function<void(const mp::AddClient&)>> callbacks;
  {
    std::lock_guard lock(callbacks_mu);
    callbacks = on_add_client;
  }
  if (!callbacks.empty()) {
    RunControl([callbacks, a = *add] {
      for (const auto& cb : callbacks)
        cb(a);
    });
  }
  mp::Message to_client;  // what a NAK to the client answers (spec 4 step 3: the instance)
  to_client.peer = add->client;
  to_client.header.command = mp::wire::kOpenSession;
  to_client.header.transaction = add->transaction;
  if (add->saved) {
    // A session moved here: restored, not opened; the source's REDIRECT tells the client.
    return RestoreFor(*request, add->client, add->client_va, std::move(*add->saved),
                      [self = shared_from_this(), m](Status s, uint8_t session) {
                        if (!s) return self->node->Nak(m, CodeOf(s.error()), s.error().detail);
                        std::vector<uint8_t> out;
                        mp::TlvWriter w(out);
                        w.U8(mp::tag::kSession, session);
                        w.U32(mp::tag::kDaspVa, self->config.va);
                        self->node->Reply(m, std::move(out));
                      });
  }
  OpenFor(*request, add->client, add->transaction, add->client_va,
          [self = shared_from_this(), m, to_client](Status s, uint8_t session) {
            if (!s) {
              // Encryption refused: the client hears why from us, as it would hear our
              // reply; dabs-lbd gets the same NAK.
              if (CodeOf(s.error()) == mp::Errc::kCrypto) {
                self->node->Nak(to_client, mp::Errc::kCrypto, s.error().detail);
              }
              return self->node->Nak(m, CodeOf(s.error()), s.error().detail);
            }
            std::vector<uint8_t> out;
            mp::TlvWriter w(out);
            w.U8(mp::tag::kSession, session);
            w.U32(mp::tag::kDaspVa, self->config.va);
            self->node->Reply(m, std::move(out));
          });
}

// REQUIRES: sessions_mu held. A session for `client` with the first free id, or NO_CAPACITY.
Result<std::shared_ptr<SessionImpl>> Instance::Impl::NewSessionLocked(
    const mp::OpenSessionRequest& request, const mp::Endpoint& client, mp::Va client_va) {
  if (sessions.size() >= config.max_sessions) {
    return Fail(mp::Errc::kNoCapacity, std::to_string(sessions.size()) + " sessions already");
  }
  auto& used = used_ids[client];
  uint8_t id = 0;
  for (int i = 1; i <= 255 && id == 0; ++i) {
    if (!used[static_cast<size_t>(i)]) id = static_cast<uint8_t>(i);
  }
  if (id == 0) return Fail(mp::Errc::kNoCapacity, "255 sessions from that endpoint");
  used.set(id);
  auto s = std::make_shared<SessionImpl>();
  s->instance = this;
  s->client = client;
  s->id = id;
  s->client_va = client_va;
  s->client_id = request.client_id;
  s->caps = request.caps.value_or(0);
  sessions.emplace(SessionKey{client, id}, s);
  return s;
}

void Instance::Impl::OpenFor(const mp::OpenSessionRequest& request, const mp::Endpoint& client,
                             uint8_t transaction, mp::Va client_va,
                             std::function<void(Status, uint8_t)> answer) {
  if (shutting_down) return answer(Fail(mp::Errc::kShuttingDown, "shutting down"), 0);
  if (request.app != config.app) {
    return answer(
        Fail(mp::Errc::kUnknownApplication, "this is " + config.app + ", not " + request.app), 0);
  }
  if (Status ok = mp::CheckOffer(config.encryption, request.enc_offer); !ok) {
    return answer(ok, 0);  // NAK 9, with why
  }
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<SessionImpl> s;
  {
    std::lock_guard lock(sessions_mu);
    // A sweep visits every entry: once a second at most, or a burst of opens (dacp_bench's
    // 20,000) would make each open scan thousands of entries younger than 30 s.
    if (recent_opens.size() > 4096 && now - recent_opens_pruned >= std::chrono::seconds(1)) {
      recent_opens_pruned = now;
      std::erase_if(recent_opens, [&](const auto& r) { return now - r.second.at > kRecentOpen; });
    }
    const auto key = std::make_tuple(client.ToString(), transaction, request.client_id);
    if (auto r = recent_opens.find(key);
        r != recent_opens.end() && now - r->second.at <= kRecentOpen) {
      // A retransmitted OPEN_SESSION: the same session, the same reply (spec 4 step 5).
      auto existing = sessions.find(SessionKey{client, r->second.session});
      if (existing != sessions.end() && existing->second->open &&
          existing->second->offer == request.enc_offer) {
        s = existing->second;
      }
    }
    if (!s) {
      auto made = NewSessionLocked(request, client, client_va);
      if (!made) return answer(made.error(), 0);
      s = std::move(*made);
      s->open_transaction = transaction;
      s->offer = request.enc_offer;
      recent_opens[key] = {s->id, now};
    }
  }
  auto reply = [self = shared_from_this(), s, transaction] {
    mp::OpenSessionReply rep;
    rep.session = s->id;
    rep.dasp_va = self->config.va;
    const mp::Endpoint here = *self->node->udp_endpoint();
    if (!IsUnspecified(here)) rep.dasp_endpoint = here;
    rep.client_va = s->client_va;
    rep.enc_accept = s->enc_accept;
    rep.server = self->config.server_id;
    // From our own endpoint, on session 0 with the request's transaction (spec 4 step 3).
    self->node->ReplyTo(s->client, mp::wire::kOpeningSession, transaction, mp::wire::kOpenSession,
                        s->client_va, rep.Encode());
  };
  if (s->open) {  // retransmission of an open that succeeded
    reply();
    return answer(Status::Ok(), s->id);
  }
  const bool queued =
      dispatcher->Post(s->mailbox, [self = shared_from_this(), s, request, reply, answer] {
        Session handle(s);
        Status verdict = self->AgreeEncryption(*s);  // before OnOpen: nothing to undo after
        try {
          if (verdict) verdict = self->server->OnOpen(handle, request);
        } catch (const std::exception& e) {
          verdict = Fail(mp::Errc::kNoCapacity, std::string("OnOpen threw: ") + e.what());
        }
        if (!verdict) {
          self->DropSession(s);
          return answer(verdict, 0);
        }
        s->open = true;
        // Before the reply: the client may talk at once, sealed when encrypted.
        self->node->OpenSession(s->client, s->id, {s->cipher});
        reply();
        answer(Status::Ok(), s->id);
      });
  if (!queued) {
    DropSession(s);
    answer(Fail(mp::Errc::kNoCapacity, "the instance's queue is full"), 0);
  }
}

// Spec 6 on a worker: a fresh X25519 key, the signed ENC_ACCEPT and the session's cipher
// (about 0.2 ms, kept off the node's strand).
Status Instance::Impl::AgreeEncryption(SessionImpl& s) {
  auto agreed = mp::AcceptEncryption(config.encryption, s.offer, s.id, config.va);
  if (!agreed) return agreed.error();
  if (*agreed) {
    s.enc_accept = (*agreed)->accept;
    s.cipher = (*agreed)->cipher;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------- messages

void Instance::Impl::HandleApplication(mp::Message&& m) {
  if (m.header.session == mp::wire::kOpeningSession) {
    return node->Nak(m, mp::Errc::kUnknownSession, "open a session first");
  }
  auto s = Find(m.peer, m.header.session);
  if (!s || !s->open) return node->Nak(m, mp::Errc::kUnknownSession, "no such session");
  if (HoldIfMoving(m, s)) return;
  ++messages_total;
  latency_ms.Record(m.latency.millis);
  auto message = std::make_shared<mp::Message>(std::move(m));
  const auto received = std::chrono::steady_clock::now();
  if (!dispatcher->Post(s->mailbox, [self = shared_from_this(), s, message, received] {
        self->Run(s, std::move(*message));
        self->processing_us.Record(
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::steady_clock::now() - received)
                                      .count()));
      })) {
    node->Nak(*message, mp::Errc::kNoCapacity, "the instance's queue is full");
  }
}

void Instance::Impl::Run(const std::shared_ptr<SessionImpl>& s, mp::Message&& m) {
  if (!s->open) return node->Nak(m, mp::Errc::kUnknownSession, "session closed");
  auto target = std::make_shared<ReplyTarget>();
  ++unanswered;
  ++s->unanswered;
  target->instance = shared_from_this();
  target->session = s;
  target->peer = m.peer;
  target->request = m.header;
  target->va = s->client_va;
  Request request(target, m);
  Session handle(s);
  if (fault_delay.count() > 0) std::this_thread::sleep_for(fault_delay);  // a test's fault
  try {
    server->OnMessage(handle, request);
  } catch (const std::exception& e) {
    ReportError(0, std::string("OnMessage threw: ") + e.what());
    // No NAK number says "server error"; NO_CAPACITY (to handle it) with the reason is the
    // closest final answer (MALFORMED would blame the client).
    if (!target->replied)
      (void)Refuse(*target, mp::Errc::kNoCapacity, std::string("server error: ") + e.what());
  }
}

Status Instance::Impl::Reply(ReplyTarget& t, std::vector<uint8_t> payload) {
  if (t.replied.exchange(true)) return Fail(mp::Errc::kRejected, "already answered");
  node->ReplyTo(t.peer, t.request.session, t.request.transaction, t.request.command, t.va,
                std::move(payload));
  // Only now: a shutdown waiting for unanswered requests must not tear the node down while a
  // Responder's thread is still in ReplyTo.
  Answered(t);
  return Status::Ok();
}

Status Instance::Impl::Refuse(ReplyTarget& t, mp::Errc error, std::string text) {
  if (t.replied.exchange(true)) return Fail(mp::Errc::kRejected, "already answered");
  mp::Message m;
  m.peer = t.peer;
  m.header = t.request;
  node->Nak(m, error, std::move(text));
  Answered(t);  // after the NAK is handed over, as in Reply
  return Status::Ok();
}

void Instance::Impl::Answered(ReplyTarget& t) {
  if (t.session) --t.session->unanswered;
  --unanswered;
}

// ---------------------------------------------------------------------------- closing

void Instance::Impl::HandleClose(const mp::Message& m) {
  auto s = Find(m.peer, m.header.session);
  if (!s) return;  // ACKed already; nothing to forget
  dispatcher->Post(
      s->mailbox, [self = shared_from_this(), s] { self->CloseSession(s, false); }, false);
}

void Instance::Impl::CloseSession(const std::shared_ptr<SessionImpl>& s, bool tell_client) {
  if (s->open.exchange(false)) {
    Session handle(s);
    try {
      server->OnClose(handle);
    } catch (const std::exception& e) {
      ReportError(0, std::string("OnClose threw: ") + e.what());
    }
    if (tell_client) {
      mp::SendOptions one_way;
      one_way.expect_reply = false;
      node->Send(s->client, s->id, mp::wire::kCloseSession, s->client_va, {}, one_way,
                 [](mp::SendResult&&) {});
    }
  }
  DropSession(s);
  node->CloseSession(s->client, s->id);
}

void Instance::Impl::DropSession(const std::shared_ptr<SessionImpl>& s) {
  size_t left = 0;
  {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(SessionKey{s->client, s->id});
    if (it == sessions.end() || it->second != s) return;
    sessions.erase(it);
    if (auto used = used_ids.find(s->client); used != used_ids.end()) {
      used->second.reset(s->id);
      if (used->second.none()) used_ids.erase(used);
    }
    left = sessions.size();
  }
  // dabs-lbd keeps the farm's sessions and running totals (DESIGN.md section 5).
  if (!config.standalone) ReportSessionClosed(s->client_va, left);
}

std::shared_ptr<SessionImpl> Instance::Impl::Find(const mp::Endpoint& client, uint8_t id) {
  std::lock_guard lock(sessions_mu);
  auto it = sessions.find(SessionKey{client, id});
  return it == sessions.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<SessionImpl>> Instance::Impl::AllSessions() {
  std::lock_guard lock(sessions_mu);
  std::vector<std::shared_ptr<SessionImpl>> out;
  out.reserve(sessions.size());
  for (const auto& [key, s] : sessions)
    out.push_back(s);
  return out;
}

}  // namespace dabs::dasp
