#include "dispatcher.h"

#include <exception>

namespace dabs::dasp::internal {

namespace {
// Tasks of one mailbox run per turn, so a busy session cannot starve the others.
constexpr int kTasksPerTurn = 16;
}  // namespace

Dispatcher::Dispatcher(int workers, ReadTimer& read_timer, size_t queue_limit,
                       std::function<void(const char*)> on_exception)
    : worker_count_(workers > 0 ? workers : 1),
      read_timer_(read_timer),
      queue_limit_(queue_limit),
      on_exception_(std::move(on_exception)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  for (int i = 0; i < worker_count_; ++i) threads_.emplace_back([this] { Work(); });
}

bool Dispatcher::Post(const std::shared_ptr<Mailbox>& box, Task task, bool limited) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (limited && depth_.load() >= queue_limit_)) return false;
    box->tasks.push_back(std::move(task));
    ++depth_;
    if (box->scheduled) return true;
    box->scheduled = true;
    ready_.push_back(box);
  }
  ready_cv_.notify_one();
  return true;
}

std::shared_ptr<Mailbox> Dispatcher::NextReady() {
  std::unique_lock lock(mu_);
  // The read of the seed's DASP loop: with the read timer's timeout. Whether it timed out
  // is what tells a backlog.
  ready_cv_.wait_for(lock, read_timer_.timeout(), [&] { return stopping_ || !ready_.empty(); });
  if (ready_.empty()) return nullptr;
  auto box = std::move(ready_.front());
  ready_.pop_front();
  ++running_;
  return box;
}

void Dispatcher::Work() {
  for (;;) {
    std::shared_ptr<Mailbox> box = NextReady();
    {
      std::lock_guard lock(mu_);
      if (!box && stopping_) return;
    }
    read_timer_.OnRead(/*timed_out=*/box == nullptr);
    if (!box) continue;
    for (int i = 0; i < kTasksPerTurn; ++i) {
      Task task;
      {
        std::lock_guard lock(mu_);
        if (box->tasks.empty()) break;
        task = std::move(box->tasks.front());
        box->tasks.pop_front();
      }
      try {
        task();
      } catch (const std::exception& e) {
        on_exception_(e.what());
      } catch (...) {
        on_exception_("unknown exception");
      }
      --depth_;
    }
    {
      std::lock_guard lock(mu_);
      --running_;
      if (box->tasks.empty()) {
        box->scheduled = false;
      } else {
        ready_.push_back(box);  // still scheduled: back of the line
        ready_cv_.notify_one();
      }
      if (depth_.load() == 0 && running_ == 0) drained_cv_.notify_all();
    }
  }
}

bool Dispatcher::Drain(Duration timeout) {
  std::unique_lock lock(mu_);
  return drained_cv_.wait_for(lock, timeout, [&] { return depth_.load() == 0 && running_ == 0; });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  threads_.clear();
}

}  // namespace dabs::dasp::internal
