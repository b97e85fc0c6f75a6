#include <map>

#include <gtest/gtest.h>

#include <dabs/mp/clock.h>
#include <dabs/statistics/ranking.h>

namespace dabs::statistics {
namespace {

using std::chrono::seconds;
using Order = std::vector<std::string>;

mp::TimePoint At(int s) {
  return mp::TimePoint(seconds(s));
}

TEST(StableRanking, NewServersEnterByScoreLeastLoadedFirst) {
  StableRanking ranking;
  EXPECT_EQ(ranking.Update({{"s1", 50}, {"s2", 10}, {"s3", 30}}), (Order{"s2", "s3", "s1"}));
  // A newcomer goes after the incumbents it does not beat by more than the band.
  EXPECT_EQ(ranking.Update({{"s1", 50}, {"s2", 10}, {"s3", 30}, {"s4", 12}}),
            (Order{"s2", "s4", "s3", "s1"}));
}

TEST(StableRanking, KeepsTheOrderWhileScoresStayWithinTheBand) {
  StableRanking ranking(5);
  ranking.Update({{"a", 40}, {"b", 42}});
  EXPECT_EQ(ranking.Update({{"a", 44}, {"b", 40}}), (Order{"a", "b"}));  // 4 apart: kept
  EXPECT_EQ(ranking.Update({{"a", 45}, {"b", 40}}), (Order{"a", "b"}));  // 5 apart: kept
  EXPECT_EQ(ranking.Update({{"a", 45.5}, {"b", 40}}), (Order{"b", "a"}));
  EXPECT_EQ(ranking.Update({{"a", 41}, {"b", 44}}), (Order{"b", "a"}));  // no swap back yet
}

TEST(StableRanking, ServersThatLeaveDropOut) {
  StableRanking ranking;
  ranking.Update({{"a", 1}, {"b", 2}, {"c", 3}});
  EXPECT_EQ(ranking.Update({{"c", 3}, {"a", 1}}), (Order{"a", "c"}));
}

TEST(StableRanking, NeverLeavesAServerAheadOfOneMoreThanTheBandLower) {
  mp::SeededRandom random(17);
  StableRanking ranking(5);
  const Order ids = {"a", "b", "c", "d", "e", "f"};
  std::map<std::string, double> score;
  for (const auto& id : ids)
    score[id] = 100 * random.Uniform01();
  for (int round = 0; round < 2000; ++round) {
    std::vector<ServerScore> scores;
    for (auto& [id, s] : score) {
      s = std::clamp(s + 8 * (random.Uniform01() - 0.5), 0.0, 100.0);  // a random walk
      scores.push_back({id, s});
    }
    const Order order = ranking.Update(scores);
    ASSERT_EQ(order.size(), ids.size());
    for (size_t i = 0; i < order.size(); ++i) {
      for (size_t j = i + 1; j < order.size(); ++j) {
        ASSERT_LE(score[order[i]], score[order[j]] + 5)
            << "round " << round << ": " << order[i] << " before " << order[j];
      }
    }
  }
}

// Three servers, A least loaded, then B, then C.
LoadRanker SteadyFarm() {
  LoadRanker ranker;  // 5 s time constant, 5-point band
  for (int t = 0; t <= 10; ++t) {
    ranker.Report("A", At(t), 30);
    ranker.Report("B", At(t), 40);
    ranker.Report("C", At(t), 60);
    ranker.Rank();
  }
  return ranker;
}

TEST(LoadRanker, AOneSampleSpikeDoesNotReorderServers) {
  LoadRanker ranker = SteadyFarm();
  ASSERT_EQ(ranker.order(), (Order{"A", "B", "C"}));
  // Second 11: A is briefly the worst (90 against B's 40). Ranked raw, that reorders:
  StableRanking raw;
  raw.Update({{"A", 30}, {"B", 40}, {"C", 60}});
  EXPECT_EQ(raw.Update({{"A", 90}, {"B", 40}, {"C", 60}}), (Order{"B", "C", "A"}));
  // Smoothed, it does not: A's average moves by 18% of the spike, to about 40.9.
  ranker.Report("A", At(11), 90);
  ranker.Report("B", At(11), 40);
  ranker.Report("C", At(11), 60);
  EXPECT_EQ(ranker.Rank(), (Order{"A", "B", "C"}));
  EXPECT_GT(*ranker.Smoothed("A"), *ranker.Smoothed("B"));  // only the band holds it
  for (int t = 12; t <= 30; ++t) {
    ranker.Report("A", At(t), 30);
    ranker.Report("B", At(t), 40);
    ranker.Report("C", At(t), 60);
    EXPECT_EQ(ranker.Rank(), (Order{"A", "B", "C"})) << "second " << t;
  }
}

TEST(LoadRanker, ASustainedChangeReordersServersAfterSmoothingNotBefore) {
  LoadRanker ranker = SteadyFarm();
  // From second 11 A stays at 55. Its average is 55 - 25 exp(-n/5) after n samples, which
  // passes B's 40 + the 5-point band at n = 5 (43.8 at n = 4, 45.8 at n = 5).
  for (int n = 1; n <= 5; ++n) {
    ranker.Report("A", At(10 + n), 55);
    ranker.Report("B", At(10 + n), 40);
    ranker.Report("C", At(10 + n), 60);
    const Order order = ranker.Rank();
    if (n < 5) {
      EXPECT_EQ(order, (Order{"A", "B", "C"})) << "reordered after " << n << " samples";
    } else {
      EXPECT_EQ(order, (Order{"B", "A", "C"})) << "not reordered after " << n << " samples";
    }
  }
}

TEST(LoadRanker, ForgetsServersThatLeaveTheFarm) {
  LoadRanker ranker = SteadyFarm();
  ranker.Forget("B");
  EXPECT_FALSE(ranker.Smoothed("B").has_value());
  EXPECT_EQ(ranker.Rank(), (Order{"A", "C"}));
}

}  // namespace
}  // namespace dabs::statistics
