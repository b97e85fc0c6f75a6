#include <cmath>
#include <limits>

#include <dabs/statd/self_report.h>
#include <dabs/statd/server_figures.h>
#include <dabs/statistics/errc.h>

namespace dabs::statd {

namespace {

Error Invalid(const char* what) {
  return Error{make_error_code(statistics::Errc::kInvalidConfig), what};
}

uint32_t BelowBits(const statistics::MinimumsWatch& m) {
  using statistics::Resource;
  return (m.below(Resource::kCpu) ? 1u : 0u) | (m.below(Resource::kMemory) ? 2u : 0u) |
         (m.below(Resource::kDisk) ? 4u : 0u);
}

}  // namespace

Result<SelfReporter> SelfReporter::Create(const SelfReportConfig& config) {
  if (Status s = config.weights.Validate(); !s) return s.error();
  if (!(config.high_water_ms > 0)) return Invalid("latency.high_water_ms must be > 0");
  // The margin is the minimum again (decisions.md D19): below 64 MB, back at 128 MB.
  auto minimums = statistics::MinimumsWatch::Create(config.min_free, config.min_free);
  if (!minimums) return minimums.error();
  auto water = statistics::WaterMarks::Create(config.high_water_ms, config.low_water_ms);
  if (!water) return water.error();
  return SelfReporter(config, std::move(*minimums), *water);
}

Status SelfReporter::Reconfigure(const SelfReportConfig& config) {
  if (config == config_) return Status::Ok();
  auto fresh = Create(config);
  if (!fresh) return fresh.error();
  fresh->load_ = load_;
  fresh->cpu_free_ = cpu_free_;
  fresh->last_bits_ = last_bits_;
  fresh->last_high_ = last_high_;
  // Carry the states over: a NaN leaves a resource as it is, no free amount at all is below
  // any minimum but 0 (which never triggers), and an infinite latency is over any high water.
  using statistics::Resource;
  const double nan = std::nan("");
  const statistics::MinFree& m = config.min_free;
  auto carry = [&](Resource r, double minimum) {
    return minimums_.below(r) && minimum > 0 ? 0.0 : nan;
  };
  (void)fresh->minimums_.Update({carry(Resource::kCpu, m.cpu_pct),
                                 carry(Resource::kMemory, m.memory_mb),
                                 carry(Resource::kDisk, m.disk_mb)});
  if (water_.high()) (void)fresh->water_.Update(std::numeric_limits<double>::infinity());
  *this = std::move(*fresh);
  return Status::Ok();
}

SelfReport SelfReporter::Report(const statistics::Figures& figures, const DaspTotals& dasps,
                                mp::TimePoint now, int64_t now_ms, const std::string& server,
                                uint16_t index) {
  SelfReport out;
  const double raw = statistics::LoadScore(statistics::LoadInputsOf(figures, dasps.latency_p99_ms),
                                           config_.weights, config_.high_water_ms);
  const double load = load_.Add(now, raw);
  statistics::FreeResources free = statistics::FreeResourcesOf(figures);
  free.cpu_pct = cpu_free_.Add(now, free.cpu_pct);
  out.crossings = minimums_.Update(free);
  out.latency_change = water_.Update(dasps.latency_p99_ms);

  store::StatsRecord& r = out.record;
  r.server = server;
  r.index = index;
  r.sampled_ms = now_ms;
  auto set = [&r](std::string_view name, double v) { r.figures[std::string(name)] = v; };
  set(figure::kCpuPct, figures.cpu.busy_pct);
  set(figure::kMemoryPct, figures.memory.used_pct);
  set(figure::kNetPct, figures.network.utilisation_pct);
  set(figure::kLoad, load);
  set(figure::kRawLoad, raw);
  set(figure::kLatencyP99Ms, dasps.latency_p99_ms);
  set(figure::kFreeCpuPct, free.cpu_pct);
  set(figure::kFreeMemoryMb, figures.memory.available_mb);
  set(figure::kFreeDiskMb, figures.disk.free_mb);
  set(figure::kInstances, dasps.instances);
  set(figure::kSessions, static_cast<double>(dasps.sessions));
  const uint32_t bits = BelowBits(minimums_);
  set(figure::kBelowMinimums, bits);
  set(figure::kLatencyHigh, water_.high() ? 1 : 0);
  out.flags_changed = bits != last_bits_ || water_.high() != last_high_;
  last_bits_ = bits;
  last_high_ = water_.high();
  set(figure::kCpuCores, std::ceil(figures.cpu.capacity_cores));
  set(figure::kMemoryTotalMb, figures.memory.total_mb);
  return out;
}

}  // namespace dabs::statd
