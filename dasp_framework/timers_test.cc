#include <dabs/dasp/resource_lock.h>
#include <dabs/dasp/timers.h>
#include <dabs/mp/testing/fake_clock.h>

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <dabs/mp/node.h>

namespace dabs::dasp {
namespace {

using namespace std::chrono_literals;

ReadTimer::Config Reads(uint32_t backlog) {
  ReadTimer::Config c;
  c.first_timeout = 100ms;
  c.backlog_reads = backlog;
  return c;
}

TEST(ReadTimer, ReportsABacklogAfterThatManyReadsInARowDidNotTimeOut) {
  std::vector<uint64_t> reports;
  ReadTimer t("q", Reads(8), [&](uint64_t n) { reports.push_back(n); });
  for (int i = 0; i < 7; ++i) t.OnRead(false);
  EXPECT_TRUE(reports.empty());
  t.OnRead(false);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], 8u);
  EXPECT_EQ(t.backlog_reports(), 1u);
  EXPECT_EQ(t.consecutive(), 0u);  // the next report needs as many reads again
}

TEST(ReadTimer, ATimedOutReadResetsTheCountAndTheTimeout) {
  int reports = 0;
  ReadTimer t("q", Reads(8), [&](uint64_t) { ++reports; });
  for (int i = 0; i < 7; ++i) t.OnRead(false);
  EXPECT_LT(t.timeout(), 100ms);
  t.OnRead(true);
  EXPECT_EQ(t.timeout(), 100ms);
  for (int i = 0; i < 7; ++i) t.OnRead(false);
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(t.timeouts(), 1u);
  EXPECT_EQ(t.reads_not_timed_out(), 14u);
}

TEST(ReadTimer, TheTimeoutShrinksToZeroWithinHalfTheReads) {
  ReadTimer t("q", Reads(8), nullptr);
  for (int i = 0; i < 3; ++i) t.OnRead(false);
  EXPECT_EQ(t.timeout(), 25ms);  // 100 ms less 3 x 25 ms
  t.OnRead(false);
  EXPECT_EQ(t.timeout(), 0ms);
}

TEST(WriteTimer, RetriesWithAGrowingTimeoutAndReportsWhenEveryTryTimedOut) {
  mp::testing::FakeClock clock;
  std::vector<uint64_t> reports;
  WriteTimer::Config c;
  c.initial_timeout = 10ms;
  c.factor = 2.0;
  c.max_tries = 3;
  WriteTimer t("disk", c, [&](uint64_t n) { reports.push_back(n); }, clock);
  std::vector<Duration> tried;
  Status s = t.Write([&](Duration timeout) {
    tried.push_back(timeout);
    return false;
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(tried, (std::vector<Duration>{10ms, 20ms, 40ms}));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(t.timeouts(), 3u);
  EXPECT_EQ(t.timeouts_in_interval(), 1u);
}

TEST(WriteTimer, AShrinkingPatternAndSuccessOnALaterTry) {
  mp::testing::FakeClock clock;
  WriteTimer::Config c;
  c.initial_timeout = 40ms;
  c.factor = 0.5;
  WriteTimer t("disk", c, nullptr, clock);
  std::vector<Duration> tried;
  EXPECT_TRUE(t.Write([&](Duration timeout) {
                 tried.push_back(timeout);
                 return tried.size() == 2;
               }).ok());
  EXPECT_EQ(tried, (std::vector<Duration>{40ms, 20ms}));
  EXPECT_EQ(t.completions(), 1u);
}

TEST(WriteTimer, TimeoutsAreCountedPerInterval) {
  mp::testing::FakeClock clock;
  WriteTimer::Config c;
  c.max_tries = 1;
  c.interval = 60s;
  WriteTimer t("disk", c, nullptr, clock);
  for (int i = 0; i < 3; ++i) (void)t.Write([](Duration) { return false; });
  EXPECT_EQ(t.timeouts_in_interval(), 3u);
  clock.Advance(61s);
  EXPECT_EQ(t.timeouts_in_interval(), 0u);
}

TEST(AsyncTimer, CallsBackOnceWithTheClientAndTheElapsedTimeWhenItCompletes) {
  mp::IoThreads io(1);
  std::promise<AsyncOutcome> got;
  auto t = AsyncTimer::Start(io.io(), "fetch", 1s, 42, [&](const AsyncOutcome& o) { got.set_value(o); });
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(t->Complete());
  EXPECT_FALSE(t->Complete());  // once
  const AsyncOutcome o = got.get_future().get();
  EXPECT_FALSE(o.timed_out);
  EXPECT_EQ(o.client_id, 42u);
  EXPECT_GE(o.elapsed, 20ms);
  EXPECT_EQ(t->completions(), 1u);
}

TEST(AsyncTimer, CallsBackWithATimeoutWhenTheOperationIsLate) {
  mp::IoThreads io(1);
  std::promise<AsyncOutcome> got;
  auto t = AsyncTimer::Start(io.io(), "fetch", 30ms, 7, [&](const AsyncOutcome& o) { got.set_value(o); });
  const AsyncOutcome o = got.get_future().get();
  EXPECT_TRUE(o.timed_out);
  EXPECT_EQ(o.client_id, 7u);
  EXPECT_FALSE(o.status.ok());
  EXPECT_FALSE(t->Complete());  // too late
  EXPECT_EQ(t->timeouts(), 1u);
}

TEST(ResourceLock, AMutexAdmitsOneHolderAndTimesOutTheNextWithAReport) {
  std::vector<std::string> reports;
  ResourceLock lock("ledger", "disk", 1, 30ms, [&](const std::string& type) { reports.push_back(type); });
  auto first = lock.Acquire();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(lock.holders(), 1);
  const auto start = std::chrono::steady_clock::now();
  auto second = lock.Acquire();
  EXPECT_FALSE(second.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_EQ(reports, std::vector<std::string>{"disk"});
  EXPECT_EQ(lock.timeouts(), 1u);
  first->Release();
  EXPECT_TRUE(lock.Acquire().ok());
}

TEST(ResourceLock, ASemaphoreAdmitsNHoldersAndAWaiterGetsAReleasedHold) {
  ResourceLock lock("pool", "db", 2, 500ms, nullptr);
  auto a = lock.Acquire(), b = lock.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(lock.holders(), 2);
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    a->Release();
  });
  auto c = lock.Acquire();
  releaser.join();
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(lock.acquisitions(), 3u);
}

}  // namespace
}  // namespace dabs::dasp
