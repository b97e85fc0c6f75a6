#include <algorithm>
#include <functional>

#include <dabs/farm/voting.h>

namespace dabs::farm {

namespace {

// FNV-1a: a stable hash every server computes alike (std::hash need not be).
uint64_t StableHash(std::string_view a, std::string_view b = {}) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : a)
    h = (h ^ c) * 1099511628211ull;
  h = (h ^ 0xFF) * 1099511628211ull;
  for (unsigned char c : b)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

// Position of `id` in `servers`, or servers.size().
size_t PositionOf(const std::vector<Candidate>& servers, const std::string& id) {
  return static_cast<size_t>(
      std::find_if(servers.begin(), servers.end(), [&](const Candidate& c) { return c.id == id; }) -
      servers.begin());
}

bool BetterBallot(const mp::Ballot& a, const mp::Ballot& b) {
  if (a.votes != b.votes) return a.votes > b.votes;
  if (a.ballot_time_us != b.ballot_time_us) return a.ballot_time_us < b.ballot_time_us;
  if (a.index != b.index) return a.index < b.index;
  return a.server < b.server;
}

}  // namespace

void RankByLoad(std::vector<Candidate>& servers) {
  std::sort(servers.begin(), servers.end(), [](const Candidate& a, const Candidate& b) {
    const uint32_t band_a = a.load_x100 / kLoadBandX100, band_b = b.load_x100 / kLoadBandX100;
    if (band_a != band_b) return band_a < band_b;
    if (a.sessions != b.sessions) return a.sessions < b.sessions;
    if (a.index != b.index) return a.index < b.index;
    return a.id < b.id;
  });
}

std::optional<Policy> ParsePolicy(std::string_view text) {
  if (text == "vote") return Policy::kVote;
  if (text == "round-robin") return Policy::kRoundRobin;
  if (text == "random") return Policy::kRandom;
  if (text == "two-choices") return Policy::kTwoChoices;
  if (text == "least-loaded") return Policy::kLeastLoaded;
  return std::nullopt;
}

const char* PolicyName(Policy p) {
  switch (p) {
    case Policy::kVote:
      return "vote";
    case Policy::kRoundRobin:
      return "round-robin";
    case Policy::kRandom:
      return "random";
    case Policy::kTwoChoices:
      return "two-choices";
    case Policy::kLeastLoaded:
      return "least-loaded";
  }
  return "vote";
}

uint32_t CastVotes(const VoteInputs& in) {
  std::vector<Candidate> ranked = in.eligible;
  const auto n = static_cast<uint32_t>(ranked.size());
  if (n == 0) return 0;
  switch (in.policy) {
    case Policy::kVote: {
      RankByLoad(ranked);
      const auto r = static_cast<uint32_t>(PositionOf(ranked, in.self));
      return (in.has_instance ? 2 * n + 4 : n + 4) - std::min(r, n);
    }
    case Policy::kLeastLoaded: {
      RankByLoad(ranked);
      return n - std::min<uint32_t>(static_cast<uint32_t>(PositionOf(ranked, in.self)), n - 1);
    }
    case Policy::kRoundRobin: {
      std::sort(ranked.begin(), ranked.end(),
                [](const Candidate& a, const Candidate& b) { return a.index < b.index; });
      const auto p = static_cast<uint32_t>(PositionOf(ranked, in.self));
      const auto turn = static_cast<uint32_t>(in.sequence % n);
      return n - ((p + n - turn) % n);  // the server whose turn it is casts n
    }
    case Policy::kRandom:
      // Every server draws from the request and its own id: the highest draw wins.
      return 1 + static_cast<uint32_t>(StableHash(in.request_key, in.self) % 1'000'000);
    case Policy::kTwoChoices: {
      // Two servers drawn from the request alone (every voter draws the same two); of them
      // the less loaded casts 2, the other 1, the rest nothing.
      std::sort(ranked.begin(), ranked.end(),
                [](const Candidate& a, const Candidate& b) { return a.index < b.index; });
      const uint64_t h = StableHash(in.request_key);
      const size_t first = h % n;
      const size_t second = n == 1 ? first : (first + 1 + (h >> 32) % (n - 1)) % n;
      std::vector<Candidate> two = {ranked[first]};
      if (second != first) two.push_back(ranked[second]);
      RankByLoad(two);
      const size_t p = PositionOf(two, in.self);
      if (p >= two.size()) return 0;
      return static_cast<uint32_t>(two.size() - p);
    }
  }
  return 0;
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPlaced:
      return "placed";
    case Outcome::kUnknownApp:
      return "unknown application";
    case Outcome::kLimit:
      return "limit";
    case Outcome::kNoCapacity:
      return "no capacity";
  }
  return "?";
}

