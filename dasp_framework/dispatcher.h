// Private: an instance's worker threads (seed Fig. 20: "wait and lock on the incoming DACP
// message queue"). Each session has a Mailbox of tasks that run one at a time and in order;
// a mailbox with work waits in one ready queue, which the workers read with the instance's
// ReadTimer. Different sessions run in parallel. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <dabs/dasp/timers.h>

namespace dabs::dasp::internal {

// The tasks of one session (or of the instance's control path).
struct Mailbox {
  std::deque<std::function<void()>> tasks;  // guarded by the dispatcher's mutex
  bool scheduled = false;                   // queued as ready, or being run by a worker
};

class Dispatcher {
 public:
  using Task = std::function<void()>;

  // `on_exception(what)` runs when a task throws (the worker goes on).
  Dispatcher(int workers, ReadTimer& read_timer, size_t queue_limit,
             std::function<void(const char*)> on_exception);
  ~Dispatcher();  // stops and joins
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Queues a task; false (and nothing queued) when `limited` and the instance already holds
  // queue_limit tasks.
  bool Post(const std::shared_ptr<Mailbox>& box, Task task, bool limited = true);
  // Waits until every queued task has run, up to `timeout`. True when drained.
  bool Drain(Duration timeout);
  void Stop();

  size_t depth() const { return depth_.load(); }
  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();
  std::shared_ptr<Mailbox> NextReady();

  const int worker_count_;
  ReadTimer& read_timer_;
  const size_t queue_limit_;
  std::function<void(const char*)> on_exception_;
  std::mutex mu_;
  std::condition_variable ready_cv_, drained_cv_;
  std::deque<std::shared_ptr<Mailbox>> ready_;
  std::atomic<size_t> depth_{0};
  size_t running_ = 0;  // mailboxes being run
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dabs::dasp::internal
