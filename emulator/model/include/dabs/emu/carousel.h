// The in-band data carousel (DSM-CC data carousel, ISO/IEC 13818-6): modules broadcast over
// and over at a fixed bitrate; a set-top that needs one (a missing reverse-channel module)
// waits for its next repetition and reads it as it goes by.
//
// Schedule. One cycle carries every module `repetition` times; it lasts
// sum(size * repetition) * 8 / bitrate. A module's first copy starts where the modules
// before it in the list end, and its copies are evenly spaced, period = cycle / repetition
// (an idealised schedule: copies of different modules may overlap in time).
//
// Download. Requested at t, a module is complete at
//   next copy start >= t  +  extra_passes * period  +  size * 8 / bitrate.
// Each 4 KiB section of a pass is lost with probability section_loss. A lost section is
// picked up from the module's next copy, so every pass in which some section is still
// missing costs one more period (one cycle when repetition is 1); sections lost in the same
// pass are recovered in the same later pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <dabs/emu/scenario.h>
#include <dabs/mp/clock.h>

namespace dabs::emu {

inline constexpr uint64_t kSectionBytes = 4096;
// A download gives up after this many passes (section_loss is at most 0.99, so only a
// pathological draw gets here); the completion time then reflects kMaxPasses.
inline constexpr int kMaxPasses = 10'000;

// Immutable after construction; thread-safe for reading.
class Carousel {
 public:
  explicit Carousel(const CarouselParams& params);

  // The module's index, by name ("oob", "docsis", "modem", ...).
  std::optional<size_t> Find(std::string_view name) const;
  size_t size() const { return modules_.size(); }
  const CarouselModule& module(size_t i) const { return modules_[i].spec; }

  double CycleSeconds() const { return cycle_s_; }
  double PeriodSeconds(size_t i) const { return cycle_s_ / modules_[i].spec.repetition; }
  double TransferSeconds(size_t i) const;
  uint64_t Sections(size_t i) const;
  // The start of module i's first copy at or after t (seconds since the run began).
  double NextCopy(size_t i, double t) const;
  // Completion of a download requested at t that needs `extra_passes` more copies.
  double CompletionTime(size_t i, double t, int extra_passes) const;
  // How many extra passes a download needs, drawn from `random` (0 without section loss).
  int ExtraPasses(size_t i, mp::Random& random) const;
  // CompletionTime with ExtraPasses drawn from `random`. Deterministic for a given Random.
  double DownloadComplete(size_t i, double t, mp::Random& random) const;

 private:
  struct Module {
    CarouselModule spec;
    double offset_s;  // first copy's start in the cycle
  };
  double bitrate_bps_;
  double cycle_s_ = 0;
  std::vector<Module> modules_;
};

}  // namespace dabs::emu
