#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/load_score.h>

namespace dabs::statistics {

namespace {

// A ratio as a pressure in [0, 1]; NaN counts as no pressure.
double Pressure(double ratio) {
  if (!(ratio > 0)) return 0;
  return std::min(ratio, 1.0);
}

}  // namespace

LoadInputs LoadInputsOf(const Figures& figures, double latency_p99_ms) {
  return {figures.cpu.busy_pct, figures.memory.used_pct, figures.network.utilisation_pct,
          latency_p99_ms};
}

Status LoadWeights::Validate() const {
  const auto bad = [](const char* what) {
    return Status(Error{make_error_code(Errc::kInvalidConfig), what});
  };
  for (double w : {cpu, memory, network, latency, bottleneck}) {
    if (!std::isfinite(w) || w < 0) return bad("load weights must be finite and >= 0");
  }
  if (cpu + memory + network + latency <= 0) return bad("some load weight must be > 0");
  if (bottleneck > 1) return bad("load bottleneck share must be in [0, 1]");
  return Status::Ok();
}

double LoadScore(const LoadInputs& in, const LoadWeights& w, double high_water_ms) {
  assert(w.Validate().ok() && high_water_ms > 0);
  const std::array<double, 4> p = {Pressure(in.cpu_pct / 100), Pressure(in.memory_pct / 100),
                                   Pressure(in.network_pct / 100),
                                   Pressure(in.latency_p99_ms / high_water_ms)};
  const std::array<double, 4> weight = {w.cpu, w.memory, w.network, w.latency};
  double worst = 0, weighted = 0, total_weight = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (weight[i] <= 0) continue;
    worst = std::max(worst, p[i]);
    weighted += weight[i] * p[i];
    total_weight += weight[i];
  }
  const double mean = weighted / total_weight;
  return 100 * (w.bottleneck * worst + (1 - w.bottleneck) * mean);
}

}  // namespace dabs::statistics
