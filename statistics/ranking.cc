#include <algorithm>
#include <map>
#include <set>

#include <dabs/statistics/ranking.h>

namespace dabs::statistics {

// Insertion keeps this invariant of the list built so far: no server stands before one
// whose score is lower by more than band_. Servers are inserted in their previous order
// (newcomers last, by score), each as late as the invariant allows: just before the first
// server that scores more than band_ above it. That place also keeps the invariant for the
// servers after it: if x scored more than band_ above some later z, then the first server y
// that scores more than band_ above x would score more than 2 * band_ above z, and y before
// z would already break the invariant.
const std::vector<std::string>& StableRanking::Update(const std::vector<ServerScore>& scores) {
  std::map<std::string_view, double> score;
  for (const auto& s : scores)
    score[s.id] = s.score;
  std::vector<std::string_view> sequence;
  for (const auto& id : order_) {
    if (score.contains(id)) sequence.push_back(id);
  }
  std::set<std::string_view> placed(sequence.begin(), sequence.end());
  std::vector<const ServerScore*> newcomers;
  for (const auto& s : scores) {
    if (placed.insert(s.id).second) newcomers.push_back(&s);
  }
  std::stable_sort(newcomers.begin(), newcomers.end(),
                   [](const ServerScore* a, const ServerScore* b) { return a->score < b->score; });
  for (const auto* s : newcomers)
    sequence.push_back(s->id);

  std::vector<std::string_view> ranked;
  for (std::string_view id : sequence) {
    const double s = score[id];
    auto worse = std::find_if(ranked.begin(), ranked.end(),
                              [&](std::string_view other) { return score[other] > s + band_; });
    ranked.insert(worse, id);
  }
  // `ranked` views the strings of order_, so the new order is built apart and then moved in.
  std::vector<std::string> next(ranked.begin(), ranked.end());
  order_ = std::move(next);
  return order_;
}

double LoadRanker::Report(const std::string& id, mp::TimePoint at, double raw_score) {
  auto it = smoothed_.try_emplace(id, time_constant_).first;
  return it->second.Add(at, raw_score);
}

std::optional<double> LoadRanker::Smoothed(const std::string& id) const {
  auto it = smoothed_.find(id);
  if (it == smoothed_.end() || !it->second.has_value()) return std::nullopt;
  return it->second.value();
}

const std::vector<std::string>& LoadRanker::Rank() {
  std::vector<ServerScore> scores;
  for (const auto& [id, ewma] : smoothed_) {
    if (ewma.has_value()) scores.push_back({id, ewma.value()});
  }
  return ranking_.Update(scores);
}

}  // namespace dabs::statistics
