#pragma once
// A log-bucketed latency histogram (HDR-style): exact below 128 ns, then 64 linear
// sub-buckets per power of two, so any reported value is within 1/128 (0.78%) of a
// recorded one. Range 0 .. 1 h; longer latencies count as 1 h.
//
// Memory: at most kBucketCount counters (~18 KB), allocated on the first Record or Merge;
// an empty histogram owns nothing. A value type: copy and merge freely.
// Thread safety: none; callers serialise (the Recorder keeps one per shard and channel).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dabs::emu {

// One step of a cumulative distribution: `fraction` of the samples are <= `ms`.
struct CdfPoint {
  double ms = 0;
  double fraction = 0;
};

class LatencyHistogram {
 public:
  static constexpr int64_t kMaxNs = int64_t{3'600} * 1'000'000'000;  // 1 h
  static constexpr int kSubBuckets = 64;                             // per power of two
  static constexpr std::size_t kBucketCount = 2345;  // index of kMaxNs + 1 (checked in .cc)

  // Counts `count` samples of `latency`; negative latencies count as 0, longer than 1 h
  // as 1 h.
  void Record(std::chrono::nanoseconds latency, uint64_t count = 1);
  // Adds every sample of `other`.
  void Merge(const LatencyHistogram& other);
  // Forgets every sample; keeps the allocation (cheap: clears only the used range).
  void Clear();

  uint64_t Count() const { return count_; }
  bool Empty() const { return count_ == 0; }
  // Smallest / largest recorded value in ms (exact); 0 when empty.
  double MinMs() const;
  double MaxMs() const;

  // The value at quantile q in [0, 1], in ms: the sample of rank ceil(q * count) (rank 1
  // for q = 0), reported as its bucket's midpoint clamped to [min, max]; the first and
  // last ranks are the exact min and max. 0 when empty.
  double QuantileMs(double q) const;

  // One point per non-empty bucket, in increasing ms (the bucket's upper edge, clamped
  // to max); the last point has fraction 1. Empty when the histogram is.
  std::vector<CdfPoint> Cdf() const;

  // Bucket arithmetic, public for tests: index of a value in ns, and a bucket's range.
  static std::size_t BucketIndex(int64_t ns);
  static int64_t BucketLowNs(std::size_t index);
  static int64_t BucketWidthNs(std::size_t index);

 private:
  std::vector<uint64_t> counts_;  // empty until the first sample
  uint64_t count_ = 0;
  std::size_t lowest_ = kBucketCount;  // used range [lowest_, highest_]
  std::size_t highest_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

}  // namespace dabs::emu
