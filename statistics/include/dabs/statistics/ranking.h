// Ranking servers by smoothed load with hysteresis, so that noise does not reorder them
// every second (DESIGN.md section 3: ballots depend on each server's rank r).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/statistics/ewma.h>

namespace dabs::statistics {

inline constexpr double kDefaultRankingBand = 5;  // load points on the 0..100 scale

struct ServerScore {
  std::string id;
  double score = 0;  // lower is less loaded
};

// Keeps an order of servers, least loaded first, that changes only when scores force it.
// After every Update, no server stands before another whose score is lower by more than
// `band` (the order is right up to the band), and every pair whose relative order changed
// had to: keeping it would have left some pair wrong by more than the band. In particular
// a server moves ahead of another only when it scores more than `band` lower than some
// server it passes. Not thread-safe.
class StableRanking {
 public:
  // REQUIRES: band >= 0.
  explicit StableRanking(double band = kDefaultRankingBand) : band_(band) {}

  // Re-ranks with the latest scores. Servers absent from `scores` leave the ranking; new
  // ones enter by score. Ids must be unique. Answers the order, least loaded first.
  const std::vector<std::string>& Update(const std::vector<ServerScore>& scores);
  const std::vector<std::string>& order() const { return order_; }

 private:
  double band_;
  std::vector<std::string> order_;
};

// The farm's view for placement: one Ewma per server over the raw load scores it reports,
// ranked by StableRanking. Not thread-safe.
class LoadRanker {
 public:
  // REQUIRES: time_constant > 0, band >= 0.
  explicit LoadRanker(mp::Duration time_constant = kDefaultLoadTimeConstant,
                      double band = kDefaultRankingBand)
      : time_constant_(time_constant), ranking_(band) {}

  // Adds server `id`'s raw score sampled at `at`; answers its smoothed score.
  double Report(const std::string& id, mp::TimePoint at, double raw_score);
  // Removes a server that left the farm.
  void Forget(const std::string& id) { smoothed_.erase(id); }
  // The smoothed score, or nullopt for an unknown server.
  std::optional<double> Smoothed(const std::string& id) const;

  // Re-ranks every known server by its smoothed score (least loaded first). Call once per
  // round of reports, not after each one.
  const std::vector<std::string>& Rank();
  const std::vector<std::string>& order() const { return ranking_.order(); }

 private:
  mp::Duration time_constant_;
  std::map<std::string, Ewma> smoothed_;
  StableRanking ranking_;
};

}  // namespace dabs::statistics
