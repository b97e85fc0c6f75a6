#include <gtest/gtest.h>

#include <dabs/mp/rto.h>

namespace dabs::mp {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

TEST(RtoEstimator, StartsAt250MillisecondsWithoutASample) {
  RtoEstimator rto;
  EXPECT_EQ(rto.rto(), milliseconds(250));
  EXPECT_EQ(rto.srtt(), milliseconds(250));
  EXPECT_FALSE(rto.has_sample());
}

TEST(RtoEstimator, FirstSampleSetsSrttToItAndRttvarToHalf) {
  // RFC 6298 2.2: SRTT = R, RTTVAR = R / 2, RTO = SRTT + 4 RTTVAR = 3 R.
  RtoEstimator rto;
  rto.Sample(milliseconds(100));
  EXPECT_TRUE(rto.has_sample());
  EXPECT_EQ(rto.srtt(), milliseconds(100));
  EXPECT_EQ(rto.rto(), milliseconds(300));
}

TEST(RtoEstimator, LaterSamplesFollowAlphaOneEighthAndBetaOneQuarter) {
  // RFC 6298 2.3, RTTVAR first (from the old SRTT), then SRTT:
  //   R' = 200: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5
  //             SRTT   = 7/8 * 100 + 1/8 * 200        = 112.5
  //             RTO    = 112.5 + 4 * 62.5              = 362.5
  //   R' = 50:  RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 50| = 62.5
  //             SRTT   = 7/8 * 112.5 + 1/8 * 50          = 104.6875
  //             RTO    = 104.6875 + 250                  = 354.6875
  RtoEstimator rto;
  rto.Sample(milliseconds(100));
  rto.Sample(milliseconds(200));
  EXPECT_EQ(rto.srtt(), microseconds(112'500));
  EXPECT_EQ(rto.rto(), microseconds(362'500));
  rto.Sample(milliseconds(50));
  EXPECT_EQ(rto.srtt(), Duration(104'687'500));
  EXPECT_EQ(rto.rto(), Duration(354'687'500));
}

TEST(RtoEstimator, SteadySamplesConvergeOnSrttPlusTheClockGranularity) {
  // With no variation RTTVAR decays to zero; RFC 6298 keeps max(G, 4 RTTVAR) = 1 ms.
  RtoEstimator rto;
  for (int i = 0; i < 200; ++i)
    rto.Sample(milliseconds(100));
  EXPECT_EQ(rto.srtt(), milliseconds(100));
  EXPECT_EQ(rto.rto(), milliseconds(101));
}

TEST(RtoEstimator, NeverGoesBelowTheFloorOf20Milliseconds) {
  RtoEstimator rto;
  rto.Sample(milliseconds(1));  // 1 + 4 * 0.5 = 3 ms unclamped
  EXPECT_EQ(rto.rto(), milliseconds(20));
  for (int i = 0; i < 50; ++i)
    rto.Sample(Duration(0));
  EXPECT_EQ(rto.rto(), milliseconds(20));
}

TEST(RtoEstimator, NegativeSampleCountsAsZero) {
  RtoEstimator rto({.floor = Duration(0)});
  rto.Sample(milliseconds(-5));
  EXPECT_EQ(rto.srtt(), Duration(0));
  EXPECT_EQ(rto.rto(), milliseconds(1));  // 0 + max(G, 0)
}

TEST(RtoEstimator, NeverGoesAboveTheCeilingOf10Seconds) {
  RtoEstimator rto;
  rto.Sample(seconds(5));  // 3 * 5 s = 15 s unclamped
  EXPECT_EQ(rto.srtt(), seconds(5));
  EXPECT_EQ(rto.rto(), seconds(10));
}

TEST(RtoEstimator, BackoffDoublesUpToTheCeiling) {
  RtoEstimator rto;
  const Duration expected[] = {milliseconds(500),   milliseconds(1000), milliseconds(2000),
                               milliseconds(4000),  milliseconds(8000), milliseconds(10'000),
                               milliseconds(10'000)};
  for (Duration want : expected) {
    rto.Backoff();
    EXPECT_EQ(rto.rto(), want);
  }
  EXPECT_FALSE(rto.has_sample());  // backing off is not a measurement
}

TEST(RtoEstimator, SampleAfterBackoffRecomputesFromTheEstimates) {
  RtoEstimator rto;
  rto.Sample(milliseconds(100));
  rto.Backoff();
  rto.Backoff();
  EXPECT_EQ(rto.rto(), milliseconds(1200));
  // RTTVAR = 3/4 * 50 + 1/4 * 0 = 37.5, SRTT = 100, RTO = 100 + 150 = 250: the backed-off
  // value is gone, not doubled again or averaged in.
  rto.Sample(milliseconds(100));
  EXPECT_EQ(rto.srtt(), milliseconds(100));
  EXPECT_EQ(rto.rto(), milliseconds(250));
}

TEST(RtoEstimator, ConfigurationSetsInitialFloorAndCeiling) {
  RtoEstimator rto(
      {.initial = milliseconds(40), .floor = milliseconds(30), .ceiling = milliseconds(100)});
  EXPECT_EQ(rto.rto(), milliseconds(40));
  rto.Backoff();
  EXPECT_EQ(rto.rto(), milliseconds(80));
  rto.Backoff();
  EXPECT_EQ(rto.rto(), milliseconds(100));
  rto.Sample(milliseconds(5));  // 15 ms unclamped
  EXPECT_EQ(rto.rto(), milliseconds(30));
}

}  // namespace
}  // namespace dabs::mp
