// Placement by voting (DESIGN.md section 3, seed 002 Table 3 generalised). Every dabs-lbd
// that hears an OPEN_SESSION casts a BALLOT to the group; once ballots from every live member
// are in (or the ballot window has passed) the highest wins, ties to the earliest ballot
// time, then the lowest server index. The decision is a function of the ballots alone, so
// every server that saw the same ballots reaches the same one.
//
// Servers that cannot take the session still answer, with no votes and the reason
// (mp::Abstain): a decision then need not wait for the window, and when nobody can take it
// the lowest-index voter knows which NAK to send (8 unknown application, 10 limit, 7 no
// capacity).
//
// Not thread-safe: the daemon's strand owns it. Time comes from the injected clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/farm_messages.h>

namespace dabs::farm {

// A server as the voter sees it: from HELLOs, and the decisions seen since.
struct Candidate {
  std::string id;
  uint16_t index = 0;
  uint32_t load_x100 = 0;  // the smoothed load score x 100
  uint32_t sessions = 0;   // sessions open there (estimated between HELLOs)
};

// Load scores within one band (5 points, the statistics' hysteresis, decisions.md D17) are
// level; level servers rank by fewer sessions, then by index.
inline constexpr uint32_t kLoadBandX100 = 500;

// Sorts servers from least (rank 0) to most loaded.
void RankByLoad(std::vector<Candidate>& servers);

enum class Policy { kVote, kRoundRobin, kRandom, kTwoChoices, kLeastLoaded };
// The placement.policy text; nullopt for anything else.
std::optional<Policy> ParsePolicy(std::string_view text);
const char* PolicyName(Policy p);

struct VoteInputs {
  Policy policy = Policy::kVote;
  std::vector<Candidate> eligible;  // the servers eligible for the app, this one included
  std::string self;                 // REQUIRES: in `eligible`
  bool has_instance = false;        // this server runs an available instance of the app
  std::string request_key;          // random and two-choices hash it
  uint64_t sequence = 0;            // round-robin: the app's placements seen so far
};

// This server's votes (at least 1 under kVote; 0 means "not this one" under two-choices).
// kVote: 2N + 4 - r with an available instance, N + 4 - r without (r = rank, N = eligible).
uint32_t CastVotes(const VoteInputs& in);

enum class Outcome { kPlaced, kUnknownApp, kLimit, kNoCapacity };
const char* OutcomeName(Outcome o);

struct Decision {
  std::string request_key;
  std::string app;
  Outcome outcome = Outcome::kNoCapacity;
  std::optional<mp::Ballot> winner;  // with kPlaced
  std::string naker;                 // otherwise: the server that NAKs (lowest index voter)
  std::vector<mp::Ballot> ballots;   // every ballot counted, by index
  bool all_voted = false;            // every live member voted (else the window ran out)
  mp::Duration waited{0};            // from first sight to the decision
  mp::TimePoint decided_at{};
};

// The decision the ballots give (REQUIRES: ballots not empty).
Decision Decide(std::vector<mp::Ballot> ballots);

struct BallotBoxConfig {
  mp::Duration window = std::chrono::milliseconds(10);  // placement.ballot_window_ms
  mp::Duration remember = std::chrono::seconds(30);  // retransmissions within this see the decision
  size_t max_open = 10'000;                          // requests being voted on at once
  size_t max_remembered = 200'000;                   // decisions kept for retransmissions
};

struct BallotBoxStats {
  uint64_t ballots = 0, decided = 0, all_voted = 0, by_window = 0;
  uint64_t late_ballots = 0, duplicate_ballots = 0, refused_full = 0;
};

// Collects ballots per request and decides.
class BallotBox {
 public:
  BallotBox(BallotBoxConfig config, const mp::Clock& clock);

  // Opens the vote on a request this server heard (idempotent). False when too many votes
  // are open (the client will resend).
  bool Open(const std::string& request_key, const std::string& app);
  // A ballot heard (ours included). Ballots may come before the request; ballots after the
  // decision are counted as late and change nothing.
  void Add(const mp::Ballot& ballot);
  // Decides every open vote whose live members have all voted, or whose window has passed.
  // `live`: the ids of the live members now.
  std::vector<Decision> Poll(const std::set<std::string>& live);
  // When the next window ends (to arm a timer), if any vote is open.
  std::optional<mp::TimePoint> NextDeadline() const;

  bool IsOpen(const std::string& request_key) const { return open_.count(request_key) != 0; }
  // The decision taken on a request within `remember`, if any.
  const Decision* Decided(const std::string& request_key) const;
  // Did this server already vote on the request (open or decided)?
  bool Voted(const std::string& request_key, const std::string& self) const;

  size_t open_count() const { return open_.size(); }
  const BallotBoxStats& stats() const { return stats_; }

 private:
  struct Vote {
    std::string app;
    mp::TimePoint first_seen{};
    std::map<std::string, mp::Ballot> ballots;  // by server id
  };
  void Remember(Decision d);
  void Forget();

  BallotBoxConfig config_;
  const mp::Clock& clock_;
  std::unordered_map<std::string, Vote> open_;
  std::unordered_map<std::string, Decision> decided_;
  std::deque<std::pair<mp::TimePoint, std::string>> decided_order_;
  BallotBoxStats stats_;
};

}  // namespace dabs::farm
