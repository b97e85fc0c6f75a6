#include <gtest/gtest.h>

#include <dabs/statd/dasp_figures.h>

namespace dabs::statd {
namespace {

using namespace std::chrono_literals;

store::DaspRecord Dasp(mp::Va va, std::string state, uint32_t sessions, std::string server = "s1") {
  store::DaspRecord r;
  r.va = va;
  r.state = std::move(state);
  r.sessions = sessions;
  r.server = std::move(server);
  return r;
}

DaspFigures Reply(mp::TimePoint at, uint64_t sessions, uint64_t p99) {
  DaspFigures f;
  f.at = at;
  f.stats.values[mp::stat_tag::kSessions] = sessions;
  f.stats.values[mp::stat_tag::kLatencyP99Ms] = p99;
  return f;
}

TEST(AggregateDasps, CountsLiveInstancesOfThisServerOnly) {
  const mp::TimePoint now{std::chrono::seconds(100)};
  std::vector<store::DaspRecord> records = {Dasp(1, "ready", 5),         Dasp(2, "busy", 6),
                                            Dasp(3, "draining", 1),      Dasp(4, "starting", 0),
                                            Dasp(5, "stopped", 9),       Dasp(6, "failed", 9),
                                            Dasp(7, "ready", 100, "s2"), Dasp(8, "ready", 2, "")};
  const DaspTotals t = AggregateDasps(records, {}, "s1", now, 5s);
  EXPECT_EQ(t.instances, 5u);
  EXPECT_EQ(t.sessions, 5u + 6 + 1 + 0 + 2);
  EXPECT_EQ(t.latency_p99_ms, 0);
}

TEST(AggregateDasps, FreshRepliesGiveSessionsAndTheHighestP99StaleOnesDoNot) {
  const mp::TimePoint now{std::chrono::seconds(100)};
  std::vector<store::DaspRecord> records = {Dasp(1, "ready", 5), Dasp(2, "ready", 6),
                                            Dasp(3, "stopped", 0)};
  std::map<mp::Va, DaspFigures> replies = {
      {1, Reply(now - 1s, 50, 120)},
      {2, Reply(now - 10s, 60, 900)},  // stale: the record's sessions, no latency
      {3, Reply(now, 0, 5000)},        // stopped: not counted
  };
  const DaspTotals t = AggregateDasps(records, replies, "s1", now, 5s);
  EXPECT_EQ(t.instances, 2u);
  EXPECT_EQ(t.sessions, 50u + 6);
  EXPECT_EQ(t.latency_p99_ms, 120);
  EXPECT_EQ(FreshFigures(replies, 2, now, 5s), nullptr);
  EXPECT_NE(FreshFigures(replies, 1, now, 5s), nullptr);
}

TEST(AggregateDasps, AReplyWithoutASessionCountKeepsTheRecords) {
  const mp::TimePoint now{std::chrono::seconds(100)};
  DaspFigures f;
  f.at = now;
  f.stats.values[mp::stat_tag::kLatencyP99Ms] = 7;
  const DaspTotals t = AggregateDasps({Dasp(1, "ready", 9)}, {{1, f}}, "s1", now, 5s);
  EXPECT_EQ(t.sessions, 9u);
  EXPECT_EQ(t.latency_p99_ms, 7);
}

}  // namespace
}  // namespace dabs::statd