Decision Decide(std::vector<mp::Ballot> ballots) {
  Decision d;
  std::sort(ballots.begin(), ballots.end(), [](const mp::Ballot& a, const mp::Ballot& b) {
    return a.index != b.index ? a.index < b.index : a.server < b.server;
  });
  if (!ballots.empty()) {
    d.request_key = ballots.front().request_key;
    d.app = ballots.front().app;
  }
  const mp::Ballot* best = nullptr;
  bool unknown = false, limit = false;
  for (const auto& b : ballots) {
    if (b.votes > 0 && (!best || BetterBallot(b, *best))) best = &b;
    unknown |= b.abstain == mp::Abstain::kUnknownApp;
    limit |= b.abstain == mp::Abstain::kLimit;
  }
  if (best) {
    d.outcome = Outcome::kPlaced;
    d.winner = *best;
  } else {
    // Nobody can take it: the lowest-index voter says why, the most specific reason first.
    d.outcome = unknown ? Outcome::kUnknownApp : limit ? Outcome::kLimit : Outcome::kNoCapacity;
    if (!ballots.empty()) d.naker = ballots.front().server;
  }
  d.ballots = std::move(ballots);
  return d;
}

BallotBox::BallotBox(BallotBoxConfig config, const mp::Clock& clock)
    : config_(config), clock_(clock) {}

bool BallotBox::Open(const std::string& request_key, const std::string& app) {
  if (decided_.count(request_key)) return true;
  auto it = open_.find(request_key);
  if (it != open_.end()) {
    if (it->second.app.empty()) it->second.app = app;
    return true;
  }
  if (open_.size() >= config_.max_open) {
    ++stats_.refused_full;
    return false;
  }
  open_.emplace(request_key, Vote{app, clock_.Now(), {}});
  return true;
}

void BallotBox::Add(const mp::Ballot& ballot) {
  ++stats_.ballots;
  if (decided_.count(ballot.request_key)) {
    ++stats_.late_ballots;
    return;
  }
  auto it = open_.find(ballot.request_key);
  if (it == open_.end()) {
    // A ballot before the request (or for one we never hear): the window starts now.
    if (open_.size() >= config_.max_open) {
      ++stats_.refused_full;
      return;
    }
    it = open_.emplace(ballot.request_key, Vote{ballot.app, clock_.Now(), {}}).first;
  }
  auto [slot, fresh] = it->second.ballots.try_emplace(ballot.server, ballot);
  if (!fresh) ++stats_.duplicate_ballots;  // the first ballot of a server counts
}

std::vector<Decision> BallotBox::Poll(const std::set<std::string>& live) {
  const auto now = clock_.Now();
  std::vector<Decision> out;
  for (auto it = open_.begin(); it != open_.end();) {
    Vote& v = it->second;
    const bool all = !v.ballots.empty() &&
                     std::all_of(live.begin(), live.end(),
                                 [&](const std::string& id) { return v.ballots.count(id) != 0; });
    const bool expired = now - v.first_seen >= config_.window;
    if (!all && !expired) {
      ++it;
      continue;
    }
    if (v.ballots.empty()) {
      // Nobody voted, ourselves included (we were refused or are not a member yet): the
      // client will resend.
      it = open_.erase(it);
      continue;
    }
    std::vector<mp::Ballot> ballots;
    for (auto& [id, b] : v.ballots)
      ballots.push_back(std::move(b));
    Decision d = Decide(std::move(ballots));
    d.request_key = it->first;
    if (d.app.empty()) d.app = v.app;
    d.all_voted = all;
    d.waited = now - v.first_seen;
    d.decided_at = now;
    ++stats_.decided;
    ++(all ? stats_.all_voted : stats_.by_window);
    out.push_back(d);
    Remember(std::move(d));
    it = open_.erase(it);
  }
  Forget();
  return out;
}

std::optional<mp::TimePoint> BallotBox::NextDeadline() const {
  std::optional<mp::TimePoint> next;
  for (const auto& [key, v] : open_) {
    const auto at = v.first_seen + config_.window;
    if (!next || at < *next) next = at;
  }
  return next;
}

const Decision* BallotBox::Decided(const std::string& request_key) const {
  auto it = decided_.find(request_key);
  return it == decided_.end() ? nullptr : &it->second;
}

bool BallotBox::Voted(const std::string& request_key, const std::string& self) const {
  if (auto it = open_.find(request_key); it != open_.end())
    return it->second.ballots.count(self) != 0;
  if (const Decision* d = Decided(request_key)) {
    return std::any_of(d->ballots.begin(), d->ballots.end(),
                       [&](const mp::Ballot& b) { return b.server == self; });
  }
  return false;
}

void BallotBox::Remember(Decision d) {
  decided_order_.emplace_back(d.decided_at, d.request_key);
  decided_.insert_or_assign(d.request_key, std::move(d));
}

void BallotBox::Forget() {
  const auto now = clock_.Now();
  while (!decided_order_.empty() && (now - decided_order_.front().first > config_.remember ||
                                     decided_order_.size() > config_.max_remembered)) {
    auto it = decided_.find(decided_order_.front().second);
    // Only the entry this queue slot was made for (a key decided again has a newer slot).
    if (it != decided_.end() && it->second.decided_at == decided_order_.front().first)
      decided_.erase(it);
    decided_order_.pop_front();
  }
}

}  // namespace dabs::farm
