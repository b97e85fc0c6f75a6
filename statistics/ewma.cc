#include <cassert>
#include <cmath>

#include <dabs/statistics/ewma.h>

namespace dabs::statistics {

Ewma::Ewma(mp::Duration time_constant)
    : tau_seconds_(std::chrono::duration<double>(time_constant).count()) {
  assert(tau_seconds_ > 0);
}

double Ewma::Add(mp::TimePoint at, double value) {
  if (std::isnan(value)) return value_;
  if (!last_) {
    value_ = value;
    last_ = at;
    return value_;
  }
  if (at <= *last_) return value_;
  const double dt = std::chrono::duration<double>(at - *last_).count();
  const double alpha = 1 - std::exp(-dt / tau_seconds_);
  value_ += alpha * (value - value_);
  last_ = at;
  return value_;
}

}  // namespace dabs::statistics
