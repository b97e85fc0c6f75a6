// Deferred work for the supervisor (restart backoff, shutdown grace periods), injected so
// that unit tests run the same logic on a fake clock (testing/manual_scheduler.h).
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>

#include <dabs/mp/clock.h>

namespace dabs::farm {

class TaskScheduler {
 public:
  virtual ~TaskScheduler() = default;
  // Runs `task` once, at or after `when` on the supervisor's clock. Thread-safe. Never runs
  // it from inside RunAt. There is no cancel: tasks check whether they still apply.
  virtual void RunAt(mp::TimePoint when, std::function<void()> task) = 0;
};

// Steady timers on an io_context; `when` is a steady_clock time (mp::SystemClock::Now()).
// Tasks run on `io`. A task still pending when the scheduler goes runs anyway (tasks hold
// what they need); `io` must outlive every pending task.
class AsioTaskScheduler final : public TaskScheduler {
 public:
  explicit AsioTaskScheduler(boost::asio::io_context& io) : io_(io) {}
  void RunAt(mp::TimePoint when, std::function<void()> task) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace dabs::farm
