// dabs-lbd: starvation avoidance (seeds 000 and 004; DESIGN.md section 3; D72-D74). Before
// every HELLO this server says whether it is a source, a sink or neither (BALANCE). Every
// rebalance period each server plans from the same HELLOs: the worst source and the best sink
// (farm/balance.h). Only the source acts, one session at a time:
//
//   source dabs-lbd --MIGRATE save--> its DASP          freezes the session, gives its state
//   source dabs-lbd --MIGRATE place--> sink dabs-lbd    (sealed) restores it in an instance,
//                                                       started there when none has room
//   source dabs-lbd --REDIRECT--> its DASP              which tells the client and lets go
//
// A failure before the REDIRECT is ACKed leaves the session where it was (MIGRATE release to
// the DASP, MIGRATE drop to the sink); the session may be picked again in a later period.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dabs/mp/coding.h>
#include <dabs/mp/tlv.h>
#include <dabs/mp/wire.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {

constexpr auto kSaveTimeout = std::chrono::seconds(4);       // the DASP waits 2 s for replies
constexpr auto kPlaceTimeout = std::chrono::seconds(10);     // a cold start at the sink
constexpr auto kRestoreTimeout = std::chrono::seconds(5);    // ADD_CLIENT with SAVED
constexpr auto kRedirectTimeout = std::chrono::seconds(20);  // the client's ACK, resent
constexpr uint64_t kMovesKept = 1000;
constexpr auto kDrainTimeout = std::chrono::seconds(10);      // then the stop goes on regardless
constexpr auto kDrainRetry = std::chrono::milliseconds(100);  // after a move that failed

std::string MoveKey(uint64_t seq) {
  std::string key(9, 'm');
  mp::PutU64(reinterpret_cast<uint8_t*>(key.data() + 1), seq);
  return key;
}

// The NAK to pass on for an instance's failure: its own when it NAKed, else NO_CAPACITY.
mp::Errc NakCode(const std::error_code& e) {
  if (e && e.category() == mp::MpCategory() && e.value() != 0)
    return static_cast<mp::Errc>(e.value());
  return mp::Errc::kNoCapacity;
}

}  // namespace

void Lbd::Impl::StartRebalancing() {
  rebalance_timer.emplace(io);
  // This run's counters from zero: SNMP must not show a previous run's until the first move.
  writer->Post([counters = MovesRecordValue()](store::WriteTxn& txn) {
    return txn.Put(store::Database::kStatistics, "moves/dabs-lbd", counters);
  });
  RebalanceTick();
}

void Lbd::Impl::RebalanceTick() {
  if (!rebalance_timer || leaving) return;
  if (rebalancer->enabled() && !moving && !draining && clock.Now() >= voting_from) {
    const auto view = BalanceView();
    if (auto plan = PlanMove(view, rebalancer->config().mode);
        plan && plan->source == options.server) {
      StartMove(*plan);
    }
  }
  // Off (period 0): look again in a second, in case the configuration turns it on.
  const mp::Duration next =
      rebalancer->enabled() ? rebalancer->period() : mp::Duration(std::chrono::seconds(1));
  rebalance_timer->expires_after(next);
  rebalance_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->RebalanceTick();
  });
}

void Lbd::Impl::NoteStarvation(mp::Va va, const mp::StateChange& change) {
  switch (change.reason) {
    case mp::StateReason::kBacklog:  // reported on when it starts, and again when it clears
      if (change.state == mp::wire::DaspState::kBusy) {
        rebalancer->NoteStarving(va, change.reason, true);
      } else {
        rebalancer->NoteRelieved(va);
      }
      break;
    case mp::StateReason::kLatencyHigh:
      rebalancer->NoteStarving(va, change.reason, true);
      break;
    case mp::StateReason::kLatencyLow:
      rebalancer->NoteRelieved(va);
      break;
    case mp::StateReason::kLockTimeout:
    case mp::StateReason::kWriteTimeout:
      rebalancer->NoteStarving(va, change.reason, false);
      break;
    default:
      break;
  }
}

OwnSignals Lbd::Impl::OwnBalanceSignals() const {
  OwnSignals own;
  own.starving = latency_high;
  own.below_minimums = below_minimums;
  own.leaving = leaving || draining;
  own.load_x100 = load_x100;
  own.sessions = SessionsOnThisServer();
  own.room = !leaving;
  return own;
}

