// The load score placement ranks servers by (DESIGN.md section 3: ballots rank the eligible
// servers r = 0 (lowest load) .. N-1). One formula, on a 0..100 scale:
//
//   pressures, each clamped to [0, 1]:
//     p_cpu = CPU busy % / 100            (of the capacity the server may use)
//     p_mem = memory used % / 100         (of the host, or of the cgroup limit if lower)
//     p_net = network utilisation % / 100 (the busiest interface against its link speed)
//     p_lat = latency p99 / latency.high_water_ms
//
//   load = 100 * ( b * max_i p_i  +  (1 - b) * sum_i w_i p_i / sum_i w_i )
//
// The max term ranks by the bottleneck: a server with one resource full is loaded whatever
// the others say. The weighted mean separates servers whose bottlenecks are level and
// reflects pressure on everything. A resource of weight 0 is left out of both terms.
// Defaults: w_cpu 0.4, w_mem 0.2, w_net 0.2, w_lat 0.2, b = 0.5 (LoadWeights).
// The score is raw (one sample); placement ranks the smoothed score (ranking.h).
#pragma once

#include <dabs/mp/result.h>
#include <dabs/statistics/figures.h>

namespace dabs::statistics {

struct LoadInputs {
  double cpu_pct = 0;
  double memory_pct = 0;
  double network_pct = 0;
  double latency_p99_ms = 0;
};

// The inputs from a server's figures and the p99 latency its DASPs report.
LoadInputs LoadInputsOf(const Figures& figures, double latency_p99_ms);

struct LoadWeights {
  double cpu = 0.4;
  double memory = 0.2;
  double network = 0.2;
  double latency = 0.2;
  double bottleneck = 0.5;  // b: share of the max term

  // kInvalidConfig unless every weight is finite and >= 0, at least one resource weight is
  // > 0, and bottleneck is in [0, 1].
  Status Validate() const;
};

// The raw load score in [0, 100]. Inputs that are NaN or negative count as 0.
// REQUIRES: weights.Validate() is ok and high_water_ms > 0. Pure.
double LoadScore(const LoadInputs& inputs, const LoadWeights& weights, double high_water_ms);

}  // namespace dabs::statistics
