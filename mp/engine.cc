// Engine set-up, peers, sessions, timers and completions. The outbound and inbound halves
// are in engine_send.cc and engine_receive.cc.
#include <algorithm>
#include <cassert>

#include <dabs/mp/system_messages.h>

#include "engine_impl.h"

namespace dabs::mp {

namespace {
constexpr Duration kSweepPeriod = milliseconds(5000);
constexpr Duration kMinQuarantine = std::chrono::microseconds(1100);
constexpr Duration kAnomalyMemory = milliseconds(10'000);
}  // namespace

Engine::Impl::Impl(const EngineConfig& cfg, const Clock& clk, Random& rnd, DatagramSink& snk,
                   EngineHandler& hnd)
    : config(cfg), clock(clk), random(rnd), sink(snk), handler(hnd), reassembly(cfg.reassembly) {
  scratch.resize(wire::kMaxDatagram);
  group_session.next_transaction = static_cast<uint8_t>(random.Next());
  group_session.oldest = group_session.next_transaction;
}

// ---------------------------------------------------------------------------- peers

Engine::Impl::Peer* Engine::Impl::FindPeer(const Endpoint& e) const {
  auto it = peer_ids.find(e);
  return it == peer_ids.end() ? nullptr : peers.at(it->second).get();
}

Engine::Impl::Peer* Engine::Impl::PeerById(uint32_t id) const {
  auto it = peers.find(id);
  return it == peers.end() ? nullptr : it->second.get();
}

Engine::Impl::Peer* Engine::Impl::GetOrCreatePeer(const Endpoint& e) {
  if (Peer* p = FindPeer(e)) return p;
  if (peers.size() >= config.max_peers) return nullptr;
  auto peer = std::make_unique<Peer>();
  peer->id = next_peer_id++;
  if (next_peer_id == 0) next_peer_id = 1;  // after 2^32 peers: ids of long-gone peers recur
  peer->endpoint = e;
  peer->rto = RtoEstimator(config.rto);
  peer->last_activity = clock.Now();
  Peer* raw = peer.get();
  peer_ids.emplace(e, raw->id);
  peers.emplace(raw->id, std::move(peer));
  if (next_sweep == TimePoint{}) next_sweep = clock.Now() + kSweepPeriod;
  return raw;
}

// ---------------------------------------------------------------------------- sessions

Engine::Impl::Session* Engine::Impl::FindSession(Peer& peer, uint8_t id) const {
  for (auto& s : peer.sessions) {
    if (s->id == id) return s.get();
  }
  return nullptr;
}

Engine::Impl::Session& Engine::Impl::OpeningSession(Peer& peer) {
  if (Session* s = FindSession(peer, wire::kOpeningSession)) return *s;
  auto s = std::make_unique<Session>();
  s->id = wire::kOpeningSession;
  // A random start, so that a client restarting on the same port within the 30 s of
  // spec 4 step 5 is not mistaken for a retransmission of its earlier request.
  s->next_transaction = static_cast<uint8_t>(random.Next());
  s->oldest = s->next_transaction;
  peer.sessions.push_back(std::move(s));
  return *peer.sessions.back();
}

void Engine::Impl::OpenSession(const Endpoint& e, uint8_t id, SessionOptions options) {
  Peer* peer = GetOrCreatePeer(e);
  if (!peer) return;
  if (id == wire::kOpeningSession) {
    OpeningSession(*peer).cipher = std::move(options.cipher);
    return;
  }
  if (FindSession(*peer, id)) CloseSession(e, id);
  auto s = std::make_unique<Session>();
  s->id = id;
  s->cipher = std::move(options.cipher);
  peer->sessions.push_back(std::move(s));
}

void Engine::Impl::CloseSession(const Endpoint& e, uint8_t id) {
  Peer* peer = FindPeer(e);
  if (!peer) return;
  std::vector<uint64_t> doomed;
  for (const auto& [pid, p] : pending) {
    if (p->peer == peer && p->session == id && !p->group) doomed.push_back(pid);
  }
  auto it = std::find_if(peer->sessions.begin(), peer->sessions.end(),
                         [id](const auto& s) { return s->id == id; });
  if (it == peer->sessions.end()) return;
  std::unique_ptr<Session> session = std::move(*it);
  peer->sessions.erase(it);
  for (uint64_t pid : doomed)
    Finish(pid, Errc::kSessionClosed);
  if (session->queue) {
    for (auto& q : *session->queue) {
      --peer->pending;
      completions.emplace_back(std::move(q->done),
                               SendResult{Errc::kSessionClosed, std::nullopt, q->client_id, 0, {}});
    }
  }
}

// ---------------------------------------------------------------------------- timers

void Engine::Impl::Arm(Pending& p, TimePoint deadline) {
  p.deadline = deadline;
  timers.push({deadline, p.id});
}

std::optional<TimePoint> Engine::Impl::NextDeadline() {
  // Drop stale entries (answered or re-armed sends) so the top is a real deadline.
  while (!timers.empty()) {
    auto it = pending.find(timers.top().id);
    if (it != pending.end() && it->second->deadline == timers.top().at) break;
    timers.pop();
  }
  std::optional<TimePoint> next;
  if (!timers.empty()) next = timers.top().at;
  if (reassembly.partial_count() > 0) {
    if (next_housekeeping == TimePoint{})
      next_housekeeping = clock.Now() + config.missing_buffers_idle;
    next = next ? std::min(*next, next_housekeeping) : next_housekeeping;
  }
  if (next_sweep != TimePoint{}) next = next ? std::min(*next, next_sweep) : next_sweep;
  if (!wakes.empty()) next = next ? std::min(*next, wakes.top().at) : wakes.top().at;
  return next;
}

void Engine::Impl::OnTimer() {
  const TimePoint now = clock.Now();
  while (!timers.empty() && timers.top().at <= now) {
    const TimerEntry entry = timers.top();
    timers.pop();
    auto it = pending.find(entry.id);
    if (it == pending.end() || it->second->deadline != entry.at) continue;  // stale
    OnExpiry(*it->second, now);
  }
  while (!wakes.empty() && wakes.top().at <= now) {
    const Wake w = wakes.top();
    wakes.pop();
    Peer* peer = PeerById(w.peer);
    Session* s = peer ? FindSession(*peer, w.session) : nullptr;
    if (s) Pump(*peer, *s);
  }
  if (reassembly.partial_count() > 0 && now >= next_housekeeping) {
    Housekeeping(now);
    next_housekeeping = now + config.missing_buffers_idle;
  } else if (reassembly.partial_count() == 0) {
    next_housekeeping = TimePoint{};
  }
  if (next_sweep != TimePoint{} && now >= next_sweep) {
    SweepPeers(now);
    next_sweep = peers.empty() ? TimePoint{} : now + kSweepPeriod;
  }
  RunCompletions();
}

// Reassembly upkeep: NAK 12 for partial messages that ran out of time, NAK 13 listing the
// missing buffers of those that stalled (spec 1.5).
void Engine::Impl::Housekeeping(TimePoint now) {
  for (const auto& expired : reassembly.Expire(now)) {
    ++stats.reassembly_timeouts;
    Peer* peer = PeerById(expired.key.peer);
    if (peer && !peer->endpoint.IsReliableLink()) {
      SendNak(peer->endpoint, expired.header, Errc::kReassemblyTimeout);
    }
  }
  const size_t max_listed = NakPayload::MaxMissingPerNak(wire::kHeaderSize + wire::kCrcSize);
  auto prompt = [&](const TransactionKey& key, const Header& h, Duration idle_for) {
    Peer* peer = PeerById(key.peer);
    if (!peer || peer->endpoint.IsReliableLink()) return;
    // Give the sender at least one smoothed round trip to fill the gaps before prompting.
    if (idle_for < std::max(config.missing_buffers_idle, peer->rto.srtt())) return;
    auto missing = reassembly.Missing(key, max_listed);
    if (missing.empty()) return;
    ++stats.missing_buffer_naks_sent;
    SendNak(peer->endpoint, h, Errc::kMissingBuffers, missing);
    reassembly.MarkPrompted(key, now);
  };
  reassembly.ForEachStalled(now, config.missing_buffers_idle, prompt);
}

void Engine::Impl::SweepPeers(TimePoint now) {
  for (auto it = peers.begin(); it != peers.end();) {
    Peer& peer = *it->second;
    // Forget the opening transactions older than the duplicate window, and id histories
    // that have aged out.
    for (auto& s : peer.sessions) {
      if (s->sent_ids) {
        s->sent_ids->Prune(now);
        if (s->sent_ids->empty()) s->sent_ids.reset();
      }
      if (s->received_ids) {
        s->received_ids->Prune(now);
        if (s->received_ids->empty()) s->received_ids.reset();
      }
      std::erase_if(s->opening_seen, [&](const Session::Opening& seen) {
        return now - seen.at > config.opening_dedup_window;
      });
    }
    const bool only_opening =
        peer.sessions.empty() ||
        (peer.sessions.size() == 1 && peer.sessions[0]->id == wire::kOpeningSession &&
         peer.sessions[0]->opening_seen.empty() && peer.sessions[0]->queued() == 0);
    if (peer.pending == 0 && only_opening && now - peer.last_activity > config.idle_peer_timeout) {
      reassembly.DropPeer(peer.id);
      peer_ids.erase(peer.endpoint);
      it = peers.erase(it);
    } else {
      ++it;
    }
  }
}

// ---------------------------------------------------------------------------- completion

void Engine::Impl::Finish(uint64_t id, std::error_code ec, std::optional<Message> reply,
                          std::string text) {
  auto it = pending.find(id);
  assert(it != pending.end());
  std::unique_ptr<Pending> p = std::move(it->second);
  pending.erase(it);
  if (p->group) {
    group_pending.erase(p->transaction);
  } else {
    pending_by_key.erase(
        TransactionKey{p->peer->id, p->session, p->transaction, p->is_reply}.Packed());
  }
  --p->peer->pending;
  if (!p->is_reply) {
    Session* s = p->group ? &group_session : FindSession(*p->peer, p->session);
    if (s) {
      s->unfinished.reset(p->transaction);
      RecordCompletion(*p->peer, *s, *p, reply ? &*reply : nullptr);
      Pump(*p->peer, *s);
    }
  }
  if (ec) ++stats.send_failures;
  if (p->done) {
    completions.emplace_back(std::move(p->done), SendResult{ec, std::move(reply), p->client_id,
                                                            p->transmissions, std::move(text)});
  }
}

bool Engine::Impl::CanLaunch(Session& s, TimePoint now, std::optional<TimePoint>* wake) {
  while (s.oldest != s.next_transaction && !s.unfinished[s.oldest])
    ++s.oldest;
  // The ids awaiting an answer span at most 128 (spec 1.3): the peer's window relies on it.
  if (static_cast<uint8_t>(s.next_transaction - s.oldest) >= wire::kMaxInFlight) return false;
  if (s.sent_ids) {
    if (auto until = s.sent_ids->HeldUntil(s.next_transaction, now)) {
      if (wake) *wake = *until;
      return false;
    }
  }
  return true;
}

void Engine::Impl::Pump(Peer& peer, Session& s) {
  const TimePoint now = clock.Now();
  while (s.queue && !s.queue->empty()) {
    std::optional<TimePoint> wake;
    if (!CanLaunch(s, now, &wake)) {
      // Held by the window: the oldest send's end pumps again. Held by the quarantine of
      // the next id: come back when it is over.
      if (wake) wakes.push({*wake, peer.id, s.id});
      return;
    }
    std::unique_ptr<Pending> next = std::move(s.queue->front());
    s.queue->pop_front();
    Launch(s, std::move(next));
  }
}

void Engine::Impl::RecordCompletion(Peer& peer, Session& s, const Pending& p,
                                    const Message* reply) {
  if (p.group || p.reliable) return;
  const TimePoint now = clock.Now();
  // A clear millisecond, so that the next use of the id has another sent time than this
  // one (a one-way message), and its reply another than this one's reply (a request).
  TimePoint at = (reply ? now : p.first_sent) + kMinQuarantine;
  // Stray copies exist only when something was sent twice: our retransmission, or a
  // duplicate seen lately. Then they may come for as long as a retransmission timeout
  // after our last transmission.
  const bool troubled =
      p.transmissions > 1 || p.naks > 0 || p.missing_rounds > 0 ||
      (peer.last_anomaly != TimePoint{} && now - peer.last_anomaly < kAnomalyMemory);
  if (troubled) at = std::max(at, std::max(now, p.last_sent) + peer.rto.rto());
  if (at <= now && !reply && (!s.sent_ids || s.sent_ids->empty())) return;  // nothing to hold
  if (!s.sent_ids) s.sent_ids = std::make_unique<internal::OutboundIdHistory>();
  s.sent_ids->Finished(p.transaction, now, at,
                       reply ? std::optional(reply->header.sent.MillisOfHour()) : std::nullopt);
}

void Engine::Impl::Fail(Pending& p, Errc error, std::string text, bool report) {
  ErrorReport r{error, p.peer->endpoint, p.session, p.transaction, p.command, p.is_reply, text};
  Finish(p.id, error, std::nullopt, std::move(text));  // p is gone from here on
  if (report) handler.OnErrorReport(r);
}

void Engine::Impl::RunCompletions() {
  // Callbacks run after the engine's state is consistent, one at a time, never nested:
  // a callback that sends again only queues further completions.
  if (running_completions) return;
  running_completions = true;
  while (!completions.empty()) {
    auto [done, result] = std::move(completions.front());
    completions.pop_front();
    done(std::move(result));
  }
  running_completions = false;
}

// ---------------------------------------------------------------------------- Engine

Engine::Engine(const EngineConfig& config, const Clock& clock, Random& random, DatagramSink& sink,
               EngineHandler& handler)
    : impl_(std::make_unique<Impl>(config, clock, random, sink, handler)) {}

Engine::~Engine() = default;

void Engine::OpenSession(const Endpoint& peer, uint8_t id, SessionOptions options) {
  impl_->OpenSession(peer, id, std::move(options));
}

void Engine::CloseSession(const Endpoint& peer, uint8_t id) {
  impl_->CloseSession(peer, id);
  impl_->RunCompletions();
}

bool Engine::HasSession(const Endpoint& e, uint8_t id) const {
  Impl::Peer* peer = impl_->FindPeer(e);
  return peer && (id == wire::kOpeningSession || impl_->FindSession(*peer, id));
}

void Engine::Send(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
                  std::vector<uint8_t> payload, const SendOptions& options, SendCallback done) {
  impl_->Send(peer, session, command, va, std::move(payload), options, std::move(done));
  impl_->RunCompletions();
}

Status Engine::Reply(const Message& request, std::vector<uint8_t> payload, Va va) {
  return ReplyTo(request.peer, request.header.session, request.header.transaction,
                 request.header.command, va, std::move(payload));
}

Status Engine::ReplyTo(const Endpoint& peer, uint8_t session, uint8_t transaction, uint16_t command,
                       Va va, std::vector<uint8_t> payload) {
  Status s = impl_->ReplyTo(peer, session, transaction, command, va, std::move(payload));
  impl_->RunCompletions();
  return s;
}

void Engine::Nak(const Endpoint& peer, const Header& request, Errc error, std::string_view text) {
  impl_->SendNak(peer, request, error, {}, text);
}

void Engine::OnDatagram(const Endpoint& from, std::span<const uint8_t> bytes, bool via_group,
                        uint32_t sealed_by) {
  impl_->sealed_by = sealed_by;
  impl_->OnDatagram(from, bytes, via_group);
  impl_->sealed_by = 0;
  impl_->RunCompletions();
}

void Engine::FailAll(Errc error) {
  Impl& m = *impl_;
  std::vector<uint64_t> ids;
  ids.reserve(m.pending.size());
  for (const auto& [id, p] : m.pending)
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // oldest first, so queued sends are not launched again
  auto drain = [&](Impl::Session& s, Impl::Peer* peer) {
    if (!s.queue) return;
    for (auto& q : *s.queue) {
      if (peer) --peer->pending;
      if (q->peer && !peer) --q->peer->pending;
      m.completions.emplace_back(std::move(q->done),
                                 SendResult{error, std::nullopt, q->client_id, 0, {}});
    }
    s.queue.reset();
  };
  // Empty the queues first so that finishing a send does not launch the next one.
  for (auto& [pid, peer] : m.peers) {
    for (auto& s : peer->sessions)
      drain(*s, peer.get());
  }
  drain(m.group_session, nullptr);
  for (uint64_t id : ids) {
    if (m.pending.count(id)) m.Finish(id, error);
  }
  m.RunCompletions();
}

void Engine::OnTimer() {
  impl_->OnTimer();
}

std::optional<TimePoint> Engine::NextDeadline() const {
  return impl_->NextDeadline();
}

size_t Engine::pending_count() const {
  return impl_->pending.size();
}
size_t Engine::peer_count() const {
  return impl_->peers.size();
}
const EngineStats& Engine::stats() const {
  return impl_->stats;
}
const EngineConfig& Engine::config() const {
  return impl_->config;
}

Duration Engine::RtoFor(const Endpoint& e) const {
  Impl::Peer* peer = impl_->FindPeer(e);
  return peer ? peer->rto.rto() : impl_->config.rto.initial;
}

}  // namespace dabs::mp
