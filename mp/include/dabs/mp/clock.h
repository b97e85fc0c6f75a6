// Time and randomness reach the MP logic through these small interfaces so that the
// reliability engine runs the same code under a fake clock and seeded randomness in tests
// and in the emulator.
#pragma once

#include <chrono>
#include <cstdint>

#include <dabs/mp/sent_time.h>

namespace dabs::mp {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timers. Thread-safe.
  virtual TimePoint Now() const = 0;
  // Wall-clock (UTC) milliseconds since the Unix epoch, for sent times. Thread-safe.
  virtual int64_t UnixMillis() const = 0;

  SentTime SentTimeNow() const { return SentTime::FromUnixMillis(UnixMillis()); }
};

// The real clocks. Thread-safe, stateless.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t UnixMillis() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
  // Uniform in [0, 1).
  double Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
};

// SplitMix64: small, fast, reproducible from its seed. Not thread-safe; not for keys.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() override {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace dabs::mp
