// Latency high and low water (farm file `latency: high_water_ms, low_water_ms`; DESIGN.md
// section 3): over the high-water mark a server takes no new clients until its latency is
// below the low-water mark. The gap between the two is the hysteresis.
#pragma once

#include <optional>

#include <dabs/mp/result.h>

namespace dabs::statistics {

class WaterMarks {
 public:
  enum class State { kNormal, kHigh };

  // Errors: kInvalidConfig unless 0 <= low <= high and both are finite.
  static Result<WaterMarks> Create(double high, double low);

  // Takes the latest value (a p99 latency in ms). Over `high` (strictly) the state becomes
  // kHigh; it returns to kNormal only when the value is strictly below `low`. Answers the
  // new state when it changed, else nullopt; a NaN changes nothing. Not thread-safe.
  std::optional<State> Update(double value);

  State state() const { return state_; }
  bool high() const { return state_ == State::kHigh; }

 private:
  WaterMarks(double high, double low) : high_(high), low_(low) {}

  double high_;
  double low_;
  State state_ = State::kNormal;
};

}  // namespace dabs::statistics
