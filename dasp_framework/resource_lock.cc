#include <dabs/dasp/resource_lock.h>
#include <dabs/mp/errc.h>

namespace dabs::dasp {

ResourceLock::ResourceLock(std::string name, std::string resource_type, int capacity,
                           mp::Duration timeout, std::function<void(const std::string&)> on_timeout)
    : name_(std::move(name)), resource_type_(std::move(resource_type)),
      capacity_(capacity > 0 ? capacity : 1), timeout_(timeout), on_timeout_(std::move(on_timeout)) {}

Result<ResourceLock::Guard> ResourceLock::Acquire() { return Acquire(timeout_); }

Result<ResourceLock::Guard> ResourceLock::Acquire(mp::Duration timeout) {
  {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, timeout, [&] { return holders_ < capacity_; })) {
      ++holders_;
      ++acquisitions_;
      return Guard(this);
    }
    ++timeouts_;
  }
  if (on_timeout_) on_timeout_(resource_type_);
  return Error{make_error_code(mp::Errc::kTimedOut),
               "lock '" + name_ + "' (" + resource_type_ + ") not free within " +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                   " ms"};
}

int ResourceLock::holders() const {
  std::lock_guard lock(mu_);
  return holders_;
}

void ResourceLock::Release() {
  {
    std::lock_guard lock(mu_);
    --holders_;
  }
  cv_.notify_one();
}

void ResourceLock::Guard::Release() {
  if (lock_) std::exchange(lock_, nullptr)->Release();
}

}  // namespace dabs::dasp
