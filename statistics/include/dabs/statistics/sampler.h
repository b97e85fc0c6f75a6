// The sampler dabs-statd calls once a second: each call takes a reading and answers the
// figures over the interval since the previous one.
#pragma once

#include <optional>

#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>
#include <dabs/statistics/figures.h>
#include <dabs/statistics/proc_source.h>
#include <dabs/statistics/reading.h>

namespace dabs::statistics {

class Sampler {
 public:
  // `source` and `clock` must outlive the sampler. REQUIRES: config.Validate() is ok.
  Sampler(const ProcSource& source, const mp::Clock& clock, SamplerConfig config)
      : source_(source), clock_(clock), config_(std::move(config)) {}
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Takes a reading and answers the figures since the previous one. The first call only
  // stores its reading and answers kNotReady, as does a call at the same instant as the
  // previous reading. A failed reading answers its error and keeps the previous reading, so
  // the next success covers the whole gap. Not thread-safe.
  Result<Figures> Sample();

  // Forgets the previous reading: the next Sample() starts afresh.
  void Reset() { previous_.reset(); }

  const SamplerConfig& config() const { return config_; }

 private:
  const ProcSource& source_;
  const mp::Clock& clock_;
  SamplerConfig config_;
  std::optional<Reading> previous_;
};

}  // namespace dabs::statistics
