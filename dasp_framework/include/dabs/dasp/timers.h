// Timers as objects (seed 002, "Timers"): all derive from Timer, which counts completions and
// timeouts and keeps the last duration.
//
// - ReadTimer: the instance reads its queue of ready sessions with it. A read that returns
//   work before the timeout "did not time out"; `backlog_reads` in a row mean messages come
//   faster than they are served, and the timer reports a backlog. Each such read shortens
//   the next timeout by `adjust_per_read` (down to `min_timeout`); a read that times out
//   resets it to `first_timeout` and the count to zero. By default the timeout reaches zero
//   within half the reads, so the rest count only when work was already waiting: a steady
//   stream the instance keeps up with is not a backlog.
// - WriteTimer: a write to a resource with a timeout, tried up to `max_tries` times with a
//   timeout pattern that grows (factor > 1) or shrinks (factor < 1) per try; timeouts are
//   counted per interval and reported.
// - AsyncTimer: for asynchronous calls: it carries the callback, its parameters (captured
//   in it) and the id of the client the call was for, measures call-to-callback time, and
//   calls back with a timeout if the operation does not complete in time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>

#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>

namespace dabs::dasp {

using mp::Duration;
using std::chrono::milliseconds;

class Timer {
 public:
  explicit Timer(std::string name) : name_(std::move(name)) {}
  virtual ~Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  const std::string& name() const { return name_; }
  uint64_t timeouts() const { return timeouts_.load(); }
  uint64_t completions() const { return completions_.load(); }
  Duration last_duration() const { return Duration(last_ns_.load()); }

 protected:
  void RecordTimeout() { ++timeouts_; }
  void RecordCompletion(Duration took) {
    ++completions_;
    last_ns_ = took.count();
  }

 private:
  std::string name_;
  std::atomic<uint64_t> timeouts_{0}, completions_{0};
  std::atomic<int64_t> last_ns_{0};
};

// Thread-safe.
class ReadTimer final : public Timer {
 public:
  struct Config {
    Duration first_timeout = milliseconds(100);   // farm file: timers.read_timeout_ms
    uint32_t backlog_reads = 64;                   // timers.backlog_reads
    Duration adjust_per_read{0};                   // 0: first_timeout / (backlog_reads / 2)
    Duration min_timeout{0};
  };
  // `on_backlog(reads)` runs on the reading thread when `backlog_reads` reads in a row did
  // not time out.
  ReadTimer(std::string name, const Config& config, std::function<void(uint64_t)> on_backlog);

  Duration timeout() const;             // for the next read
  void OnRead(bool timed_out);          // after each read
  uint64_t reads_not_timed_out() const { return not_timed_out_total_.load(); }
  uint64_t backlog_reports() const { return backlog_reports_.load(); }
  uint32_t consecutive() const;

 private:
  const Config config_;
  std::function<void(uint64_t)> on_backlog_;
  mutable std::mutex mu_;
  Duration timeout_;
  uint32_t consecutive_ = 0;
  std::atomic<uint64_t> not_timed_out_total_{0}, backlog_reports_{0};
};

// Thread-safe.
class WriteTimer final : public Timer {
 public:
  struct Config {
    Duration initial_timeout = milliseconds(200);  // timers.write_timeout_ms
    double factor = 2.0;                           // > 1 grows, < 1 shrinks per try
    int max_tries = 3;
    Duration interval = std::chrono::seconds(60);  // timeouts are counted per interval
  };
  // `on_timeout(timeouts_in_interval)` runs when every try timed out.
  WriteTimer(std::string name, const Config& config, std::function<void(uint64_t)> on_timeout,
             const mp::Clock& clock);

  // `attempt(timeout)` tries the write and returns true if it completed within `timeout`.
  // Returns kTimedOut after max_tries timed-out attempts.
  Status Write(const std::function<bool(Duration)>& attempt);
  uint64_t timeouts_in_interval() const;

 private:
  const Config config_;
  std::function<void(uint64_t)> on_timeout_;
  const mp::Clock& clock_;
  mutable std::mutex mu_;
  mp::TimePoint interval_start_;
  uint64_t in_interval_ = 0;
};

// The outcome an AsyncTimer's callback gets.
struct AsyncOutcome {
  bool timed_out = false;
  Status status;             // from the operation, when it completed
  Duration elapsed{0};       // call to callback
  uint64_t client_id = 0;    // whom the asynchronous call was made for
};

// Thread-safe. Owned through shared_ptr (its own timer handler keeps it alive).
class AsyncTimer final : public Timer, public std::enable_shared_from_this<AsyncTimer> {
 public:
  using Callback = std::function<void(const AsyncOutcome&)>;
  // The callback (with its parameters captured) runs exactly once: on Complete(), or on
  // the io_context's thread when `timeout` passes first.
  static std::shared_ptr<AsyncTimer> Start(boost::asio::io_context& io, std::string name,
                                           Duration timeout, uint64_t client_id, Callback callback);
  // The asynchronous operation finished. Returns false if the timer had already fired.
  bool Complete(Status status = Status::Ok());
  uint64_t client_id() const { return client_id_; }

 private:
  AsyncTimer(std::string name, uint64_t client_id, Callback callback);
  bool Fire(AsyncOutcome outcome);

  uint64_t client_id_;
  Callback callback_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> done_{false};
  std::shared_ptr<void> timer_;  // the asio steady_timer, type-erased to keep Asio out of here
};

}  // namespace dabs::dasp
