// A resource lock (DESIGN.md section 3, seed 002): an OS lock (a mutex, or a counting
// semaphore allowing N holders) that knows the type of resource it guards and a timeout.
// A holder that waits past the timeout gets an error, and the timeout is reported to
// dabs-lbd as a request for another instance with that resource type.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>

namespace dabs::dasp {

class ResourceLock {
 public:
  // `on_timeout(resource_type)` runs on the waiting thread after a timeout.
  ResourceLock(std::string name, std::string resource_type, int capacity, mp::Duration timeout,
               std::function<void(const std::string&)> on_timeout);
  ResourceLock(const ResourceLock&) = delete;
  ResourceLock& operator=(const ResourceLock&) = delete;

  // Releases the hold when destroyed. Movable.
  class Guard {
   public:
    Guard() = default;
    explicit Guard(ResourceLock* lock) : lock_(lock) {}
    Guard(Guard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    Guard& operator=(Guard&& o) noexcept {
      Release();
      lock_ = std::exchange(o.lock_, nullptr);
      return *this;
    }
    ~Guard() { Release(); }
    void Release();

   private:
    ResourceLock* lock_ = nullptr;
  };

  // Waits up to the timeout for a hold. kTimedOut (and a report) when none came free.
  Result<Guard> Acquire();
  Result<Guard> Acquire(mp::Duration timeout);

  const std::string& name() const { return name_; }
  const std::string& resource_type() const { return resource_type_; }
  int capacity() const { return capacity_; }
  int holders() const;
  uint64_t timeouts() const { return timeouts_.load(); }
  uint64_t acquisitions() const { return acquisitions_.load(); }

 private:
  void Release();

  const std::string name_, resource_type_;
  const int capacity_;
  const mp::Duration timeout_;
  std::function<void(const std::string&)> on_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int holders_ = 0;
  std::atomic<uint64_t> timeouts_{0}, acquisitions_{0};
};

}  // namespace dabs::dasp
