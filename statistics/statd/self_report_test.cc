#include <gtest/gtest.h>

#include <dabs/statd/self_report.h>
#include <dabs/statd/server_figures.h>

namespace dabs::statd {
namespace {

using namespace std::chrono_literals;
using statistics::Resource;

statistics::Figures Machine(double cpu_busy, double available_mb, double disk_free_mb = 10000) {
  statistics::Figures f;
  f.interval = 1s;
  f.cpu.busy_pct = cpu_busy;
  f.cpu.capacity_cores = 1.5;
  f.memory.total_mb = 8192;
  f.memory.available_mb = available_mb;
  f.memory.used_mb = 8192 - available_mb;
  f.memory.used_pct = 100 * f.memory.used_mb / 8192;
  f.disk.free_mb = disk_free_mb;
  return f;
}

SelfReporter Reporter() {
  SelfReportConfig c;  // min_free 5 % / 64 MB / 64 MB, water 250 / 150
  auto r = SelfReporter::Create(c);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

TEST(SelfReport, TheRecordCarriesTheSampleAndTheDaspTotals) {
  SelfReporter reporter = Reporter();
  DaspTotals dasps{3, 42, 80};
  const mp::TimePoint t{std::chrono::seconds(10)};
  SelfReport r = reporter.Report(Machine(20, 4096), dasps, t, 1'000'000, "s1", 1);
  EXPECT_EQ(r.record.server, "s1");
  EXPECT_EQ(r.record.index, 1);
  EXPECT_EQ(r.record.sampled_ms, 1'000'000);
  EXPECT_EQ(FigureOr(r.record, figure::kCpuPct), 20);
  EXPECT_EQ(FigureOr(r.record, figure::kMemoryPct), 50);
  EXPECT_EQ(FigureOr(r.record, figure::kInstances), 3);
  EXPECT_EQ(FigureOr(r.record, figure::kSessions), 42);
  EXPECT_EQ(FigureOr(r.record, figure::kLatencyP99Ms), 80);
  EXPECT_EQ(FigureOr(r.record, figure::kCpuCores), 2) << "capacity rounded up";
  EXPECT_EQ(FigureOr(r.record, figure::kBelowMinimums), 0);
  EXPECT_FALSE(r.TellLbd());
}

TEST(SelfReport, TheLoadIsSmoothedASpikeMovesItLittle) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  SelfReport r;
  for (int i = 0; i < 30; ++i)
    r = reporter.Report(Machine(10, 6000), {}, t += 1s, 0, "s1", 1);
  const double calm = FigureOr(r.record, figure::kLoad);
  r = reporter.Report(Machine(100, 6000), {}, t += 1s, 0, "s1", 1);
  EXPECT_GT(FigureOr(r.record, figure::kRawLoad), calm + 40);
  EXPECT_LT(FigureOr(r.record, figure::kLoad),
            calm + 0.25 * (FigureOr(r.record, figure::kRawLoad) - calm))
      << "a one-second spike moves the smoothed score by about 18% of its height";
}

TEST(SelfReport, MemoryUnderTheMinimumIsOneCrossingForDabsLbd) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  EXPECT_FALSE(reporter.Report(Machine(10, 4096), {}, t += 1s, 0, "s1", 1).TellLbd());
  SelfReport low = reporter.Report(Machine(10, 32), {}, t += 1s, 0, "s1", 1);
  ASSERT_EQ(low.crossings.size(), 1u);
  EXPECT_EQ(low.crossings[0].resource, Resource::kMemory);
  EXPECT_TRUE(low.crossings[0].below);
  EXPECT_TRUE(low.TellLbd());
  EXPECT_EQ(FigureOr(low.record, figure::kBelowMinimums), 2);
  SelfReport still = reporter.Report(Machine(10, 40), {}, t += 1s, 0, "s1", 1);
  EXPECT_FALSE(still.TellLbd()) << "reported once per crossing";
  EXPECT_EQ(FigureOr(still.record, figure::kBelowMinimums), 2);
}

TEST(SelfReport, ACpuBurstDoesNotCountAsWaningButSustainedUseDoes) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  for (int i = 0; i < 10; ++i)
    reporter.Report(Machine(20, 4096), {}, t += 1s, 0, "s1", 1);
  EXPECT_TRUE(reporter.Report(Machine(100, 4096), {}, t += 1s, 0, "s1", 1).crossings.empty());
  bool crossed = false;
  for (int i = 0; i < 30 && !crossed; ++i) {
    crossed = !reporter.Report(Machine(100, 4096), {}, t += 1s, 0, "s1", 1).crossings.empty();
  }
  EXPECT_TRUE(crossed);
}

