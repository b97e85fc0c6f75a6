#include <cmath>

#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/load_score.h>

namespace dabs::statistics {
namespace {

constexpr double kHighWater = 250;

double Score(double cpu, double mem, double net, double latency_ms,
             const LoadWeights& w = LoadWeights{}) {
  return LoadScore({cpu, mem, net, latency_ms}, w, kHighWater);
}

TEST(LoadScore, IsZeroWhenIdleAndHundredWhenEverythingIsFull) {
  EXPECT_DOUBLE_EQ(Score(0, 0, 0, 0), 0);
  EXPECT_DOUBLE_EQ(Score(100, 100, 100, kHighWater), 100);
}

TEST(LoadScore, FollowsTheDocumentedFormulaWithTheDefaultWeights) {
  // cpu 0.6, mem 0.3, net 0.1, latency 50/250 = 0.2:
  // 100 * (0.5 * 0.6 + 0.5 * (0.4*0.6 + 0.2*0.3 + 0.2*0.1 + 0.2*0.2)) = 30 + 18 = 48
  EXPECT_NEAR(Score(60, 30, 10, 50), 48, 1e-9);
  // One resource full: 100 * (0.5 * 1 + 0.5 * 0.4) = 70 for CPU, 60 for latency.
  EXPECT_NEAR(Score(100, 0, 0, 0), 70, 1e-9);
  EXPECT_NEAR(Score(0, 0, 0, kHighWater), 60, 1e-9);
}

TEST(LoadScore, ASaturatedResourceOutweighsModeratePressureEverywhere) {
  const double bottleneck = Score(90, 10, 10, 25);  // CPU nearly full
  const double moderate = Score(50, 50, 50, 125);
  EXPECT_GT(bottleneck, moderate);
}

TEST(LoadScore, ClampsPressuresAndTreatsNanAsNone) {
  EXPECT_DOUBLE_EQ(Score(0, 0, 0, 10 * kHighWater), Score(0, 0, 0, kHighWater));
  EXPECT_DOUBLE_EQ(Score(150, 0, 0, 0), Score(100, 0, 0, 0));
  EXPECT_DOUBLE_EQ(Score(std::nan(""), -5, 0, 0), 0);
}

TEST(LoadScore, AZeroWeightLeavesAResourceOutOfBothTerms) {
  LoadWeights w;
  w.latency = 0;
  EXPECT_DOUBLE_EQ(Score(0, 0, 0, kHighWater, w), 0);
  w.bottleneck = 0;  // plain weighted mean over cpu 0.4, mem 0.2, net 0.2
  EXPECT_NEAR(Score(100, 0, 0, 0, w), 50, 1e-9);
}

TEST(LoadWeights, RefuseNegativeAllZeroOrOutOfRangeWeights) {
  EXPECT_TRUE(LoadWeights{}.Validate().ok());
  LoadWeights negative;
  negative.memory = -0.1;
  LoadWeights zero{0, 0, 0, 0, 0.5};
  LoadWeights share;
  share.bottleneck = 1.5;
  LoadWeights inf;
  inf.cpu = INFINITY;
  for (const auto& w : {negative, zero, share, inf}) {
    EXPECT_EQ(w.Validate().code(), Errc::kInvalidConfig);
  }
}

}  // namespace
}  // namespace dabs::statistics
