#include <dabs/statistics/errc.h>
#include <dabs/statistics/sampler.h>

namespace dabs::statistics {

Result<Figures> Sampler::Sample() {
  auto reading = TakeReading(source_, config_, clock_.Now());
  if (!reading) return reading.error();
  if (!previous_) {
    previous_ = std::move(*reading);
    return Error{make_error_code(Errc::kNotReady), "first reading stored"};
  }
  if (reading->at <= previous_->at) {
    return Error{make_error_code(Errc::kNotReady), "no time since the previous reading"};
  }
  Figures figures = ComputeFigures(*previous_, *reading);
  previous_ = std::move(*reading);
  return figures;
}

}  // namespace dabs::statistics
