// dabs-lbd: placement by voting (DESIGN.md section 3, spec section 4). Every OPEN_SESSION
// heard on the group gets our BALLOT; when the vote is decided the winner hands the request
// to one of its instances (ADD_CLIENT), starting one if it has none with room, and the
// instance replies to the client itself. When nobody can take it the lowest-index voter
// NAKs it.
#include <spdlog/spdlog.h>

#include <dabs/mp/coding.h>
#include <dabs/mp/wire.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {

constexpr size_t kMaxRequests = 20'000;                     // requests voted on, not yet placed
constexpr auto kHandOverTimeout = std::chrono::seconds(2);  // ADD_CLIENT's reply
constexpr int kMaxAttempts = 3;                             // instances tried per request
constexpr uint64_t kDecisionsKept = 1000;

uint64_t WallMicros() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

mp::Errc NakFor(Outcome o) {
  switch (o) {
    case Outcome::kUnknownApp:
      return mp::Errc::kUnknownApplication;
    case Outcome::kLimit:
      return mp::Errc::kLimitExceeded;
    default:
      return mp::Errc::kNoCapacity;
  }
}

std::string DecisionKey(uint64_t seq) {
  std::string key(8, '\0');
  mp::PutU64(reinterpret_cast<uint8_t*>(key.data()), seq);
  return key;
}

}  // namespace

void Lbd::Impl::OnOpenSession(mp::Message&& m) {
  if (leaving) return;  // the others take it
  if (clock.Now() < voting_from) {
    // Just started: we vote once the farm's HELLOs are in (D44). Held, not dropped: the
    // client's resends of this request are duplicates the engine answers itself.
    if (early_requests.size() < kMaxRequests) early_requests.push_back(std::move(m));
    if (early_requests.size() == 1) {
      early_timer.emplace(io);
      early_timer->expires_at(voting_from);
      early_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        auto held = std::move(self->early_requests);
        self->early_requests.clear();
        for (auto& r : held)
          self->OnOpenSession(std::move(r));
      });
    }
    return;
  }
  auto open = mp::OpenSessionRequest::Decode(m.payload);
  if (!open) {
    ++counters.malformed;
    // Every server hears a group request: only the lowest-index one answers a bad one.
    const auto alive = members->Alive();
    if (!m.via_group || (!alive.empty() && alive.front()->id == options.server)) {
      node->Nak(m, mp::Errc::kMalformed, open.error().detail);
    }
    return;
  }
  ++counters.requests;
  const std::string key = RequestKey(m, *open);
  if (box->Voted(key, options.server) || requests.count(key)) {
    ++counters.duplicates;  // a retransmission: the vote or the instance answers it
    return;
  }
  if (requests.size() >= kMaxRequests || !box->Open(key, open->app)) {
    ++counters.refused_full;  // the client resends
    return;
  }
  requests[key] = Request{std::move(m), std::move(*open), clock.Now(), 0};
  const std::string& app = requests[key].open.app;
  mp::Ballot ballot = MakeBallot(key, app);
  if (!requests[key].message.via_group) {
    // Sent to us alone: nobody else votes, so we decide on our own ballot at once.
    Decision d = Decide({ballot});
    d.request_key = key;
    d.all_voted = true;
    d.decided_at = clock.Now();
    OnDecision(d);
    return;
  }
  SendToGroup(mp::wire::kBallot, ballot.Encode());
  box->Add(ballot);
  PollBallots();
}

void Lbd::Impl::OnBallot(const mp::Message& m) {
  auto ballot = mp::Ballot::Decode(m.payload);
  if (!ballot) {
    ++counters.malformed;
    return;
  }
  if (ballot->server == options.server) return;  // our own, heard back from the group
  box->Add(*ballot);
  PollBallots();
}

