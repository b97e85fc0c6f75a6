#include "dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace dabs::dasp::internal {
namespace {

using namespace std::chrono_literals;

ReadTimer Reads() {
  ReadTimer::Config c;
  c.first_timeout = 20ms;
  c.backlog_reads = 1000;
  return ReadTimer("q", c, nullptr);
}

TEST(Dispatcher, TasksOfOneMailboxRunInOrderAndNeverTwoAtOnce) {
  ReadTimer reads = Reads();
  Dispatcher d(4, reads, 100'000, [](const char*) {});
  d.Start();
  auto box = std::make_shared<Mailbox>();
  std::vector<int> order;
  std::atomic<int> inside{0};
  bool overlap = false;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(d.Post(box, [&, i] {
      if (++inside > 1) overlap = true;
      order.push_back(i);
      --inside;
    }));
  }
  ASSERT_TRUE(d.Drain(5s));
  EXPECT_FALSE(overlap);
  ASSERT_EQ(order.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(order[i], i);
}

TEST(Dispatcher, DifferentMailboxesRunInParallel) {
  ReadTimer reads = Reads();
  Dispatcher d(2, reads, 100, [](const char*) {});
  d.Start();
  std::atomic<int> inside{0}, most{0};
  for (int b = 0; b < 2; ++b) {
    auto box = std::make_shared<Mailbox>();
    d.Post(box, [&] {
      most = std::max(most.load(), ++inside);
      std::this_thread::sleep_for(50ms);
      --inside;
    });
  }
  ASSERT_TRUE(d.Drain(5s));
  EXPECT_EQ(most, 2);
}

TEST(Dispatcher, RefusesTasksBeyondTheQueueLimitUnlessUnlimited) {
  ReadTimer reads = Reads();
  Dispatcher d(1, reads, 3, [](const char*) {});  // not started: nothing runs
  auto box = std::make_shared<Mailbox>();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(d.Post(box, [] {}));
  EXPECT_FALSE(d.Post(box, [] {}));
  EXPECT_TRUE(d.Post(box, [] {}, /*limited=*/false));
  EXPECT_EQ(d.depth(), 4u);
}

TEST(Dispatcher, AThrowingTaskIsReportedAndTheWorkerGoesOn) {
  ReadTimer reads = Reads();
  std::vector<std::string> errors;
  std::mutex mu;
  Dispatcher d(1, reads, 100, [&](const char* what) {
    std::lock_guard lock(mu);
    errors.push_back(what);
  });
  d.Start();
  auto box = std::make_shared<Mailbox>();
  bool after = false;
  d.Post(box, [] { throw std::runtime_error("boom"); });
  d.Post(box, [&] { after = true; });
  ASSERT_TRUE(d.Drain(5s));
  EXPECT_TRUE(after);
  EXPECT_EQ(errors, std::vector<std::string>{"boom"});
}

TEST(Dispatcher, WorkersReadWithTheReadTimerAndTellABacklogFromASteadyStream) {
  ReadTimer::Config c;
  c.first_timeout = 50ms;
  c.backlog_reads = 32;
  std::atomic<int> backlogs{0};
  ReadTimer reads("q", c, [&](uint64_t) { ++backlogs; });
  Dispatcher d(1, reads, 100'000, [](const char*) {});
  d.Start();
  // A steady stream the worker keeps up with: one quick task every 2 ms.
  auto box = std::make_shared<Mailbox>();
  for (int i = 0; i < 100; ++i) {
    d.Post(box, [] {});
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(d.Drain(5s));
  EXPECT_EQ(backlogs, 0);
  // A flood of slow tasks on many sessions: work is always waiting.
  for (int i = 0; i < 100; ++i) {
    d.Post(std::make_shared<Mailbox>(), [] { std::this_thread::sleep_for(200us); });
  }
  ASSERT_TRUE(d.Drain(5s));
  EXPECT_GE(backlogs, 1);
}

}  // namespace
}  // namespace dabs::dasp::internal
