#include <cmath>

#include <dabs/emu/carousel.h>

namespace dabs::emu {

Carousel::Carousel(const CarouselParams& params) : bitrate_bps_(params.bitrate_bps) {
  double offset_bits = 0;
  double cycle_bits = 0;
  for (const auto& m : params.modules) {
    const double bits = static_cast<double>(m.size_bytes) * 8;
    modules_.push_back({m, offset_bits / bitrate_bps_});
    offset_bits += bits;
    cycle_bits += bits * m.repetition;
  }
  cycle_s_ = cycle_bits / bitrate_bps_;
}

std::optional<size_t> Carousel::Find(std::string_view name) const {
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (modules_[i].spec.name == name) return i;
  }
  return std::nullopt;
}

double Carousel::TransferSeconds(size_t i) const {
  return static_cast<double>(modules_[i].spec.size_bytes) * 8 / bitrate_bps_;
}

uint64_t Carousel::Sections(size_t i) const {
  return (modules_[i].spec.size_bytes + kSectionBytes - 1) / kSectionBytes;
}

double Carousel::NextCopy(size_t i, double t) const {
  const double period = PeriodSeconds(i);
  const double offset = modules_[i].offset_s;
  const double k = std::ceil((t - offset) / period);
  double start = offset + k * period;
  if (start < t) start += period;  // rounding
  return start;
}

double Carousel::CompletionTime(size_t i, double t, int extra_passes) const {
  return NextCopy(i, t) + extra_passes * PeriodSeconds(i) + TransferSeconds(i);
}

int Carousel::ExtraPasses(size_t i, mp::Random& random) const {
  const double loss = modules_[i].spec.section_loss;
  if (loss <= 0) return 0;
  uint64_t missing = Sections(i);
  int passes = 0;
  while (missing > 0 && passes < kMaxPasses) {
    ++passes;
    uint64_t lost = 0;
    for (uint64_t s = 0; s < missing; ++s)
      lost += random.Uniform01() < loss ? 1 : 0;
    missing = lost;
  }
  return passes - 1;
}

double Carousel::DownloadComplete(size_t i, double t, mp::Random& random) const {
  return CompletionTime(i, t, ExtraPasses(i, random));
}

}  // namespace dabs::emu
