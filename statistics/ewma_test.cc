#include <cmath>

#include <gtest/gtest.h>

#include <dabs/statistics/ewma.h>

namespace dabs::statistics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

mp::TimePoint At(double s) {
  return mp::TimePoint(std::chrono::duration_cast<mp::Duration>(std::chrono::duration<double>(s)));
}

TEST(Ewma, TheFirstSampleSetsTheAverage) {
  Ewma e;
  EXPECT_FALSE(e.has_value());
  EXPECT_DOUBLE_EQ(e.Add(At(1), 42), 42);
  EXPECT_TRUE(e.has_value());
}

TEST(Ewma, AStepShows63PercentAfterOneTimeConstant) {
  Ewma e(seconds(5));
  e.Add(At(0), 0);
  for (int s = 1; s <= 5; ++s)
    e.Add(At(s), 100);
  EXPECT_NEAR(e.value(), 100 * (1 - std::exp(-1.0)), 1e-9);
}

TEST(Ewma, AOneSecondSpikeMovesTheAverageBy18PercentAtTheDefault) {
  Ewma e;
  e.Add(At(0), 0);
  EXPECT_NEAR(e.Add(At(1), 100), 100 * (1 - std::exp(-0.2)), 1e-9);
  EXPECT_LT(e.value(), 18.2);
}

TEST(Ewma, DoesNotDependOnTheSamplingRate) {
  Ewma coarse(seconds(3)), fine(seconds(3));
  coarse.Add(At(0), 10);
  fine.Add(At(0), 10);
  coarse.Add(At(2), 70);
  fine.Add(At(0.5), 70);
  fine.Add(At(1), 70);
  fine.Add(At(1.5), 70);
  fine.Add(At(2), 70);
  EXPECT_NEAR(coarse.value(), fine.value(), 1e-9);
}

TEST(Ewma, IgnoresSamplesFromThePastAndNan) {
  Ewma e;
  e.Add(At(5), 10);
  EXPECT_DOUBLE_EQ(e.Add(At(5), 90), 10);
  EXPECT_DOUBLE_EQ(e.Add(At(4), 90), 10);
  EXPECT_DOUBLE_EQ(e.Add(At(6), std::nan("")), 10);
  EXPECT_GT(e.Add(At(6), 90), 10);
}

}  // namespace
}  // namespace dabs::statistics