std::vector<ServerBalance> Lbd::Impl::BalanceView() const {
  std::vector<ServerBalance> view;
  for (const Member* m : members->Alive()) {
    auto announced = hello_sessions.find(m->id);
    view.push_back({m->id, m->index, BalanceStateFromWire(m->balance), m->load_x100,
                    announced == hello_sessions.end() ? 0 : announced->second});
  }
  return view;
}

void Lbd::Impl::EvaluateBalance() {
  Member& self = members->self();
  const auto before = BalanceStateFromWire(self.balance);
  if (!rebalancer->enabled()) {
    self.balance = static_cast<uint8_t>(BalanceState::kNeither);
    return;
  }
  double total = 0;
  size_t servers = 0;
  for (const Member* m : members->Alive()) {
    ++servers;
    if (m->self) {
      total += SessionsOnThisServer();
    } else if (auto it = hello_sessions.find(m->id); it != hello_sessions.end()) {
      total += it->second;
    }
  }
  const double mean = servers ? total / static_cast<double>(servers) : 0;
  const BalanceState now = rebalancer->Evaluate(OwnBalanceSignals(), mean);
  self.balance = static_cast<uint8_t>(now);
  if (now != before) {
    spdlog::info("balance: {} -> {} ({} sessions, farm mean {:.1f}{})", BalanceStateName(before),
                 BalanceStateName(now), SessionsOnThisServer(), mean,
                 rebalancer->AnyStarving() ? ", starving: " + rebalancer->last_reason() : "");
  }
}

// ---------------------------------------------------------------------------- the source

void Lbd::Impl::StartMove(const MovePlan& plan) {
  std::vector<MoveCandidate> candidates;
  for (const auto& [va, s] : sessions) {
    auto in = instances.find(s.dasp_va);
    const bool movable = !s.unmovable && in != instances.end() && in->second.movable &&
                         in->second.Started() && in->second.Live();
    if (!movable) continue;
    candidates.push_back({va, rebalancer->Starving(s.dasp_va), true, s.moves});
  }
  auto pick = PickSession(candidates, rebalancer->last_moved());
  if (!pick) {
    spdlog::debug("rebalance: {} is the source but holds no session that can move", options.server);
    return;
  }
  const LocalSession& s = sessions.at(*pick);
  const LocalInstance& instance = instances.at(s.dasp_va);
  ActiveMove move;
  move.id = ++move_seq;
  move.client_va = *pick;
  move.dasp_va = s.dasp_va;
  move.plan = plan;
  move.why = leaving || draining         ? "drain"
             : rebalancer->AnyStarving() ? rebalancer->last_reason()
             : latency_high              ? "latency high"
                                         : "spread";
  move.frozen_at = clock.Now();
  moving = move;
  spdlog::debug("rebalance: moving {} ({}) from {} to {} ({})", mp::FormatVa(*pick), s.app,
                plan.source, plan.sink, move.why);
  const mp::Migrate save = mp::Migrate::Of(mp::MigrateOp::kSave, *pick);
  mp::SendOptions o;
  o.reply_timeout = kSaveTimeout;
  node->Send(mp::Endpoint::Local(instance.control), mp::wire::kOpeningSession, mp::wire::kMigrate,
             instance.va, save.Encode(), o,
             [self = shared_from_this()](mp::SendResult&& r) { self->OnMoveSaved(std::move(r)); });
}

void Lbd::Impl::OnMoveSaved(mp::SendResult&& r) {
  if (!moving) return;
  auto session = sessions.find(moving->client_va);
  if (r.error || !r.reply || session == sessions.end()) {
    // Never movable: an application that does not save sessions, or an encrypted session.
    if (session != sessions.end() &&
        (r.error == mp::Errc::kUnknownCommand || r.error == mp::Errc::kCrypto)) {
      session->second.unmovable = true;
    }
    return EndMove("the instance did not save it: " +
                   (r.error ? r.error.message() + (r.text.empty() ? "" : ": " + r.text)
                            : std::string("the session closed")));
  }
  auto saved = mp::Migrate::Decode(r.reply->payload);
  const Member* sink = members->Find(moving->plan.sink);
  if (!saved || !sink) {
    if (auto in = instances.find(moving->dasp_va); in != instances.end()) {
      mp::SendOptions o;
      node->Send(mp::Endpoint::Local(in->second.control), mp::wire::kOpeningSession,
                 mp::wire::kMigrate, in->second.va,
                 mp::Migrate::Of(mp::MigrateOp::kRelease, moving->client_va).Encode(), o,
                 [](mp::SendResult&&) {});
    }
    return EndMove(!saved ? "the instance's save did not decode" : "the sink left the farm");
  }
  mp::Migrate place = std::move(*saved);
  place.op = mp::MigrateOp::kPlace;
  place.move_id = moving->id;
  place.moves = session->second.moves;
  place.from = options.server;
  place.reason = moving->why;
  moving->state_bytes = static_cast<uint32_t>(place.state.size());
  mp::SendOptions o;
  o.reply_timeout = kPlaceTimeout;
  node->Send(sink->lbd, mp::wire::kOpeningSession, mp::wire::kMigrate, mp::kVaNone, place.Encode(),
             o, [self = shared_from_this()](mp::SendResult&& placed) {
               self->OnMovePlaced(std::move(placed));
             });
}

