#include <cmath>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/minimums_watch.h>

namespace dabs::statistics {

namespace {

std::array<double, kResourceCount> AsArray(const MinFree& m) {
  return {m.cpu_pct, m.memory_mb, m.disk_mb};
}

}  // namespace

std::string_view ResourceName(Resource r) {
  switch (r) {
    case Resource::kCpu:
      return "cpu_pct";
    case Resource::kMemory:
      return "memory_mb";
    case Resource::kDisk:
      return "disk_mb";
  }
  return "unknown";
}

FreeResources FreeResourcesOf(const Figures& figures) {
  return {figures.cpu.free_pct(), figures.memory.available_mb, figures.disk.free_mb};
}

Result<MinimumsWatch> MinimumsWatch::Create(const MinFree& minimum,
                                            const std::optional<MinFree>& given_margin) {
  const MinFree margin = given_margin.value_or(minimum);
  for (const auto& set : {AsArray(minimum), AsArray(margin)}) {
    for (double v : set) {
      if (!std::isfinite(v) || v < 0) {
        return Error{make_error_code(Errc::kInvalidConfig), "min_free values must be >= 0"};
      }
    }
  }
  if (minimum.cpu_pct > 100) {
    return Error{make_error_code(Errc::kInvalidConfig), "min_free.cpu_pct must be <= 100"};
  }
  return MinimumsWatch(minimum, margin);
}

std::vector<MinimumCrossing> MinimumsWatch::Update(const FreeResources& free) {
  const std::array<double, kResourceCount> value = {free.cpu_pct, free.memory_mb, free.disk_mb};
  const auto minimum = AsArray(minimum_);
  const auto margin = AsArray(margin_);
  std::vector<MinimumCrossing> crossings;
  for (size_t i = 0; i < kResourceCount; ++i) {
    if (std::isnan(value[i])) continue;
    const bool was_below = below_[i];
    if (!was_below && value[i] < minimum[i]) {
      below_[i] = true;
    } else if (was_below && value[i] >= minimum[i] + margin[i]) {
      below_[i] = false;
    }
    if (below_[i] != was_below) {
      crossings.push_back({static_cast<Resource>(i), below_[i], value[i], minimum[i]});
    }
  }
  return crossings;
}

}  // namespace dabs::statistics
