// A histogram of small integer durations (milliseconds of message latency, or microseconds
// of handling time) with exact buckets up to kBuckets - 1 and one overflow bucket, recorded
// lock-free from any thread; percentiles from a snapshot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace dabs::dasp {

class Histogram {
 public:
  static constexpr size_t kBuckets = 2048;

  void Record(uint64_t value) {
    buckets_[value < kBuckets ? value : kBuckets - 1].fetch_add(1, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::array<uint32_t, kBuckets> counts{};
    uint64_t total = 0;
    // The smallest value v with at least q of the recordings <= v (0 when empty).
    uint64_t Percentile(double q) const {
      if (total == 0) return 0;
      const auto want = static_cast<uint64_t>(q * static_cast<double>(total) + 0.5);
      uint64_t seen = 0;
      for (size_t i = 0; i < kBuckets; ++i) {
        seen += counts[i];
        if (seen >= want && seen > 0) return i;
      }
      return kBuckets - 1;
    }
  };

  // A snapshot; with `reset`, the histogram starts over (for per-interval figures).
  Snapshot Take(bool reset) {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i) {
      s.counts[i] = reset ? buckets_[i].exchange(0, std::memory_order_relaxed)
                          : buckets_[i].load(std::memory_order_relaxed);
      s.total += s.counts[i];
    }
    return s;
  }

 private:
  std::array<std::atomic<uint32_t>, kBuckets> buckets_{};
};

}  // namespace dabs::dasp
