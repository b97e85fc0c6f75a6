// Writes that dabs-lbd need not wait for (server views, directory and session records,
// placement decisions) go through one thread that batches them: many changes per LMDB
// transaction, so placement never waits for a disk flush. What must be durable before
// anyone acts on it (the VA counter, the supervisor's DASP records) is written directly.
//
// Bounded: past `max_queued` changes new ones are dropped and counted (they are views that
// the next heartbeat or announcement rewrites). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <dabs/store/store.h>

namespace dabs::farm {

class StoreWriter {
 public:
  using Change = std::function<Status(store::WriteTxn&)>;

  struct Stats {
    uint64_t changes = 0, commits = 0, dropped = 0, failed = 0;
  };

  explicit StoreWriter(store::Store& store, size_t max_queued = 200'000,
                       std::chrono::milliseconds max_delay = std::chrono::milliseconds(20));
  ~StoreWriter();  // writes what is queued, then stops
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues a change. It must be self-contained (it may run again if the map grows).
  void Post(Change change);
  // Returns once everything posted before has been committed (tests, shutdown).
  void Drain();
  Stats stats() const;

 private:
  void Run();

  store::Store& store_;
  const size_t max_queued_;
  const std::chrono::milliseconds max_delay_;
  mutable std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::deque<Change> queue_;
  uint64_t posted_ = 0, committed_ = 0;
  bool stop_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace dabs::farm
