// Private: runs tasks one at a time, like an Asio strand, but on the thread that calls in
// when nobody else is inside ("combining"): a send from an application thread goes straight
// to the socket without a hop to the I/O thread. Tasks submitted while another thread is
// inside are queued and run by that thread before it leaves; a task submitted from inside
// runs at once (re-entrant). `on_leave` runs, still exclusively, whenever the thread inside
// is about to leave with nothing queued: the node flushes its sockets there.
// A task may run on another thread after Run() returns: it must own what it captures.
// Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace dabs::mp::internal {

class Serializer {
 public:
  using Task = std::function<void()>;

  explicit Serializer(std::function<void()> on_leave) : on_leave_(std::move(on_leave)) {}

  template <typename F>
  void Run(F&& task) {
    std::unique_lock lock(mu_);
    if (inside_ == std::this_thread::get_id()) {
      lock.unlock();
      task();
      return;
    }
    if (inside_ != std::thread::id{}) {
      queue_.emplace_back(std::forward<F>(task));
      return;
    }
    inside_ = std::this_thread::get_id();
    lock.unlock();
    task();
    Leave();
  }

  bool InThisThread() const {
    std::lock_guard lock(mu_);
    return inside_ == std::this_thread::get_id();
  }

 private:
  void Leave() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (queue_.empty()) {
        lock.unlock();
        on_leave_();
        lock.lock();
        if (queue_.empty()) {
          inside_ = std::thread::id{};
          return;
        }
      }
      std::deque<Task> batch;
      batch.swap(queue_);
      lock.unlock();
      for (auto& t : batch)
        t();
      lock.lock();
    }
  }

  mutable std::mutex mu_;
  std::thread::id inside_;
  std::deque<Task> queue_;
  std::function<void()> on_leave_;
};

}  // namespace dabs::mp::internal
