// This server's own figures each second: the sampled figures and the local DASPs' totals
// turned into a StatsRecord, with the load score smoothed, placement.min_free watched and the
// latency water marks followed. A crossing of either is what dabs-statd tells dabs-lbd
// (seed 002 Fig. 14).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>
#include <dabs/statd/dasp_figures.h>
#include <dabs/statistics/ewma.h>
#include <dabs/statistics/figures.h>
#include <dabs/statistics/load_score.h>
#include <dabs/statistics/minimums_watch.h>
#include <dabs/statistics/water_marks.h>
#include <dabs/store/records.h>

namespace dabs::statd {

struct SelfReportConfig {
  statistics::MinFree min_free;  // placement.min_free
  double high_water_ms = 250;    // latency.high_water_ms
  double low_water_ms = 150;     // latency.low_water_ms
  statistics::LoadWeights weights;
  friend bool operator==(const SelfReportConfig& a, const SelfReportConfig& b) {
    return a.min_free.cpu_pct == b.min_free.cpu_pct &&
           a.min_free.memory_mb == b.min_free.memory_mb &&
           a.min_free.disk_mb == b.min_free.disk_mb && a.high_water_ms == b.high_water_ms &&
           a.low_water_ms == b.low_water_ms;
  }
};

struct SelfReport {
  store::StatsRecord record;
  std::vector<statistics::MinimumCrossing> crossings;
  std::optional<statistics::WaterMarks::State> latency_change;
  // The below-minimum bits or the latency-high flag differ from the last report's, also when
  // a new configuration, not a figure, moved them.
  bool flags_changed = false;
  bool TellLbd() const { return !crossings.empty() || latency_change.has_value() || flags_changed; }
};

class SelfReporter {
 public:
  // Errors: kInvalidConfig (dabs.statistics) for minimums, water marks or weights out of range.
  static Result<SelfReporter> Create(const SelfReportConfig& config);

  // Takes a new configuration. The smoothed averages carry on, and so do the watches' states
  // where the new settings allow them (a resource below its minimum stays below unless the
  // new minimum is 0; high latency stays high): the next report then tells what the new
  // settings change, once.
  Status Reconfigure(const SelfReportConfig& config);

  // The record of one sample, stamped `now_ms` (Unix ms); `now` drives the smoothing.
  // CPU is smoothed (as the load) before it is held against its minimum, so that a one-second
  // burst does not count as resources waning. Not thread-safe.
  SelfReport Report(const statistics::Figures& figures, const DaspTotals& dasps, mp::TimePoint now,
                    int64_t now_ms, const std::string& server, uint16_t index);

 private:
  SelfReporter(SelfReportConfig config, statistics::MinimumsWatch minimums,
               statistics::WaterMarks water)
      : config_(config), minimums_(std::move(minimums)), water_(water) {}

  SelfReportConfig config_;
  statistics::MinimumsWatch minimums_;
  statistics::WaterMarks water_;
  statistics::Ewma load_;
  statistics::Ewma cpu_free_;
  uint32_t last_bits_ = 0;  // as last reported
  bool last_high_ = false;
};

}  // namespace dabs::statd
