#include "dabs/emu/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace dabs::emu {
namespace {

using std::chrono::nanoseconds;

// The exact quantile the histogram approximates: the sample of rank ceil(q * n).
double ExactQuantileMs(std::vector<int64_t> sorted_ns, double q) {
  const auto n = sorted_ns.size();
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n)));
  return static_cast<double>(sorted_ns[rank - 1]) / 1e6;
}

void ExpectQuantilesWithinOnePercent(std::vector<int64_t> samples_ns) {
  LatencyHistogram h;
  for (int64_t ns : samples_ns)
    h.Record(nanoseconds(ns));
  std::sort(samples_ns.begin(), samples_ns.end());
  ASSERT_EQ(h.Count(), samples_ns.size());
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = ExactQuantileMs(samples_ns, q);
    EXPECT_NEAR(h.QuantileMs(q), exact, exact * 0.01) << "q=" << q;
  }
}

TEST(LatencyHistogramTest, QuantilesOfUniformDistributionWithinOnePercent) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int64_t> dist(1'000, 500'000'000);  // 1 us .. 500 ms
  std::vector<int64_t> samples(200'000);
  for (auto& s : samples)
    s = dist(rng);
  ExpectQuantilesWithinOnePercent(samples);
}

TEST(LatencyHistogramTest, QuantilesOfLogNormalDistributionWithinOnePercent) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(std::log(5e6), 1.5);  // around 5 ms, long tail
  std::vector<int64_t> samples(200'000);
  for (auto& s : samples)
    s = std::clamp<int64_t>(static_cast<int64_t>(dist(rng)), 1'000, LatencyHistogram::kMaxNs);
  ExpectQuantilesWithinOnePercent(samples);
}

TEST(LatencyHistogramTest, QuantilesOfExponentialDistributionWithinOnePercent) {
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> dist(1.0 / 20e6);  // mean 20 ms
  std::vector<int64_t> samples(200'000);
  for (auto& s : samples)
    s = 1'000 + static_cast<int64_t>(dist(rng));
  ExpectQuantilesWithinOnePercent(samples);
}

TEST(LatencyHistogramTest, EveryValueFrom1UsTo1HourIsWithinOnePercentOfItsBucketMidpoint) {
  for (int64_t ns = 1'000; ns <= LatencyHistogram::kMaxNs; ns = ns * 1001 / 1000 + 1) {
    const std::size_t i = LatencyHistogram::BucketIndex(ns);
    const int64_t low = LatencyHistogram::BucketLowNs(i);
    const int64_t width = LatencyHistogram::BucketWidthNs(i);
    ASSERT_GE(ns, low);
    ASSERT_LT(ns, low + width);
    const double mid = static_cast<double>(low) + static_cast<double>(width - 1) / 2;
    ASSERT_LE(std::abs(mid - static_cast<double>(ns)) / static_cast<double>(ns), 1.0 / 128) << ns;
  }
  EXPECT_EQ(LatencyHistogram::BucketIndex(LatencyHistogram::kMaxNs),
            LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogramTest, OutOfRangeValuesAreClampedAndExtremesExact) {
  LatencyHistogram h;
  h.Record(nanoseconds(-5));
  h.Record(std::chrono::hours(3));
  EXPECT_EQ(h.Count(), 2u);
  EXPECT_EQ(h.MinMs(), 0.0);
  EXPECT_EQ(h.MaxMs(), 3'600'000.0);
  EXPECT_EQ(h.QuantileMs(1.0), 3'600'000.0);
  EXPECT_EQ(h.QuantileMs(0.0), 0.0);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int i = 1; i <= 1000; ++i) {
    (i % 3 == 0 ? a : b).Record(std::chrono::microseconds(i * 37));
    all.Record(std::chrono::microseconds(i * 37));
  }
  a.Merge(b);
  EXPECT_EQ(a.Count(), all.Count());
  for (double q : {0.1, 0.5, 0.99})
    EXPECT_EQ(a.QuantileMs(q), all.QuantileMs(q));
  EXPECT_EQ(a.MinMs(), all.MinMs());
  EXPECT_EQ(a.MaxMs(), all.MaxMs());
}

TEST(LatencyHistogramTest, ClearForgetsSamples) {
  LatencyHistogram h;
  h.Record(std::chrono::milliseconds(5), 10);
  h.Clear();
  EXPECT_TRUE(h.Empty());
  EXPECT_EQ(h.QuantileMs(0.5), 0.0);
  EXPECT_TRUE(h.Cdf().empty());
  h.Record(std::chrono::milliseconds(2));
  EXPECT_NEAR(h.QuantileMs(0.5), 2.0, 0.02);
}

TEST(LatencyHistogramTest, CdfIsIncreasingAndEndsAtOne) {
  LatencyHistogram h;
  h.Record(std::chrono::milliseconds(1), 50);
  h.Record(std::chrono::milliseconds(10), 40);
  h.Record(std::chrono::milliseconds(100), 10);
  const std::vector<CdfPoint> cdf = h.Cdf();
  ASSERT_EQ(cdf.size(), 3u);
  EXPECT_NEAR(cdf[0].ms, 1.0, 0.01);
  EXPECT_DOUBLE_EQ(cdf[0].fraction, 0.5);
  EXPECT_DOUBLE_EQ(cdf[1].fraction, 0.9);
  EXPECT_DOUBLE_EQ(cdf[2].ms, 100.0);  // the last point is the exact maximum
  EXPECT_DOUBLE_EQ(cdf[2].fraction, 1.0);
}

}  // namespace
}  // namespace dabs::emu
