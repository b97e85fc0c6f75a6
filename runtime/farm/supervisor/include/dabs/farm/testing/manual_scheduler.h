// A TaskScheduler for tests: tasks run only when the test says the time has come, so that
// a fake clock drives restart backoff and shutdown grace periods exactly.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <dabs/farm/task_scheduler.h>
#include <dabs/mp/testing/fake_clock.h>

namespace dabs::farm::testing {

class ManualScheduler final : public TaskScheduler {
 public:
  void RunAt(mp::TimePoint when, std::function<void()> task) override {
    std::lock_guard lock(mu_);
    tasks_.emplace(std::make_pair(when, next_++), std::move(task));
  }

  // Runs, in time order, every task due at or before `now`, including tasks those add.
  // Returns how many ran. Tasks run without the scheduler's lock.
  size_t RunDue(mp::TimePoint now) {
    size_t ran = 0;
    for (;;) {
      std::function<void()> task;
      {
        std::lock_guard lock(mu_);
        if (tasks_.empty() || tasks_.begin()->first.first > now) return ran;
        task = std::move(tasks_.begin()->second);
        tasks_.erase(tasks_.begin());
      }
      task();
      ++ran;
    }
  }

  // Moves `clock` on by `d` and runs what fell due.
  size_t Advance(mp::testing::FakeClock& clock, mp::Duration d) {
    clock.Advance(d);
    return RunDue(clock.Now());
  }

  // When the earliest pending task is due.
  std::optional<mp::TimePoint> NextDue() const {
    std::lock_guard lock(mu_);
    if (tasks_.empty()) return std::nullopt;
    return tasks_.begin()->first.first;
  }
  size_t pending() const {
    std::lock_guard lock(mu_);
    return tasks_.size();
  }

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 0;  // keeps tasks due at the same time in the order they were added
  std::map<std::pair<mp::TimePoint, uint64_t>, std::function<void()>> tasks_;
};

}  // namespace dabs::farm::testing
