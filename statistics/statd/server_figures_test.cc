#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include <dabs/statd/server_figures.h>

namespace dabs::statd {
namespace {

TEST(ServerFigures, ARecordSurvivesTheWireToHundredthsOfAPercent) {
  store::StatsRecord r;
  r.server = "s2";
  r.index = 2;
  r.sampled_ms = 1'700'000'000'123;
  r.figures = {{"cpu_pct", 37.456}, {"memory_pct", 61.0},   {"net_pct", 0.25},
               {"load", 44.444},    {"latency_p99_ms", 12}, {"free_memory_mb", 2048},
               {"instances", 3},    {"sessions", 120},      {"below_minimums", 2},
               {"latency_high", 1}};
  const mp::ServerStats wire = ToServerStats(r);
  EXPECT_EQ(wire.figures.Get(mp::server_stat::kCpuPctX100), 3746u);
  EXPECT_EQ(wire.figures.Get(mp::server_stat::kLoadX100), 4444u);
  EXPECT_EQ(wire.figures.Get(mp::server_stat::kSampledAtMs), 1'700'000'000'123u);
  auto decoded = mp::ServerStats::Decode(wire.Encode());
  ASSERT_TRUE(decoded.ok());
  const store::StatsRecord back = ToStatsRecord(*decoded, 5);
  EXPECT_EQ(back.server, "s2");
  EXPECT_EQ(back.index, 2);
  EXPECT_EQ(back.sampled_ms, r.sampled_ms) << "the sender's sample time, not the arrival";
  EXPECT_NEAR(back.figures.at("cpu_pct"), 37.46, 1e-9);
  EXPECT_NEAR(back.figures.at("load"), 44.44, 1e-9);
  EXPECT_EQ(back.figures.at("sessions"), 120);
  EXPECT_EQ(back.figures.at("below_minimums"), 2);
  EXPECT_EQ(back.figures.size(), r.figures.size());
}

TEST(ServerFigures, NegativeAndNanFiguresTravelAsZero) {
  store::StatsRecord r;
  r.server = "s1";
  r.figures = {{"cpu_pct", -3}, {"net_pct", std::nan("")}};
  const mp::ServerStats wire = ToServerStats(r);
  EXPECT_EQ(wire.figures.Get(mp::server_stat::kCpuPctX100), 0u);
  EXPECT_EQ(wire.figures.values.count(mp::server_stat::kNetPctX100), 1u);
  EXPECT_EQ(wire.figures.Get(mp::server_stat::kNetPctX100), 0u);
}

TEST(ServerFigures, UnknownTagsOfANewerServerAreLeftOutAndAMissingTimeIsTheArrival) {
  mp::ServerStats s;
  s.server = "s9";
  s.figures.values[0xF0] = 77;  // not a tag this build knows
  s.figures.values[mp::server_stat::kSessions] = 4;
  const store::StatsRecord r = ToStatsRecord(s, 1234);
  EXPECT_EQ(r.sampled_ms, 1234);
  EXPECT_EQ(r.figures.size(), 1u);
  EXPECT_EQ(FigureOr(r, figure::kSessions), 4);
  EXPECT_EQ(FigureOr(r, figure::kCpuPct, -1), -1);
}

TEST(ServerFigures, EveryTagHasOneNameAndEveryNameOneTag) {
  std::set<uint8_t> tags;
  std::set<std::string_view> names;
  for (const auto& spec : FigureSpecs()) {
    EXPECT_TRUE(tags.insert(spec.tag).second) << int(spec.tag);
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_NE(spec.tag, mp::server_stat::kSampledAtMs);
  }
  // dabsctl stats --json keys (docs/spec/config.md) are figures of the record.
  for (std::string_view key : {"cpu_pct", "memory_pct", "net_pct", "load", "latency_p99_ms"}) {
    EXPECT_TRUE(names.count(key)) << key;
  }
}

}  // namespace
}  // namespace dabs::statd