mp::Ballot Lbd::Impl::MakeBallot(const std::string& key, const std::string& app_name) {
  mp::Ballot b;
  b.request_key = key;
  b.app = app_name;
  b.server = options.server;
  b.index = index;
  b.ballot_time_us = WallMicros();
  const config::AppEntry* app = config.App(app_name);
  if (!app) {
    b.abstain = mp::Abstain::kUnknownApp;
    return b;
  }
  // A source casts no votes for new sessions (seed 000): it is giving sessions away.
  if (leaving || draining || below_minimums || latency_high || !app->RunsOn(options.server) ||
      supervisor->IsFailed(app_name) ||
      BalanceStateFromWire(members->self().balance) == BalanceState::kSource) {
    b.abstain = mp::Abstain::kNotEligible;
    return b;
  }
  const bool has_instance = ChooseInstance(app_name) != nullptr;
  const auto counts = directory->CountsOf(app_name);
  if (app->limits.farm_sessions && counts.sessions >= *app->limits.farm_sessions) {
    b.abstain = mp::Abstain::kLimit;  // the farm operator's limit always wins (seed 003)
    return b;
  }
  if (!has_instance && app->limits.farm_instances &&
      counts.instances >= *app->limits.farm_instances) {
    b.abstain = mp::Abstain::kLimit;
    return b;
  }
  VoteInputs in;
  in.policy = policy;
  in.self = options.server;
  in.has_instance = has_instance;
  in.request_key = key;
  in.sequence = app_sequence[app_name];
  for (const Member* m : members->Alive()) {
    const bool eligible = m->self ? true : m->eligible && m->balance != 1;
    if (!eligible || !app->RunsOn(m->id)) continue;
    // Every voter ranks from the same figures: the sessions each server announced in its
    // last HELLO (ours too), plus the placements it won since.
    const uint32_t announced = hello_sessions.count(m->id) ? hello_sessions.at(m->id) : 0;
    in.eligible.push_back({m->id, m->index, m->load_x100, announced + won_since_hello[m->id]});
  }
  b.votes = CastVotes(in);
  b.has_instance = has_instance;
  return b;
}

void Lbd::Impl::PollBallots() {
  for (const auto& d : box->Poll(LiveIds()))
    OnDecision(d);
  ArmBallotTimer();
}

void Lbd::Impl::ArmBallotTimer() {
  auto next = box->NextDeadline();
  if (!next || (ballot_timer_at && *ballot_timer_at <= *next)) return;
  if (!ballot_timer) ballot_timer.emplace(io);
  ballot_timer_at = *next;
  ballot_timer->expires_at(*next);
  ballot_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    self->ballot_timer_at.reset();
    self->PollBallots();
  });
}

void Lbd::Impl::OnDecision(const Decision& d) {
  if (spdlog::should_log(spdlog::level::debug)) {
    std::string ballots;
    for (const auto& b : d.ballots) {
      ballots +=
          " " + b.server + "=" + std::to_string(b.votes) + (b.has_instance ? "i" : "") +
          (b.abstain != mp::Abstain::kNone ? std::string("(") + mp::AbstainName(b.abstain) + ")"
                                           : "");
    }
    spdlog::debug("{} {}: {} after {} us{}:{}", d.app, d.request_key,
                  d.winner ? d.winner->server : OutcomeName(d.outcome),
                  std::chrono::duration_cast<std::chrono::microseconds>(d.waited).count(),
                  d.all_voted ? "" : " (window)", ballots);
  }
  RecordDecision(d);
  ++app_sequence[d.app];
  if (d.outcome == Outcome::kPlaced) {
    ++won_since_hello[d.winner->server];
    if (d.winner->server == options.server) {
      ++counters.won;
      return Place(d.request_key);
    }
  } else if (d.naker == options.server) {
    return NakRequest(
        d.request_key, NakFor(d.outcome),
        d.outcome == Outcome::kUnknownApp ? "no application '" + d.app + "' in this farm"
        : d.outcome == Outcome::kLimit    ? "the farm's limit for '" + d.app + "' is reached"
                                          : "no server can take a session of '" + d.app + "' now");
  }
  requests.erase(d.request_key);
}

void Lbd::Impl::RecordDecision(const Decision& d) {
  store::DecisionRecord r;
  r.request_key = d.request_key;
  r.app = d.app;
  r.decided_ms = NowMs();
  r.waited_us = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(d.waited).count());
  r.all_voted = d.all_voted;
  r.winner = d.winner ? d.winner->server : "";
  r.outcome = OutcomeName(d.outcome);
  for (const auto& b : d.ballots) {
    r.ballots.push_back(
        {b.server, b.index, b.votes, b.ballot_time_us, b.has_instance, mp::AbstainName(b.abstain)});
  }
  const uint64_t seq = ++decision_seq;
  writer->Post([seq, json = store::ToJson(r)](store::WriteTxn& txn) -> Status {
    if (Status s = txn.Put(store::Database::kPlacement, DecisionKey(seq), json); !s) return s;
    if (seq > kDecisionsKept)
      (void)txn.Delete(store::Database::kPlacement, DecisionKey(seq - kDecisionsKept));
    return Status::Ok();
  });
}

LocalInstance* Lbd::Impl::ChooseInstance(const std::string& app) {
  LocalInstance* best = nullptr;
  auto load = [](const LocalInstance& i) { return i.sessions + i.handing + i.waiting.size(); };
  for (auto& [va, i] : instances) {
    if (i.app != app || !i.HasRoom()) continue;
    // Started instances first (no wait), then the least busy.
    if (!best || (i.Started() && !best->Started()) ||
        (i.Started() == best->Started() && load(i) < load(*best))) {
      best = &i;
    }
  }
  return best;
}

