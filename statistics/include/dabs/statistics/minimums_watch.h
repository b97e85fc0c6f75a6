// Which resources are below the farm's minimums (placement.min_free in the farm file), with
// hysteresis so that a figure hovering at a minimum does not flap. dabs-statd tells dabs-lbd
// on each crossing (seed 002 Fig. 14: resources waning), once per crossing, not every second.
// A server below a minimum casts no ballots (DESIGN.md section 3).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include <dabs/mp/result.h>
#include <dabs/statistics/figures.h>

namespace dabs::statistics {

enum class Resource { kCpu, kMemory, kDisk };
inline constexpr size_t kResourceCount = 3;

// The farm file's key for the resource: "cpu_pct", "memory_mb", "disk_mb".
std::string_view ResourceName(Resource r);

// Free amounts: CPU in percent of capacity, memory and disk in MB (2^20 bytes).
struct FreeResources {
  double cpu_pct = 100;
  double memory_mb = 0;
  double disk_mb = 0;
};

// CPU free = 100 - busy % (capacity-aware), memory = available MB, disk = free MB of the
// configured path. CPU is the noisiest: callers may pass a smoothed value instead.
FreeResources FreeResourcesOf(const Figures& figures);

// placement.min_free, with the farm file's defaults.
struct MinFree {
  double cpu_pct = 5;
  double memory_mb = 64;
  double disk_mb = 64;
};

struct MinimumCrossing {
  Resource resource;
  bool below = false;  // true: fell below the minimum; false: recovered past minimum + margin
  double free = 0;     // the figure that crossed
  double minimum = 0;
};

class MinimumsWatch {
 public:
  // A resource is below once its free amount is under `minimum`, and stays below until it
  // is at least `minimum + margin`; without a margin, the margin is the minimum again
  // (decisions.md D19). A minimum of 0 never triggers. Errors: kInvalidConfig for a negative
  // or non-finite minimum or margin, or cpu_pct minimum over 100.
  static Result<MinimumsWatch> Create(const MinFree& minimum,
                                      const std::optional<MinFree>& margin = std::nullopt);

  // Takes the latest figures and answers the crossings they cause (empty most of the time).
  // A NaN figure changes nothing. Not thread-safe.
  std::vector<MinimumCrossing> Update(const FreeResources& free);

  bool below(Resource r) const { return below_[static_cast<size_t>(r)]; }
  bool any_below() const { return below_[0] || below_[1] || below_[2]; }

 private:
  MinimumsWatch(const MinFree& minimum, const MinFree& margin)
      : minimum_(minimum), margin_(margin) {}

  MinFree minimum_;
  MinFree margin_;
  std::array<bool, kResourceCount> below_{};
};

}  // namespace dabs::statistics
