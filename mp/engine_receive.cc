// The inbound half of the engine: check, then dispatch (spec 1, 2). Every datagram is
// decoded and validated before anything else; messages and replies are decrypted,
// checked for duplicates, reassembled, ACKed and delivered once.
#include <algorithm>

#include <dabs/mp/system_messages.h>

#include "engine_impl.h"

namespace dabs::mp {

namespace {
// Opening (session 0) records kept per peer.
constexpr size_t kMaxOpeningRecords = 256;
}  // namespace

void Engine::Impl::OnDatagram(const Endpoint& from, std::span<const uint8_t> bytes,
                              bool via_group) {
  ++stats.datagrams_in;
  // The C bit belongs to each datagram (spec 1.6): a CRC is checked exactly where one is
  // carried, so a peer may put one only on what crosses a noisy path.
  auto decoded = DecodeDatagram(bytes);
  if (!decoded) {
    OnUndecodable(from, bytes, static_cast<Errc>(decoded.code().value()), via_group);
    return;
  }
  const Header& h = decoded->header;
  Peer* peer = h.kind == Kind::kMessage ? GetOrCreatePeer(from) : FindPeer(from);
  if (peer) peer->last_activity = clock.Now();
  switch (h.kind) {
    case Kind::kAck:
      if (peer) {
        OnAck(*peer, h);
      } else {
        ++stats.unmatched;
      }
      return;
    case Kind::kNak:
      OnNak(peer, h, decoded->payload);
      return;
    case Kind::kMessage:
      if (!peer) {
        ++stats.over_budget_drops;  // max_peers reached
        return;
      }
      OnIncomingMessage(*peer, h, bytes, decoded->payload, via_group);
      return;
    case Kind::kReply:
      OnIncomingReply(from, peer, h, bytes, decoded->payload, via_group);
      return;
  }
}

void Engine::Impl::OnUndecodable(const Endpoint& from, std::span<const uint8_t> bytes, Errc error,
                                 bool via_group) {
  if (error == Errc::kBadCrc) {
    ++stats.bad_crc;
  } else {
    ++stats.malformed;
  }
  if (bytes.size() < wire::kHeaderSize || via_group || from.IsReliableLink()) return;
  const Header h = PeekBasicHeader(bytes);
  // Never answer an ACK or NAK: two peers must not NAK each other's NAKs forever.
  if (h.kind != Kind::kMessage && h.kind != Kind::kReply) return;
  SendNak(from, h, error);
}

bool Engine::Impl::OpenPayload(Session* s, const Endpoint& from, const Header& h,
                               std::span<const uint8_t> bytes, std::span<const uint8_t>& payload,
                               bool quiet) {
  SessionCipher* cipher = s ? s->cipher.get() : nullptr;
  if (!h.encrypted) {
    if (!cipher || !cipher->Required()) return true;
  } else if (cipher) {
    switch (cipher->Open(bytes.first(h.HeaderBytes()), payload, opened)) {
      case SessionCipher::Opened::kOk:
        payload = opened;
        return true;
      case SessionCipher::Opened::kReplayed:
        ++stats.replays;  // dropped unanswered (cipher.h)
        return false;
      case SessionCipher::Opened::kForged:
        break;
    }
  }
  ++stats.crypto_failures;
  if (!quiet) SendNak(from, h, Errc::kCrypto);
  return false;
}

bool Engine::Impl::IsDuplicate(Session& s, const Header& h, TimePoint now) const {
  if (s.id != wire::kOpeningSession) return s.window.Seen(h.transaction);
  // Session 0 has no window (every request may start a new exchange): a duplicate is the
  // same transaction with the same first sent time within the window of spec 4 step 5.
  return std::any_of(s.opening_seen.begin(), s.opening_seen.end(), [&](const Session::Opening& o) {
    return o.transaction == h.transaction && o.sent == h.sent &&
           now - o.at <= config.opening_dedup_window;
  });
}

bool Engine::Impl::IsStaleCopy(const Session& s, const Header& h, TimePoint now) const {
  return s.received_ids && s.received_ids->IsCopyOfPrevious(h.transaction, h.sent, now);
}

void Engine::Impl::MarkAccepted(Session& s, const Header& h, TimePoint now) {
  if (s.id == wire::kOpeningSession) {
    std::erase_if(s.opening_seen, [&](const Session::Opening& o) {
      return now - o.at > config.opening_dedup_window;
    });
    if (s.opening_seen.size() >= kMaxOpeningRecords) s.opening_seen.erase(s.opening_seen.begin());
    s.opening_seen.push_back({h.transaction, h.sent, now});
    return;
  }
  s.window.Accept(h.transaction);
  if (!s.received_ids) s.received_ids = std::make_unique<internal::InboundIdHistory>();
  s.received_ids->Accepted(h.transaction, h.sent, now);
}

bool Engine::Impl::Reassemble(Peer& peer, const Header& h, std::span<const uint8_t> payload,
                              bool reply, const SessionCipher* cipher,
                              std::vector<uint8_t>& whole) {
  const bool quiet = peer.endpoint.IsReliableLink();
  const size_t chunk = ChunkFor(h.crc, h.encrypted ? cipher : nullptr);
  auto r = reassembly.Add(TransactionKey{peer.id, h.session, h.transaction, reply}, h, payload,
                          chunk, clock.Now());
  switch (r.outcome) {
    case ReassemblyBuffer::Outcome::kComplete:
      whole = std::move(r.message);
      return true;
    case ReassemblyBuffer::Outcome::kIncomplete:
    case ReassemblyBuffer::Outcome::kRejected:
      return false;
    case ReassemblyBuffer::Outcome::kDuplicate:
      ++stats.duplicates;
      return false;
    case ReassemblyBuffer::Outcome::kTooLarge:
      if (!quiet) SendNak(peer.endpoint, h, Errc::kMessageTooLarge);
      return false;
    case ReassemblyBuffer::Outcome::kMalformed:
      ++stats.malformed;
      if (!quiet) SendNak(peer.endpoint, h, Errc::kMalformed);
      return false;
    case ReassemblyBuffer::Outcome::kOverBudget:
      ++stats.over_budget_drops;  // no room now: the sender's retransmission tries again
      return false;
  }
  return false;
}

namespace {
// Of the buffers of a duplicate multi-buffer message, only the first and last are
// answered again, so a whole resent message does not draw one ACK per buffer.
bool AnswersDuplicate(const Header& h) {
  return !h.multi || h.buffer == 0 || h.buffer + 1 == h.buffers;
}
}  // namespace

void Engine::Impl::OnIncomingMessage(Peer& peer, const Header& h, std::span<const uint8_t> bytes,
                                     std::span<const uint8_t> payload, bool via_group) {
  const bool quiet = Quiet(peer, via_group);
  if (!wire::IsKnownCommand(h.command)) {
    if (!quiet) SendNak(peer.endpoint, h, Errc::kUnknownCommand);
    return;
  }
  Session* s =
      h.session == wire::kOpeningSession ? &OpeningSession(peer) : FindSession(peer, h.session);
  if (!s) {
    ++stats.unknown_session;
    if (!quiet) SendNak(peer.endpoint, h, Errc::kUnknownSession);
    return;
  }
  const TimePoint now = clock.Now();
  // Sealed datagrams are authenticated before anything answers them, duplicates included:
  // a forged or replayed copy of a recent message must draw no ACK and no resent reply.
  if (!OpenPayload(s, peer.endpoint, h, bytes, payload, quiet)) return;
  if (IsDuplicate(*s, h, now)) {
    ++stats.duplicates;
    NoteAnomaly(&peer);
    if (!AnswersDuplicate(h)) return;
    if (!quiet) SendAck(peer.endpoint, h);
    // If our reply is still unacknowledged, the requester has not got it: send it again,
    // at most once per RTO floor however many copies of the request arrive (spec 2).
    auto it = pending_by_key.find(TransactionKey{peer.id, h.session, h.transaction, true}.Packed());
    if (it != pending_by_key.end()) {
      Pending& reply = *pending.at(it->second);
      if (now - reply.last_sent >= config.rto.floor) {
        ++stats.retransmissions;
        TransmitOnTimeout(reply);
      }
    }
    return;
  }
  if (IsStaleCopy(*s, h, now)) {
    // A late copy of the previous use of this id, which we accepted and the sender has
    // finished with: neither delivered nor ACKed (an ACK could finish the id's new use).
    ++stats.stale_copies;
    NoteAnomaly(&peer);
    return;
  }
  std::vector<uint8_t> whole;
  if (h.multi) {
    if (!Reassemble(peer, h, payload, false, s->cipher.get(), whole)) return;
  } else {
    whole.assign(payload.begin(), payload.end());
  }
  MarkAccepted(*s, h, now);
  // A new message on this id means the peer has our reply to its previous use: stop
  // resending that reply.
  if (auto it =
          pending_by_key.find(TransactionKey{peer.id, h.session, h.transaction, true}.Packed());
      it != pending_by_key.end()) {
    Finish(it->second, {});
  }
  if (!quiet) SendAck(peer.endpoint, h);
  ++stats.messages_delivered;
  handler.OnMessage(MakeMessage(peer, h, std::move(whole), via_group));
}

void Engine::Impl::OnIncomingReply(const Endpoint& from, Peer* peer, const Header& h,
                                   std::span<const uint8_t> bytes, std::span<const uint8_t> payload,
                                   bool via_group) {
  Pending* p = MatchAnswer(peer, h, false);
  if (p && !peer) peer = GetOrCreatePeer(from);  // first word from a group member
  if (!peer) {
    ++stats.unmatched;
    return;
  }
  const bool quiet = Quiet(*peer, via_group);
  Session* s =
      h.session == wire::kOpeningSession ? &OpeningSession(*peer) : FindSession(*peer, h.session);
  if (p && p->stale_reply_ms && *p->stale_reply_ms == h.sent.MillisOfHour()) {
    // The reply to the previous use of this id, resent because our ACK was lost: not the
    // answer to the new request. Left unACKed; its sender drops it on our new request.
    ++stats.stale_copies;
    NoteAnomaly(peer);
    return;
  }
  if (!p) {
    // A reply we accepted before: our ACK was lost, so ACK again. Anything else, such as a
    // second OPEN_SESSION reply after a lost ballot, stays unanswered so that its sender
    // gives up and drops the session (spec 4 step 4).
    // (A sealed copy is authenticated first, quietly: no ACK for a forgery or a replay.)
    if (s && s->replied[h.transaction] &&
        (!s->cipher || OpenPayload(s, from, h, bytes, payload, true))) {
      ++stats.duplicates;
      NoteAnomaly(peer);
      if (!quiet && AnswersDuplicate(h)) {
        SendAck(from, h);
        // A copy of this ACK could outlive the id's quarantine and ACK the peer's reply to
        // the id's next use: restart the quarantine from now.
        if (!s->sent_ids) s->sent_ids = std::make_unique<internal::OutboundIdHistory>();
        const TimePoint now = clock.Now();
        s->sent_ids->Extend(h.transaction, now, now + peer->rto.rto(), h.sent.MillisOfHour());
      }
    } else {
      ++stats.unmatched;
    }
    return;
  }
  if (!OpenPayload(s, from, h, bytes, payload, quiet)) return;
  std::vector<uint8_t> whole;
  if (h.multi) {
    if (!Reassemble(*peer, h, payload, true, s ? s->cipher.get() : nullptr, whole)) return;
  } else {
    whole.assign(payload.begin(), payload.end());
  }
  Message reply = MakeMessage(*peer, h, std::move(whole), via_group);
  if (p->accept_reply && !p->accept_reply(reply)) {
    ++stats.rejected_replies;  // unACKed: its sender gives up on it; ours waits on
    return;
  }
  if (s) s->replied.set(h.transaction);
  if (!quiet) SendAck(from, h);
  // The reply stands for the ACK that may have been lost; it is also a fair RTT sample.
  if (p->state == Pending::State::kAwaitAck && p->transmissions == 1 && !p->group) {
    peer->rto.Sample(clock.Now() - p->last_sent);
  }
  ++stats.replies_delivered;
  Finish(p->id, {}, std::move(reply));
}

Message Engine::Impl::MakeMessage(const Peer& peer, const Header& h, std::vector<uint8_t> payload,
                                  bool via_group) {
  Message m;
  m.peer = peer.endpoint;
  m.header = h;
  m.header.multi = false;
  m.header.buffer = 0;
  m.header.buffers = 1;
  m.payload = std::move(payload);
  m.latency = ComputeLatency(h.sent, clock.SentTimeNow());
  if (m.latency.clock_skew) ++stats.clock_skew;
  m.via_group = via_group;
  m.sealed_by = sealed_by;
  return m;
}

}  // namespace dabs::mp
