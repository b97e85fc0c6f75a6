// A clock that moves only when told to, for deterministic tests of timers.
#pragma once

#include <atomic>

#include <dabs/mp/clock.h>

namespace dabs::mp::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_ms = 1'700'000'000'000) : unix_ms_(unix_ms) {}
  TimePoint Now() const override { return TimePoint(Duration(nanos_.load())); }
  int64_t UnixMillis() const override { return unix_ms_ + nanos_.load() / 1'000'000; }
  void Advance(Duration d) { nanos_ += d.count(); }
  void AdvanceTo(TimePoint t) {
    if (t > Now()) nanos_ = t.time_since_epoch().count();
  }

 private:
  int64_t unix_ms_;
  std::atomic<int64_t> nanos_{1'000'000'000};
};

}  // namespace dabs::mp::testing
