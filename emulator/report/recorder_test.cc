#include "dabs/emu/recorder.h"

#include <cmath>
#include <thread>

#include <gtest/gtest.h>
#include <malloc.h>

#include "recorder_testing.h"

namespace dabs::emu {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;

TEST(RecorderTest, ScriptedRunGivesTotals) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  const RecorderSnapshot s = testing::ScriptedRun(recorder, clock);
  EXPECT_DOUBLE_EQ(s.t_s, 3.5);
  EXPECT_EQ(s.stbs_started, 3u);
  EXPECT_EQ(s.sessions_opened, 3u);
  EXPECT_EQ(s.sessions_failed, 1u);
  EXPECT_EQ(s.sessions_closed, 1u);
  EXPECT_EQ(s.sessions_open, 2);
  EXPECT_EQ(s.requests_ok, 101u);
  EXPECT_EQ(s.requests_failed, 1u);
  EXPECT_EQ(s.rehomed, 1u);
  EXPECT_EQ(s.local_ops, 1u);
  EXPECT_EQ(s.failures_by_cause,
            (std::map<std::string, uint64_t>{{"no_server", 1}, {"timeout", 1}}));
  EXPECT_EQ(s.sessions_by_server, (std::map<std::string, uint64_t>{{"s1", 2}, {"s2", 1}}));
  EXPECT_EQ(s.sessions_open_by_server, (std::map<std::string, int64_t>{{"s1", 2}, {"s2", 0}}));
  EXPECT_EQ(s.sessions_by_channel, (std::map<std::string, uint64_t>{{"docsis", 2}, {"oob", 1}}));
  ASSERT_EQ(s.latency.size(), 2u);
  EXPECT_EQ(s.latency.at("docsis").Count(), 100u);
  EXPECT_NEAR(s.latency.at("docsis").QuantileMs(0.99), 10.0, 0.1);
  EXPECT_NEAR(s.latency.at("oob").QuantileMs(0.5), 50.0, 0.5);
}

TEST(RecorderTest, ScriptedRunGivesOneRowPerSecond) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  testing::ScriptedRun(recorder, clock);
  const Timeline t = recorder.GetTimeline();
  EXPECT_EQ(t.servers, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(t.channels, (std::vector<std::string>{"docsis", "oob"}));
  ASSERT_EQ(t.rows.size(), 4u);  // seconds 0, 1, 2 and the begun second 3
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(t.rows[i].t_s, i);
  EXPECT_EQ(t.rows[0].sessions_open, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(t.rows[0].sessions_open_total, 3);
  EXPECT_EQ(t.rows[1].requests_ok, 101u);
  EXPECT_EQ(t.rows[1].requests_failed, 1u);
  ASSERT_EQ(t.rows[1].p99_ms.size(), 2u);
  EXPECT_NEAR(t.rows[1].p99_ms[0], 10.0, 0.1);
  EXPECT_NEAR(t.rows[1].p99_ms[1], 50.0, 0.5);
  EXPECT_TRUE(std::isnan(t.rows[2].p99_ms[0]));
  EXPECT_EQ(t.rows[2].sessions_open, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(t.rows[3].sessions_open_total, 2);
  EXPECT_EQ(t.rows[3].requests_ok, 0u);
}

TEST(RecorderTest, SnapshotClosesOnlyFinishedSecondsAndReportsTheLast) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  clock.Set(0.5);
  for (int i = 0; i < 7; ++i)
    recorder.RequestOk("oob", milliseconds(64));
  clock.Set(1.2);
  recorder.RequestOk("oob", milliseconds(64));
  const RecorderSnapshot s = recorder.Snapshot();
  EXPECT_EQ(s.last_second, 0);
  EXPECT_EQ(s.last_second_requests, 7u);
  EXPECT_EQ(s.requests_ok, 8u);  // totals include the open second
  EXPECT_NEAR(s.recent_p99_ms.at("oob"), 64.0, 0.6);
  EXPECT_EQ(recorder.GetTimeline().rows.size(), 1u);
}

TEST(RecorderTest, FinishAtAWholeSecondDoesNotAddAnEmptyRow) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  clock.Set(0.5);
  recorder.StbStarted();
  clock.Set(60.0);
  recorder.Finish();
  EXPECT_EQ(recorder.GetTimeline().rows.size(), 60u);
}

TEST(RecorderTest, TimelineKeepsOnlyTheNewestSeconds) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock(), RecorderOptions{.timeline_capacity_s = 10});
  for (int t = 0; t < 25; ++t) {
    clock.Set(t + 0.5);
    recorder.SessionOpened("s1", "docsis");
  }
  recorder.Finish();
  const Timeline timeline = recorder.GetTimeline();
  ASSERT_EQ(timeline.rows.size(), 10u);
  EXPECT_EQ(timeline.rows.front().t_s, 15);
  EXPECT_EQ(timeline.rows.back().t_s, 24);
  EXPECT_EQ(timeline.rows.back().sessions_open_total, 25);
}

TEST(RecorderTest, ClockJumpKeepsTheRingBoundedAndTheGaugeRight) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock(), RecorderOptions{.timeline_capacity_s = 100});
  recorder.SessionOpened("s1", "docsis");
  clock.Set(1e6);
  recorder.SessionOpened("s1", "docsis");
  recorder.Finish();
  const Timeline timeline = recorder.GetTimeline();
  EXPECT_EQ(timeline.rows.size(), 100u);
  EXPECT_EQ(timeline.rows.back().sessions_open_total, 2);
}