void Lbd::Impl::OnMovePlaced(mp::SendResult&& r) {
  if (!moving) return;
  auto in = instances.find(moving->dasp_va);
  std::optional<mp::Redirect> there;
  if (!r.error && r.reply) {
    if (auto d = mp::Redirect::Decode(r.reply->payload)) there = *d;
  }
  if (in == instances.end() || !there) {
    if (in != instances.end()) {
      mp::SendOptions o;
      node->Send(mp::Endpoint::Local(in->second.control), mp::wire::kOpeningSession,
                 mp::wire::kMigrate, in->second.va,
                 mp::Migrate::Of(mp::MigrateOp::kRelease, moving->client_va).Encode(), o,
                 [](mp::SendResult&&) {});
    }
    return EndMove("the sink did not take it: " +
                   (r.error ? r.error.message() + (r.text.empty() ? "" : ": " + r.text)
                            : std::string("no instance here")));
  }
  moving->placed = true;
  there->client = moving->client_va;
  mp::SendOptions o;
  o.reply_timeout = kRedirectTimeout;
  node->Send(mp::Endpoint::Local(in->second.control), mp::wire::kOpeningSession,
             mp::wire::kRedirect, in->second.va, there->Encode(), o,
             [self = shared_from_this()](mp::SendResult&& committed) {
               self->OnMoveCommitted(std::move(committed));
             });
}

void Lbd::Impl::OnMoveCommitted(mp::SendResult&& r) {
  if (!moving) return;
  auto session = sessions.find(moving->client_va);
  if (r.error) {
    // The client never ACKed the REDIRECT (the DASP kept the session): the sink forgets its
    // copy, and the directory hears again that the session is here.
    if (const Member* sink = members->Find(moving->plan.sink)) {
      mp::SendOptions o;
      node->Send(sink->lbd, mp::wire::kOpeningSession, mp::wire::kMigrate, mp::kVaNone,
                 mp::Migrate::Of(mp::MigrateOp::kDrop, moving->client_va).Encode(), o,
                 [](mp::SendResult&&) {});
    }
    if (session != sessions.end()) AnnounceClient(session->second, false);
    return EndMove("the client did not follow the REDIRECT: " + r.error.message());
  }
  if (session != sessions.end()) sessions.erase(session);
  if (auto in = instances.find(moving->dasp_va); in != instances.end()) {
    auto t = mp::TlvList::Parse(r.reply ? std::span<const uint8_t>(r.reply->payload)
                                        : std::span<const uint8_t>());
    const auto left = t ? t->U32(mp::local_tag::kSessions) : std::nullopt;
    in->second.sessions = left ? *left : (in->second.sessions ? in->second.sessions - 1 : 0);
  }
  rebalancer->Moved(moving->client_va);
  ++counters.moves_out;
  EndMove("moved");
}

void Lbd::Impl::EndMove(const std::string& outcome) {
  const ActiveMove m = *moving;
  moving.reset();
  const bool moved = outcome == "moved";
  if (!moved) ++counters.move_failures;
  store::MoveRecord r;
  r.at_ms = NowMs();
  r.client_va = m.client_va;
  if (auto in = instances.find(m.dasp_va); in != instances.end()) r.app = in->second.app;
  r.from = m.plan.source;
  r.to = m.plan.sink;
  r.why = m.why;
  r.from_load_x100 = m.plan.source_load_x100;
  r.to_load_x100 = m.plan.sink_load_x100;
  r.from_sessions = m.plan.source_sessions;
  r.to_sessions = m.plan.sink_sessions;
  r.pause_us = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(clock.Now() - m.frozen_at).count());
  r.state_bytes = m.state_bytes;
  r.outcome = outcome;
  if (moved) {
    spdlog::info("moved {} ({}) from {} to {} ({}): {} us", mp::FormatVa(r.client_va), r.app,
                 r.from, r.to, r.why, r.pause_us);
  } else {
    spdlog::warn("move of {} ({}) to {} failed: {}", mp::FormatVa(r.client_va), r.app, r.to,
                 outcome);
    if (draining) drain_refused.insert(r.to);
  }
  RecordMove(r);
  if (draining) {
    // The next session at once; after a failure a little later (the view may be stale).
    auto next =
        std::make_shared<boost::asio::steady_timer>(io, moved ? mp::Duration(0) : kDrainRetry);
    next->async_wait(
        [self = shared_from_this(), next](const boost::system::error_code&) { self->DrainStep(); });
  }
}

