// Smoothing of a noisy figure over irregular samples: an exponentially weighted moving
// average with a time constant tau. Each sample pulls the average towards itself by
//   alpha = 1 - exp(-dt / tau),   dt = time since the previous sample,
// so the smoothing does not depend on the sampling rate. A step change shows 63% of its
// height after tau and 95% after 3 tau; a one-second spike of height h moves the average by
// h * (1 - exp(-1 s / tau)), 18% of h at the 5 s default.
#pragma once

#include <chrono>
#include <optional>

#include <dabs/mp/clock.h>

namespace dabs::statistics {

inline constexpr mp::Duration kDefaultLoadTimeConstant = std::chrono::seconds(5);

class Ewma {
 public:
  // REQUIRES: time_constant > 0.
  explicit Ewma(mp::Duration time_constant = kDefaultLoadTimeConstant);

  // Adds the sample `value` taken at `at` and answers the average. The first sample sets
  // the average; a sample not after the previous one, or a NaN, leaves it unchanged.
  // Not thread-safe.
  double Add(mp::TimePoint at, double value);

  bool has_value() const { return last_.has_value(); }
  // REQUIRES: has_value().
  double value() const { return value_; }

 private:
  double tau_seconds_;
  double value_ = 0;
  std::optional<mp::TimePoint> last_;
};

}  // namespace dabs::statistics