TEST(RecorderTest, NamesBeyondTheCapCountAsOther) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock(), RecorderOptions{.max_servers = 2, .max_causes = 1});
  for (const char* server : {"s1", "s2", "s3", "s4"})
    recorder.SessionOpened(server, "docsis");
  recorder.RequestFailed("timeout");
  recorder.RequestFailed("nak");
  const RecorderSnapshot s = recorder.Finish();
  EXPECT_EQ(s.sessions_by_server,
            (std::map<std::string, uint64_t>{{"s1", 1}, {"s2", 1}, {"other", 2}}));
  EXPECT_EQ(s.failures_by_cause, (std::map<std::string, uint64_t>{{"timeout", 1}, {"other", 1}}));
}

TEST(RecorderTest, LateEventCountsInTotalsAndItsSecondsRequests) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock(), RecorderOptions{.shards = 2});
  // Two threads started one after the other get neighbouring shards.
  clock.Set(0.5);
  std::thread([&] { recorder.RequestOk("docsis", milliseconds(1)); }).join();
  std::thread([&] {
    clock.Set(4.5);
    recorder.RequestOk("docsis", milliseconds(1));
    clock.Set(5.5);
    recorder.RequestOk("docsis", milliseconds(1));  // hands over second 4: 0 .. 3 close
  }).join();
  // The first shard's second 0 reaches the store only now, after it closed.
  const RecorderSnapshot s = recorder.Finish();
  EXPECT_EQ(s.requests_ok, 3u);
  const Timeline timeline = recorder.GetTimeline();
  ASSERT_EQ(timeline.rows.size(), 6u);
  EXPECT_EQ(timeline.rows[0].requests_ok, 1u);
  EXPECT_TRUE(std::isnan(timeline.rows[0].p99_ms[0]));  // too late for that second's p99
  EXPECT_EQ(timeline.rows[4].requests_ok, 1u);
  EXPECT_EQ(timeline.rows[5].requests_ok, 1u);
}

TEST(RecorderTest, TwoThreadsGiveExactCounts) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  constexpr int kPerThread = 300'000;
  auto work = [&](const char* server, const char* channel) {
    for (int i = 0; i < kPerThread; ++i) {
      recorder.RequestOk(channel, std::chrono::microseconds(100 + i % 1000));
      if (i % 10 == 0) recorder.SessionOpened(server, channel);
      if (i % 100 == 0) recorder.RequestFailed("timeout");
      if (i % 1000 == 0) clock.Set(clock.Now() + 0.25);  // both threads move time on
    }
  };
  std::thread a(work, "s1", "docsis"), b(work, "s2", "oob");
  while (clock.Now() < 10)
    recorder.Snapshot();  // a reader closing seconds meanwhile
  a.join();
  b.join();
  const RecorderSnapshot s = recorder.Finish();
  EXPECT_EQ(s.requests_ok, 2u * kPerThread);
  EXPECT_EQ(s.requests_failed, 2u * kPerThread / 100);
  EXPECT_EQ(s.sessions_by_server.at("s1"), kPerThread / 10u);
  EXPECT_EQ(s.sessions_by_server.at("s2"), kPerThread / 10u);
  EXPECT_EQ(s.latency.at("docsis").Count(), static_cast<uint64_t>(kPerThread));
  EXPECT_EQ(s.latency.at("oob").Count(), static_cast<uint64_t>(kPerThread));
  uint64_t ok_in_rows = 0;
  for (const TimelineRow& row : recorder.GetTimeline().rows)
    ok_in_rows += row.requests_ok;
  EXPECT_EQ(ok_in_rows, s.requests_ok);
}

std::size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

TEST(RecorderTest, TenMillionSamplesDoNotGrowMemory) {
  FakeClock clock;
  Recorder recorder(clock.AsRunClock(), RecorderOptions{.timeline_capacity_s = 1'000});
  constexpr int kSamples = 10'000'000, kPerSecond = 1'000;  // 10,000 s: past the ring
  const char* channels[] = {"docsis", "oob", "modem"};
  std::size_t after_warm_up = 0;
  for (int i = 0; i < kSamples; ++i) {
    if (i % kPerSecond == 0) clock.Set(i / kPerSecond + 0.5);
    recorder.RequestOk(channels[i % 3],
                       std::chrono::microseconds(50 + (int64_t{i} * 7919) % 400'000));
    if (i % kPerSecond == 0) recorder.SessionOpened(i % 3 ? "s1" : "s2", channels[i % 3]);
    if (i == kSamples / 5) {
      recorder.Snapshot();
      after_warm_up = HeapInUse();  // 2,000 s recorded: the ring is full
    }
  }
  recorder.Snapshot();
  const std::size_t at_end = HeapInUse();
  EXPECT_LT(at_end, after_warm_up + 256 * 1024)
      << "grew from " << after_warm_up << " to " << at_end;
  EXPECT_EQ(recorder.GetTimeline().rows.size(), 1'000u);
  EXPECT_EQ(recorder.Finish().requests_ok, static_cast<uint64_t>(kSamples));
}

}  // namespace
}  // namespace dabs::emu