TEST(SelfReport, LatencyOverHighWaterGoesHighAndBackUnderLowWater) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  SelfReport high = reporter.Report(Machine(10, 4096), {1, 1, 400}, t += 1s, 0, "s1", 1);
  ASSERT_TRUE(high.latency_change.has_value());
  EXPECT_EQ(*high.latency_change, statistics::WaterMarks::State::kHigh);
  EXPECT_EQ(FigureOr(high.record, figure::kLatencyHigh), 1);
  EXPECT_TRUE(high.TellLbd());
  EXPECT_FALSE(reporter.Report(Machine(10, 4096), {1, 1, 200}, t += 1s, 0, "s1", 1).latency_change);
  SelfReport low = reporter.Report(Machine(10, 4096), {1, 1, 100}, t += 1s, 0, "s1", 1);
  ASSERT_TRUE(low.latency_change.has_value());
  EXPECT_EQ(*low.latency_change, statistics::WaterMarks::State::kNormal);
}

TEST(SelfReport, ReconfiguringKeepsTheSmoothingAndRefusesBadSettings) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  for (int i = 0; i < 20; ++i)
    reporter.Report(Machine(80, 4096), {}, t += 1s, 0, "s1", 1);
  SelfReportConfig c;
  c.high_water_ms = 500;
  c.low_water_ms = 400;
  ASSERT_TRUE(reporter.Reconfigure(c).ok());
  SelfReport r = reporter.Report(Machine(0, 4096), {}, t += 1s, 0, "s1", 1);
  EXPECT_LT(FigureOr(r.record, figure::kRawLoad), 40);
  EXPECT_GT(FigureOr(r.record, figure::kLoad), 40) << "the average carried on";
  r = reporter.Report(Machine(0, 4096), {0, 0, 450}, t += 1s, 0, "s1", 1);
  EXPECT_FALSE(r.latency_change) << "450 is under the new high water";
  c.low_water_ms = 600;  // above high water
  EXPECT_FALSE(reporter.Reconfigure(c).ok());
}

TEST(SelfReport, ANewConfigurationThatEndsACrossingIsToldOnce) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  ASSERT_TRUE(reporter.Report(Machine(10, 32), {1, 1, 400}, t += 1s, 0, "s1", 1).TellLbd());
  SelfReportConfig c;
  c.high_water_ms = 1000;
  c.low_water_ms = 800;
  c.min_free.memory_mb = 0;  // never below
  ASSERT_TRUE(reporter.Reconfigure(c).ok());
  SelfReport r = reporter.Report(Machine(10, 32), {1, 1, 400}, t += 1s, 0, "s1", 1);
  EXPECT_TRUE(r.TellLbd()) << "dabs-lbd must learn the server is eligible again";
  ASSERT_TRUE(r.latency_change.has_value());
  EXPECT_EQ(*r.latency_change, statistics::WaterMarks::State::kNormal);
  EXPECT_EQ(FigureOr(r.record, figure::kLatencyHigh), 0);
  EXPECT_EQ(FigureOr(r.record, figure::kBelowMinimums), 0);
  EXPECT_FALSE(reporter.Report(Machine(10, 32), {1, 1, 400}, t += 1s, 0, "s1", 1).TellLbd());
}

TEST(SelfReport, ANewConfigurationThatKeepsACrossingIsNotToldAgain) {
  SelfReporter reporter = Reporter();
  mp::TimePoint t{std::chrono::seconds(10)};
  ASSERT_TRUE(reporter.Report(Machine(10, 32), {1, 1, 400}, t += 1s, 0, "s1", 1).TellLbd());
  SelfReportConfig c;
  c.high_water_ms = 300;  // 400 is still over it
  c.low_water_ms = 200;
  c.min_free.memory_mb = 100;  // 32 MB is still below it
  ASSERT_TRUE(reporter.Reconfigure(c).ok());
  SelfReport r = reporter.Report(Machine(10, 32), {1, 1, 400}, t += 1s, 0, "s1", 1);
  EXPECT_FALSE(r.TellLbd());
  EXPECT_EQ(FigureOr(r.record, figure::kLatencyHigh), 1);
  EXPECT_EQ(FigureOr(r.record, figure::kBelowMinimums), 2);
}

}  // namespace
}  // namespace dabs::statd
