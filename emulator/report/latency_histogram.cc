#include "dabs/emu/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace dabs::emu {
namespace {

constexpr int64_t kExactBelow = 2 * LatencyHistogram::kSubBuckets;  // 128: one bucket per ns

// Values below 128 ns have a bucket each; above, a value v with bit width w lands in
// sub-bucket v >> (w - 7) (64 .. 127) of group w - 7, so index = 64 * shift + (v >> shift).
constexpr std::size_t IndexOf(int64_t ns) {
  if (ns < kExactBelow) return static_cast<std::size_t>(ns);
  const int shift = std::bit_width(static_cast<uint64_t>(ns)) - 7;
  return static_cast<std::size_t>(int64_t{LatencyHistogram::kSubBuckets} * shift + (ns >> shift));
}

static_assert(IndexOf(kExactBelow - 1) + 1 == IndexOf(kExactBelow), "buckets are contiguous");
static_assert(IndexOf(LatencyHistogram::kMaxNs) + 1 == LatencyHistogram::kBucketCount,
              "kBucketCount covers 0 .. kMaxNs exactly");

constexpr double kNsPerMs = 1e6;

}  // namespace

std::size_t LatencyHistogram::BucketIndex(int64_t ns) {
  return IndexOf(std::clamp<int64_t>(ns, 0, kMaxNs));
}

int64_t LatencyHistogram::BucketLowNs(std::size_t index) {
  if (index < static_cast<std::size_t>(kExactBelow)) return static_cast<int64_t>(index);
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  const auto sub = static_cast<int64_t>(index - static_cast<std::size_t>(kSubBuckets) * shift);
  return sub << shift;
}

int64_t LatencyHistogram::BucketWidthNs(std::size_t index) {
  if (index < static_cast<std::size_t>(kExactBelow)) return 1;
  return int64_t{1} << (index / kSubBuckets - 1);
}

void LatencyHistogram::Record(std::chrono::nanoseconds latency, uint64_t count) {
  if (count == 0) return;
  const int64_t ns = std::clamp<int64_t>(latency.count(), 0, kMaxNs);
  if (counts_.empty()) counts_.assign(kBucketCount, 0);
  const std::size_t index = IndexOf(ns);
  counts_[index] += count;
  if (count_ == 0) {
    min_ns_ = max_ns_ = ns;
  } else {
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
  }
  count_ += count;
  lowest_ = std::min(lowest_, index);
  highest_ = std::max(highest_, index);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (counts_.empty()) counts_.assign(kBucketCount, 0);
  for (std::size_t i = other.lowest_; i <= other.highest_; ++i)
    counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ns_ = other.min_ns_;
    max_ns_ = other.max_ns_;
  } else {
    min_ns_ = std::min(min_ns_, other.min_ns_);
    max_ns_ = std::max(max_ns_, other.max_ns_);
  }
  count_ += other.count_;
  lowest_ = std::min(lowest_, other.lowest_);
  highest_ = std::max(highest_, other.highest_);
}

void LatencyHistogram::Clear() {
  if (count_ != 0) {
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(lowest_),
              counts_.begin() + static_cast<std::ptrdiff_t>(highest_) + 1, 0);
  }
  count_ = 0;
  lowest_ = kBucketCount;
  highest_ = 0;
  min_ns_ = max_ns_ = 0;
}

double LatencyHistogram::MinMs() const {
  return static_cast<double>(min_ns_) / kNsPerMs;
}
double LatencyHistogram::MaxMs() const {
  return static_cast<double>(max_ns_) / kNsPerMs;
}

double LatencyHistogram::QuantileMs(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  if (rank == 1) return MinMs();
  if (rank >= count_) return MaxMs();
  uint64_t seen = 0;
  for (std::size_t i = lowest_; i <= highest_; ++i) {
    seen += counts_[i];
    if (seen < rank) continue;
    // Midpoint of the bucket: at most half a bucket (1/128 of its low edge) from any
    // sample in it; never beyond the exact extremes.
    const double mid =
        static_cast<double>(BucketLowNs(i)) + static_cast<double>(BucketWidthNs(i) - 1) / 2.0;
    return std::clamp(mid, static_cast<double>(min_ns_), static_cast<double>(max_ns_)) / kNsPerMs;
  }
  assert(false && "rank beyond count");
  return MaxMs();
}

std::vector<CdfPoint> LatencyHistogram::Cdf() const {
  std::vector<CdfPoint> points;
  if (count_ == 0) return points;
  uint64_t seen = 0;
  for (std::size_t i = lowest_; i <= highest_; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    const int64_t high = std::min(BucketLowNs(i) + BucketWidthNs(i) - 1, max_ns_);
    points.push_back({static_cast<double>(high) / kNsPerMs,
                      static_cast<double>(seen) / static_cast<double>(count_)});
  }
  return points;
}

}  // namespace dabs::emu