void Lbd::Impl::Place(const std::string& key) {
  auto it = requests.find(key);
  if (it == requests.end()) return;
  const config::AppEntry* app = config.App(it->second.open.app);
  if (!app)
    return NakRequest(key, mp::Errc::kUnknownApplication,
                      "no application '" + it->second.open.app + "'");
  LocalInstance* instance = ChooseInstance(app->name);
  if (!instance) {
    instance = StartInstances(*app);
    if (!instance)
      return NakRequest(key, mp::Errc::kNoCapacity,
                        "cannot start an instance of '" + app->name + "'");
    ++counters.cold_starts;
  }
  if (!instance->Started()) {
    instance->waiting.push_back(key);  // handed over when it reports STARTED
    return;
  }
  HandOver(key, *instance);
}

void Lbd::Impl::HandOver(const std::string& key, LocalInstance& instance) {
  auto it = requests.find(key);
  if (it == requests.end()) return;
  Request& r = it->second;
  ++r.attempts;
  auto client_va = NextVa();
  if (!client_va) return NakRequest(key, mp::Errc::kNoCapacity, client_va.error().detail);
  mp::AddClient add;
  add.request = r.message.payload;
  add.client = r.message.peer;
  add.transaction = r.message.header.transaction;
  add.client_va = *client_va;
  add.instance_va = instance.va;
  ++instance.handing;
  mp::SendOptions o;
  o.reply_timeout = kHandOverTimeout;
  const mp::Va dasp_va = instance.va;
  node->Send(mp::Endpoint::Local(instance.control), mp::wire::kOpeningSession, mp::wire::kAddClient,
             dasp_va, add.Encode(), o,
             [self = shared_from_this(), key, dasp_va, client_va = *client_va,
              sent = clock.Now()](mp::SendResult&& result) {
               if (spdlog::should_log(
                       spdlog::level::debug)) {  // placement's hot path: no strings unless asked
                 spdlog::debug(
                     "{}: ADD_CLIENT to {} answered after {} us ({})", key, mp::FormatVa(dasp_va),
                     std::chrono::duration_cast<std::chrono::microseconds>(self->clock.Now() - sent)
                         .count(),
                     result.error ? result.error.message() : "ok");
               }
               auto in = self->instances.find(dasp_va);
               if (in != self->instances.end() && in->second.handing > 0) --in->second.handing;
               auto req = self->requests.find(key);
               if (req == self->requests.end()) return;
               if (!result.error && result.reply && result.reply->header.kind == mp::Kind::kReply) {
                 LocalSession s{client_va, dasp_va, req->second.open.app, req->second.message.peer,
                                self->NowMs(), 0, false};
                 if (in != self->instances.end()) ++in->second.sessions;
                 self->sessions[client_va] = s;
                 self->AnnounceClient(s, false);
                 self->requests.erase(req);
                 ++self->counters.placed;
                 return;
               }
               ++self->counters.handover_failures;
               if (result.error == mp::Errc::kCrypto) {
                 // The instance refused the client's encryption and told the client itself
                 // (NAK 9, with why): another instance of the app would say the same.
                 ++self->counters.naked;
                 self->requests.erase(req);
                 return;
               }
               const std::string why = result.error ? result.error.message() : "no reply";
               spdlog::warn("instance {} refused a session: {}", mp::FormatVa(dasp_va), why);
               if (in != self->instances.end() && result.error == mp::Errc::kNoCapacity) {
                 in->second.max_sessions = in->second.sessions;  // it knows better: full
               }
               if (req->second.attempts >= kMaxAttempts) {
                 return self->NakRequest(key, mp::Errc::kNoCapacity,
                                         "the instances refused: " + why);
               }
               self->Place(key);
             });
}

void Lbd::Impl::SweepRequests() {
  // Requests that never got decided or placed (their instance never started): the client
  // gave up or resent long ago.
  const auto now = clock.Now();
  std::erase_if(requests,
                [&](const auto& r) { return now - r.second.heard > std::chrono::seconds(30); });
}

void Lbd::Impl::NakRequest(const std::string& key, mp::Errc error, const std::string& text) {
  auto it = requests.find(key);
  if (it == requests.end()) return;
  ++counters.naked;
  spdlog::info("OPEN_SESSION of '{}' from {}: NAK {} ({})", it->second.open.app,
               it->second.message.peer.ToString(), static_cast<int>(error), text);
  node->Nak(it->second.message, error, text);
  requests.erase(it);
}

}  // namespace dabs::farm