// ---------------------------------------------------------------------------- a clean stop

bool Lbd::Impl::HasMovableSessions() const {
  for (const auto& [va, s] : sessions) {
    auto in = instances.find(s.dasp_va);
    if (!s.unmovable && in != instances.end() && in->second.movable && in->second.Started() &&
        in->second.Live()) {
      return true;
    }
  }
  return false;
}

// This server as the only source, the best sink among the others that have not refused.
std::optional<MovePlan> Lbd::Impl::DrainPlan() const {
  auto view = BalanceView();
  for (auto& s : view) {
    if (s.id == options.server) {
      s.state = BalanceState::kSource;
    } else if (s.state == BalanceState::kSource || drain_refused.count(s.id)) {
      s.state = BalanceState::kNeither;
    }
  }
  auto plan = PlanMove(view, rebalancer->config().mode);
  if (plan && plan->source != options.server) return std::nullopt;
  return plan;
}

bool Lbd::Impl::StartDrain(std::function<void()> then) {
  if (!rebalancer->enabled() || !HasMovableSessions() || !DrainPlan()) return false;
  draining = true;
  after_drain = std::move(then);
  drain_deadline = clock.Now() + kDrainTimeout;
  spdlog::info("stopping: moving this server's {} sessions to the others first", sessions.size());
  EvaluateBalance();  // a source from now on: no votes, and the others hear it at once
  SendHelloNow();
  DrainStep();
  return true;
}

void Lbd::Impl::DrainStep() {
  if (!draining || leaving || moving) return;  // a move in flight calls again when it ends
  std::optional<MovePlan> plan;
  if (clock.Now() < drain_deadline && HasMovableSessions()) plan = DrainPlan();
  if (plan) StartMove(*plan);
  if (moving) return;
  spdlog::info("stopping: {} sessions left here ({})", sessions.size(),
               clock.Now() >= drain_deadline ? "the drain's time ran out" : "none can move");
  if (auto then = std::move(after_drain)) {
    after_drain = nullptr;
    then();
  }
}

void Lbd::Impl::RecordMove(const store::MoveRecord& record) {
  store::MoveRecord r = record;
  r.seq = ++decision_seq;  // one sequence for the placement database's ring
  recent_moves.push_back(r);
  if (recent_moves.size() > kRecentMoves) recent_moves.pop_front();
  writer->Post([seq = r.seq, json = store::ToJson(r),
                counters = MovesRecordValue()](store::WriteTxn& txn) -> Status {
    if (Status s = txn.Put(store::Database::kPlacement, MoveKey(seq), json); !s) return s;
    if (seq > kMovesKept) (void)txn.Delete(store::Database::kPlacement, MoveKey(seq - kMovesKept));
    // For dabs-statd (SNMP: a counter and a notification per move), beside security/.
    return txn.Put(store::Database::kStatistics, "moves/dabs-lbd", counters);
  });
}

// {"moves_out", "moves_in", "move_failures", "recent": [the last kRecentMoves MoveRecords]}
std::string Lbd::Impl::MovesRecordValue() const {
  nlohmann::json recent = nlohmann::json::array();
  for (const auto& m : recent_moves)
    recent.push_back(nlohmann::json::parse(store::ToJson(m)));
  return nlohmann::json{{"moves_out", counters.moves_out},
                        {"moves_in", counters.moves_in},
                        {"move_failures", counters.move_failures},
                        {"recent", recent}}
      .dump();
}

// ---------------------------------------------------------------------------- the sink

