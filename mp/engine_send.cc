// The outbound half of the engine: sending messages and replies, matching ACKs, NAKs and
// replies to them, retransmission (spec 2) and the group resend schedule (spec 4).
#include <algorithm>
#include <cassert>
#include <cmath>

#include <dabs/mp/system_messages.h>

#include "engine_impl.h"

namespace dabs::mp {

size_t Engine::Impl::ChunkFor(bool crc, const SessionCipher* cipher) const {
  // With a reserve (a farm seal, which drops the CRC), buffers are sized alike with or without
  // a CRC: the receiver sees the opened datagram without one and must agree on the size.
  const size_t trailer =
      config.datagram_reserve > 0 ? config.datagram_reserve : (crc ? wire::kCrcSize : 0);
  return wire::kMaxDatagram - wire::kHeaderSize - wire::kMultiHeaderSize - trailer -
         (cipher ? cipher->Overhead() : 0);
}

namespace {

// Splits a payload (spec 1.5): one plain datagram when it fits, otherwise buffers of the
// largest size that fits. Returns false when it cannot be sent at all.
bool PlanBuffers(size_t size, size_t single_capacity, size_t chunk, uint16_t& buffers) {
  if (size <= single_capacity) {
    buffers = 0;
    return true;
  }
  const size_t n = (size + chunk - 1) / chunk;
  if (n > 0xFFFF) return false;
  buffers = static_cast<uint16_t>(n);
  return true;
}

}  // namespace

void Engine::Impl::Send(const Endpoint& ep, uint8_t session, uint16_t command, Va va,
                        std::vector<uint8_t> payload, const SendOptions& options,
                        SendCallback done) {
  auto fail = [&](Errc e) {
    ++stats.send_failures;
    completions.emplace_back(std::move(done),
                             SendResult{e, std::nullopt, options.client_id, 0, {}});
  };
  const bool group = ep.IsMulticast();
  if (payload.size() > config.reassembly.max_message_bytes) return fail(Errc::kMessageTooLarge);
  if (group && session != wire::kOpeningSession) return fail(Errc::kUnknownSession);
  Peer* peer = GetOrCreatePeer(ep);
  if (!peer) return fail(Errc::kLimitExceeded);
  Session* s = group ? &group_session
                     : (session == wire::kOpeningSession ? &OpeningSession(*peer)
                                                         : FindSession(*peer, session));
  if (!s) return fail(Errc::kSessionClosed);

  auto p = std::make_unique<Pending>();
  p->peer = peer;
  p->session = session;
  p->command = command;
  p->va = va;
  p->group = group;
  p->reliable = ep.IsReliableLink();
  p->expect_reply = options.expect_reply;
  p->max_transmissions =
      options.max_transmissions > 0 ? options.max_transmissions : config.max_transmissions;
  p->reply_timeout =
      options.reply_timeout > Duration(0) ? options.reply_timeout : config.reply_timeout;
  p->client_id = options.client_id;
  p->accept_reply = options.accept_reply;
  p->cipher = group ? nullptr : s->cipher;
  p->chunk = ChunkFor(config.crc, p->cipher.get());
  const size_t single = p->chunk + wire::kMultiHeaderSize;
  if (!PlanBuffers(payload.size(), single, p->chunk, p->buffers) || (group && p->buffers > 0)) {
    return fail(Errc::kMessageTooLarge);
  }
  p->payload = std::move(payload);
  p->done = std::move(done);
  ++peer->pending;
  if (s->queued() > 0 || !CanLaunch(*s, clock.Now())) {
    // Behind the 128 in flight (spec 1.3) or a quarantined id: wait in order.
    if (s->queued() >= config.send_queue_limit) {
      --peer->pending;
      done = std::move(p->done);
      return fail(Errc::kQueueFull);
    }
    if (!s->queue) s->queue = std::make_unique<std::deque<std::unique_ptr<Pending>>>();
    s->queue->push_back(std::move(p));
    Pump(*peer, *s);
    return;
  }
  Launch(*s, std::move(p));
}

void Engine::Impl::Launch(Session& s, std::unique_ptr<Pending> p) {
  p->id = next_pending_id++;
  p->transaction = s.next_transaction++;
  p->sent = clock.SentTimeNow();
  s.replied.reset(p->transaction);
  Pending& ref = *p;
  if ((ref.reliable || ref.group) && !ref.expect_reply) {
    // Nothing will answer: one transmission and done (HELLO, BALLOT, local one-way).
    TransmitAll(ref);
    --ref.peer->pending;
    completions.emplace_back(std::move(ref.done),
                             SendResult{{}, std::nullopt, ref.client_id, ref.transmissions, {}});
    return;
  }
  s.unfinished.set(ref.transaction);
  if (s.sent_ids) ref.stale_reply_ms = s.sent_ids->TakeForLaunch(ref.transaction, clock.Now());
  if (ref.group) {
    group_pending[ref.transaction] = ref.id;
  } else {
    pending_by_key[TransactionKey{ref.peer->id, ref.session, ref.transaction, false}.Packed()] =
        ref.id;
  }
  pending.emplace(ref.id, std::move(p));
  TransmitAll(ref);
  const TimePoint now = clock.Now();
  if (ref.group) {
    Arm(ref, now + GroupTimeout(ref.transmissions));
  } else if (ref.reliable) {
    ref.state = Pending::State::kAwaitReply;
    Arm(ref, now + ref.reply_timeout);
  } else {
    Arm(ref, now + ref.peer->rto.rto());
  }
}

Status Engine::Impl::ReplyTo(const Endpoint& ep, uint8_t session, uint8_t transaction,
                             uint16_t command, Va va, std::vector<uint8_t> payload) {
  if (payload.size() > config.reassembly.max_message_bytes) return Errc::kMessageTooLarge;
  Peer* peer = GetOrCreatePeer(ep);
  if (!peer) return Errc::kLimitExceeded;
  Session* s =
      session == wire::kOpeningSession ? &OpeningSession(*peer) : FindSession(*peer, session);
  if (!s) return Errc::kSessionClosed;
  const TransactionKey key{peer->id, session, transaction, true};
  if (pending_by_key.count(key.Packed())) {
    return Error{make_error_code(Errc::kRejected), "a reply to this transaction is still pending"};
  }
  auto p = std::make_unique<Pending>();
  p->id = next_pending_id++;
  p->peer = peer;
  p->session = session;
  p->transaction = transaction;
  p->command = command;
  p->va = va;
  p->is_reply = true;
  p->reliable = ep.IsReliableLink();
  p->max_transmissions = config.max_transmissions;
  p->cipher = s->cipher;
  p->chunk = ChunkFor(config.crc, p->cipher.get());
  if (!PlanBuffers(payload.size(), p->chunk + wire::kMultiHeaderSize, p->chunk, p->buffers)) {
    return Errc::kMessageTooLarge;
  }
  p->payload = std::move(payload);
  p->sent = clock.SentTimeNow();
  if (p->reliable) {  // local link: no ACK will come
    TransmitAll(*p);
    return Status::Ok();
  }
  Pending& ref = *p;
  ++peer->pending;
  pending_by_key[key.Packed()] = ref.id;
  pending.emplace(ref.id, std::move(p));
  TransmitAll(ref);
  Arm(ref, clock.Now() + peer->rto.rto());
  return Status::Ok();
}

// ---------------------------------------------------------------------------- transmission

void Engine::Impl::TransmitBuffer(Pending& p, uint16_t buffer) {
  Header h;
  h.kind = p.is_reply ? Kind::kReply : Kind::kMessage;
  h.command = p.command;
  h.session = p.session;
  h.transaction = p.transaction;
  h.sent = p.sent;  // a retransmission keeps the time of the first transmission (spec 1.4)
  h.crc = config.crc;
  h.encrypted = p.cipher != nullptr;
  h.va = p.va;
  std::span<const uint8_t> body = p.payload;
  if (p.buffers > 0) {
    h.multi = true;
    h.buffer = buffer;
    h.buffers = p.buffers;
    const size_t offset = size_t{buffer} * p.chunk;
    body = body.subspan(offset, std::min(p.chunk, p.payload.size() - offset));
  }
  if (p.cipher) {
    EncodeHeader(h, scratch.data());
    if (!p.cipher->Seal(std::span(scratch).first(h.HeaderBytes()), body, sealed)) {
      ++stats.crypto_failures;
      return;
    }
    body = sealed;
  }
  auto n = EncodeDatagram(h, body, scratch);
  assert(n.ok());
  if (!n) return;
  ++stats.datagrams_out;
  sink.SendDatagram(p.peer->endpoint, std::span(scratch).first(*n));
}

void Engine::Impl::TransmitAll(Pending& p) {
  ++p.transmissions;
  if (p.buffers == 0) {
    TransmitBuffer(p, 0);
  } else {
    for (uint32_t b = 0; b < p.buffers; ++b)
      TransmitBuffer(p, static_cast<uint16_t>(b));
  }
  p.last_sent = clock.Now();
  if (p.transmissions == 1) p.first_sent = p.last_sent;
}

void Engine::Impl::TransmitOnTimeout(Pending& p) {
  ++stats.retransmissions;
  NoteAnomaly(p.peer);
  if (p.buffers <= config.full_resend_max_buffers) {
    TransmitAll(p);
    return;
  }
  // A large message: resend only its last buffer. A receiver holding part of it answers
  // with NAK 13 and the list of what it lacks; one that completed it ACKs again. Resending
  // a megabyte blind on every timeout would only add to the loss that caused it.
  ++p.transmissions;
  TransmitBuffer(p, static_cast<uint16_t>(p.buffers - 1));
  p.last_sent = clock.Now();
}

void Engine::Impl::SendControl(const Endpoint& to, Kind kind, const Header& about,
                               std::span<const uint8_t> payload) {
  Header h;
  h.kind = kind;
  h.command = about.command;
  h.session = about.session;
  h.transaction = about.transaction;
  h.sent = clock.SentTimeNow();
  h.crc = config.crc;
  h.va = kVaNone;
  auto n = EncodeDatagram(h, payload, scratch);
  if (!n) return;
  ++stats.datagrams_out;
  sink.SendDatagram(to, std::span(scratch).first(*n));
}

void Engine::Impl::SendAck(const Endpoint& to, const Header& about) {
  ++stats.acks_sent;
  SendControl(to, Kind::kAck, about, {});
}

void Engine::Impl::SendNak(const Endpoint& to, const Header& about, Errc error,
                           const std::vector<uint16_t>& missing, std::string_view text) {
  ++stats.naks_sent;
  NakPayload nak{error, missing, std::string(text.substr(0, 200))};
  SendControl(to, Kind::kNak, about, nak.Encode());
}

Duration Engine::Impl::GroupTimeout(int transmissions) {
  const int doublings = std::clamp(transmissions - 1, 0, 16);
  Duration base = config.group_initial_timeout * (int64_t{1} << doublings);
  base = std::min(base, config.group_max_timeout);
  const double jitter = (random.Uniform01() * 2.0 - 1.0) * config.group_jitter;
  return std::chrono::duration_cast<Duration>(base * (1.0 + jitter));
}

// ---------------------------------------------------------------------------- answers

Engine::Impl::Pending* Engine::Impl::MatchAnswer(const Peer* peer, const Header& h,
                                                 bool include_our_replies) {
  // An ACK or NAK names session + transaction and repeats the command. Our own message
  // and our reply to the peer's message can share a transaction id; the command and then
  // age decide, and a wrong pick only costs a retransmission the peer ACKs again.
  Pending* best = nullptr;
  if (peer) {
    for (bool reply : {false, true}) {
      if (reply && !include_our_replies) break;
      auto it =
          pending_by_key.find(TransactionKey{peer->id, h.session, h.transaction, reply}.Packed());
      if (it == pending_by_key.end()) continue;
      Pending* p = pending.at(it->second).get();
      if (p->command != h.command) continue;
      if (!best || p->id < best->id) best = p;
    }
  }
  if (!best && h.session == wire::kOpeningSession) {
    // Answers to a group request come from whichever member answers (spec 2, 4).
    auto it = group_pending.find(h.transaction);
    if (it != group_pending.end()) {
      Pending* p = pending.at(it->second).get();
      if (p->command == h.command) best = p;
    }
  }
  return best;
}

void Engine::Impl::OnAck(Peer& peer, const Header& h) {
  ++stats.acks_received;
  Pending* p = MatchAnswer(&peer, h, true);
  if (!p || p->group) {
    ++stats.unmatched;
    NoteAnomaly(&peer);
    return;
  }
  if (p->state != Pending::State::kAwaitAck) {  // a duplicate ACK
    NoteAnomaly(&peer);
    return;
  }
  const TimePoint now = clock.Now();
  if (p->transmissions == 1 && p->missing_rounds == 0) peer.rto.Sample(now - p->last_sent);  // Karn
  if (p->is_reply || !p->expect_reply) {
    Finish(p->id, {});
    return;
  }
  p->state = Pending::State::kAwaitReply;
  Arm(*p, now + p->reply_timeout);
}

void Engine::Impl::OnNak(Peer* peer, const Header& h, std::span<const uint8_t> payload) {
  ++stats.naks_received;
  NoteAnomaly(peer);
  Pending* p = MatchAnswer(peer, h, true);
  if (!p) {
    ++stats.unmatched;
    return;
  }
  auto nak = NakPayload::Decode(payload);
  Errc code = nak ? nak->error : Errc::kMalformed;
  // Once ACKed, the peer has the message: a NAK about damage (bad CRC, missing buffers, a
  // timed-out reassembly) is about an earlier copy and is ignored. Any other NAK after the
  // ACK is the application's answer (it refused a request it accepted) and is final.
  if (p->state != Pending::State::kAwaitAck) {
    if (!nak || code == Errc::kBadCrc || code == Errc::kMissingBuffers ||
        code == Errc::kReassemblyTimeout) {
      return;
    }
    Fail(*p, code, nak->text, /*report=*/false);
    return;
  }
  const TimePoint now = clock.Now();
  if (code == Errc::kMissingBuffers && nak && p->buffers > 0) {
    // Selective resend (spec 1.5 extension), bounded so a confused peer cannot keep us
    // resending forever.
    if (++p->missing_rounds > std::max<uint32_t>(64, p->buffers)) {
      Fail(*p, Errc::kTimedOut, "missing buffers were never filled");
      return;
    }
    for (uint16_t b : nak->missing) {
      if (b < p->buffers) TransmitBuffer(*p, b);
    }
    p->last_sent = now;
    Arm(*p, now + p->peer->rto.rto());
    return;
  }
  if (code == Errc::kMissingBuffers) code = Errc::kMalformed;
  if (!IsRetryableNak(code)) {
    Fail(*p, code, nak ? nak->text : std::string(), /*report=*/false);
    return;
  }
  // One NAK per transmission: more (a duplicated NAK, NAKs of several damaged buffers) ask
  // for nothing the first did not.
  if (p->naked_transmission == p->transmissions) return;
  p->naked_transmission = p->transmissions;
  // Three NAKs mean the session is broken (spec 2). A bad CRC is line noise, which a new
  // session would not cure, and a reply has no session of its own to reopen: those count
  // only against max_transmissions.
  if (code != Errc::kBadCrc && !p->is_reply && ++p->naks >= config.naks_before_reopen) {
    const bool reopen = !p->group && p->session != wire::kOpeningSession;
    const Endpoint ep = p->peer->endpoint;
    const uint8_t session = p->session;
    Fail(*p, Errc::kRejected,
         "NAKed " + std::to_string(config.naks_before_reopen) + " times, last with " +
             std::string(ErrcName(code)));
    if (reopen) handler.OnSessionReopen(ep, session);
    return;
  }
  if (p->transmissions >= p->max_transmissions) {
    Fail(*p, Errc::kTimedOut, "NAKed after the last transmission");
    return;
  }
  ++stats.retransmissions;
  NoteAnomaly(p->peer);
  TransmitAll(*p);  // rebuild and resend every buffer (spec 2)
  Arm(*p, now + (p->group ? GroupTimeout(p->transmissions) : p->peer->rto.rto()));
}

void Engine::Impl::OnExpiry(Pending& p, TimePoint now) {
  if (p.state == Pending::State::kAwaitReply) {
    ++stats.reply_timeouts;
    Fail(p, Errc::kReplyTimeout,
         "no reply within " +
             std::to_string(std::chrono::duration_cast<milliseconds>(p.reply_timeout).count()) +
             " ms");
    return;
  }
  if (p.transmissions >= p.max_transmissions) {
    Fail(p, Errc::kTimedOut,
         "no answer after " + std::to_string(p.transmissions) + " transmissions");
    return;
  }
  if (p.group) {
    ++stats.retransmissions;
    NoteAnomaly(p.peer);
    TransmitAll(p);
    Arm(p, now + GroupTimeout(p.transmissions));
    return;
  }
  // RFC 6298 5.5: back the peer's timer off, once per flight of messages rather than once
  // per message that was in it.
  if (p.last_sent >= p.peer->last_backoff) {
    p.peer->rto.Backoff();
    p.peer->last_backoff = now;
  }
  TransmitOnTimeout(p);
  Arm(p, now + p.peer->rto.rto());
}

}  // namespace dabs::mp
