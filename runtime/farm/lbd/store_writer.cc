#include "store_writer.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace dabs::farm {

namespace {
constexpr size_t kMaxPerTransaction = 2048;
}  // namespace

StoreWriter::StoreWriter(store::Store& store, size_t max_queued,
                         std::chrono::milliseconds max_delay)
    : store_(store), max_queued_(max_queued), max_delay_(max_delay), thread_([this] { Run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StoreWriter::Post(Change change) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queued_) {
      ++stats_.dropped;
      if ((stats_.dropped & (stats_.dropped - 1)) == 0) {
        spdlog::warn("store writer: {} changes queued, {} dropped so far", queue_.size(),
                     stats_.dropped);
      }
      return;
    }
    queue_.push_back(std::move(change));
    ++posted_;
  }
  wake_.notify_one();
}

void StoreWriter::Drain() {
  std::unique_lock lock(mu_);
  const uint64_t target = posted_;
  wake_.notify_one();
  drained_.wait(lock, [&] { return committed_ >= target; });
}

StoreWriter::Stats StoreWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void StoreWriter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    // Let a burst gather: one commit for many changes.
    if (!stop_ && queue_.size() < kMaxPerTransaction) {
      wake_.wait_for(lock, max_delay_,
                     [&] { return stop_ || queue_.size() >= kMaxPerTransaction; });
    }
    std::vector<Change> batch;
    while (!queue_.empty() && batch.size() < kMaxPerTransaction) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Status s = store_.Write([&](store::WriteTxn& txn) -> Status {
      for (auto& change : batch) {
        if (Status one = change(txn); !one) {
          // One bad change must not sink the rest: log it and go on.
          spdlog::warn("store writer: a change failed: {}", one.error().Message());
        }
      }
      return Status::Ok();
    });
    lock.lock();
    if (!s) {
      stats_.failed += batch.size();
      spdlog::error("store writer: a commit of {} changes failed: {}", batch.size(),
                    s.error().Message());
    }
    stats_.changes += batch.size();
    ++stats_.commits;
    committed_ += batch.size();
    drained_.notify_all();
  }
}

}  // namespace dabs::farm