void Lbd::Impl::OnMigrate(const mp::Message& m) {
  auto mig = mp::Migrate::Decode(m.payload);
  if (!mig) {
    ++counters.malformed;
    return node->Nak(m, mp::Errc::kMalformed, mig.error().detail);
  }
  if (mig->op == mp::MigrateOp::kDrop) {
    auto s = sessions.find(mig->client_va);
    if (s != sessions.end()) {
      if (auto in = instances.find(s->second.dasp_va); in != instances.end()) {
        mp::SendOptions o;
        node->Send(mp::Endpoint::Local(in->second.control), mp::wire::kOpeningSession,
                   mp::wire::kMigrate, in->second.va, mig->Encode(), o, [](mp::SendResult&&) {});
      }
      AnnounceClient(s->second, true);
      sessions.erase(s);
    }
    return node->Reply(m, {});
  }
  if (mig->op != mp::MigrateOp::kPlace) {
    return node->Nak(m, mp::Errc::kUnknownCommand, "dabs-lbd takes MIGRATE place and drop");
  }
  auto request = mp::OpenSessionRequest::Decode(mig->request);
  if (!request || !mig->client)
    return node->Nak(m, mp::Errc::kMalformed, "MIGRATE place needs REQUEST and CLIENT");
  if (leaving || draining ||
      BalanceStateFromWire(members->self().balance) == BalanceState::kSource) {
    return node->Nak(m, mp::Errc::kNoCapacity, options.server + " is no sink now");
  }
  const config::AppEntry* app = config.App(request->app);
  if (!app || !app->RunsOn(options.server)) {
    return node->Nak(m, mp::Errc::kUnknownApplication,
                     "'" + request->app + "' does not run on " + options.server);
  }
  LocalInstance* instance = ChooseInstance(app->name);
  if (!instance) {
    instance = StartInstances(*app);
    if (!instance) return node->Nak(m, mp::Errc::kNoCapacity, "cannot start '" + app->name + "'");
    ++counters.cold_starts;
  }
  PendingRestore pending{m, std::move(*mig)};
  if (!instance->Started()) {
    ++instance->handing;  // counted as arriving, so the next placement looks elsewhere
    restores[instance->va].push_back(std::move(pending));
    return;
  }
  ++instance->handing;
  RestoreHere(std::move(pending), *instance);
}

// REQUIRES: the instance has STARTED, and its `handing` counts this restore.
void Lbd::Impl::RestoreHere(PendingRestore pending, LocalInstance& instance) {
  mp::AddClient add;
  add.request = pending.migrate.request;
  add.client = *pending.migrate.client;
  add.client_va = pending.migrate.client_va;  // the client keeps its VA (spec 3)
  add.instance_va = instance.va;
  add.saved = std::move(pending.migrate.state);
  mp::SendOptions o;
  o.reply_timeout = kRestoreTimeout;
  node->Send(
      mp::Endpoint::Local(instance.control), mp::wire::kOpeningSession, mp::wire::kAddClient,
      instance.va, add.Encode(), o,
      [self = shared_from_this(), pending = std::move(pending),
       dasp_va = instance.va](mp::SendResult&& r) {
        auto in = self->instances.find(dasp_va);
        if (in != self->instances.end() && in->second.handing > 0) --in->second.handing;
        std::optional<uint8_t> session;
        if (!r.error && r.reply) {
          if (auto t = mp::TlvList::Parse(r.reply->payload)) session = t->U8(mp::tag::kSession);
        }
        if (!session || in == self->instances.end()) {
          return self->node->Nak(pending.request, NakCode(r.error),
                                 "the instance did not restore it: " +
                                     (r.error ? r.error.message() : std::string("no session")));
        }
        const mp::OpenSessionRequest open =
            mp::OpenSessionRequest::Decode(pending.migrate.request).value();
        LocalSession s{
            pending.migrate.client_va, dasp_va, open.app, *pending.migrate.client, self->NowMs(),
            pending.migrate.moves + 1, false};
        ++in->second.sessions;
        self->sessions[s.client_va] = s;
        self->AnnounceClient(s, false);
        ++self->counters.moves_in;
        self->writer->Post([counters = self->MovesRecordValue()](store::WriteTxn& txn) {
          return txn.Put(store::Database::kStatistics, "moves/dabs-lbd", counters);
        });
        spdlog::debug("restored {} ({}) from {} in {} as session {}", mp::FormatVa(s.client_va),
                      s.app, pending.migrate.from, mp::FormatVa(dasp_va), *session);
        self->node->Reply(pending.request,
                          mp::Redirect{*session, dasp_va, in->second.udp, mp::kVaNone}.Encode());
      });
}

}  // namespace dabs::farm
