#include <array>
#include <cmath>

#include <dabs/statd/server_figures.h>

namespace dabs::statd {

namespace {

namespace st = mp::server_stat;

constexpr std::array<FigureSpec, 15> kSpecs = {{
    {st::kCpuPctX100, figure::kCpuPct, 100},
    {st::kMemoryPctX100, figure::kMemoryPct, 100},
    {st::kNetPctX100, figure::kNetPct, 100},
    {st::kLoadX100, figure::kLoad, 100},
    {st::kLatencyP99Ms, figure::kLatencyP99Ms, 1},
    {st::kFreeMemoryMb, figure::kFreeMemoryMb, 1},
    {st::kFreeDiskMb, figure::kFreeDiskMb, 1},
    {st::kFreeCpuPctX100, figure::kFreeCpuPct, 100},
    {st::kInstances, figure::kInstances, 1},
    {st::kSessions, figure::kSessions, 1},
    {st::kBelowMinimums, figure::kBelowMinimums, 1},
    {st::kLatencyHigh, figure::kLatencyHigh, 1},
    {st::kCpuCores, figure::kCpuCores, 1},
    {st::kMemoryTotalMb, figure::kMemoryTotalMb, 1},
    {st::kRawLoadX100, figure::kRawLoad, 100},
}};

uint64_t ToWire(double figure, double scale) {
  const double v = figure * scale;
  if (!(v > 0)) return 0;  // negative and NaN
  if (v >= 1.8e19) return UINT64_MAX;
  return static_cast<uint64_t>(std::llround(v));
}

}  // namespace

std::span<const FigureSpec> FigureSpecs() {
  return kSpecs;
}

mp::ServerStats ToServerStats(const store::StatsRecord& record) {
  mp::ServerStats out;
  out.server = record.server;
  out.index = record.index;
  for (const FigureSpec& spec : kSpecs) {
    auto it = record.figures.find(std::string(spec.name));
    if (it != record.figures.end()) out.figures.values[spec.tag] = ToWire(it->second, spec.scale);
  }
  out.figures.values[st::kSampledAtMs] =
      record.sampled_ms > 0 ? static_cast<uint64_t>(record.sampled_ms) : 0;
  return out;
}

store::StatsRecord ToStatsRecord(const mp::ServerStats& stats, int64_t received_ms) {
  store::StatsRecord out;
  out.server = stats.server;
  out.index = stats.index;
  auto at = stats.figures.values.find(st::kSampledAtMs);
  out.sampled_ms =
      at != stats.figures.values.end() ? static_cast<int64_t>(at->second) : received_ms;
  for (const FigureSpec& spec : kSpecs) {
    auto it = stats.figures.values.find(spec.tag);
    if (it != stats.figures.values.end()) {
      out.figures[std::string(spec.name)] = static_cast<double>(it->second) / spec.scale;
    }
  }
  return out;
}

double FigureOr(const store::StatsRecord& record, std::string_view name, double fallback) {
  auto it = record.figures.find(std::string(name));
  return it == record.figures.end() ? fallback : it->second;
}

}  // namespace dabs::statd
