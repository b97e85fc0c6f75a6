#pragma once
// Private to the Recorder: the shared side. Shards hand it one second of counts at a
// time; it keeps the run's totals, the seconds not yet closed, and the ring of closed
// seconds (TimelineRow). Thread-safe: every method takes its own lock. Lock order:
// a shard's lock, then this one, never the reverse.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "dabs/emu/latency_histogram.h"
#include "dabs/emu/recorder.h"
#include "recorder_internal.h"

namespace dabs::emu::internal {

class TimelineStore {
 public:
  explicit TimelineStore(const RecorderOptions& options);
  TimelineStore(const TimelineStore&) = delete;
  TimelineStore& operator=(const TimelineStore&) = delete;

  // Adds one shard's second. `reached_second` is the newest second any thread has
  // reached; seconds more than kGraceSeconds older than it are closed.
  // REQUIRES: the caller holds the lock of the shard that owns `delta` and `names`.
  void Absorb(const SecondDelta& delta, const ShardNames& names, int64_t reached_second);
  // Closes every second <= last (no-op for those already closed).
  void CloseThrough(int64_t last);
  // Closes every second that holds data, and at least those <= at_least.
  void CloseAll(int64_t at_least);
  void Fill(RecorderSnapshot& out) const;
  Timeline Copy() const;

  // How long a second stays open after a thread has moved on, waiting for the others.
  static constexpr int64_t kGraceSeconds = 2;

 private:
  struct PendingSecond {
    uint64_t requests_ok = 0;
    uint64_t requests_failed = 0;
    std::vector<int64_t> open_delta;        // by server id
    std::vector<LatencyHistogram> latency;  // by channel id
  };

  PendingSecond& PendingFor(int64_t second);
  void ErasePending(std::map<int64_t, PendingSecond>::iterator it);
  void CloseThroughLocked(int64_t last);
  void EmitRow(int64_t second, PendingSecond* data);
  void ApplyOpenDeltas(const std::vector<int64_t>& deltas);
  void AddToRecentWindow(int64_t second, const std::vector<LatencyHistogram>& latency);
  void AbsorbNames(const SecondDelta& delta, const ShardNames& names, PendingSecond* pending);

  const RecorderOptions options_;
  mutable std::mutex mu_;
  // Everything below is guarded by mu_.
  ShardNames names_;
  Counters totals_;
  std::vector<uint64_t> failures_by_cause_;
  std::vector<uint64_t> opened_by_server_;
  std::vector<int64_t> open_now_;  // every absorbed event
  std::vector<uint64_t> opened_by_channel_;
  std::vector<LatencyHistogram> latency_;  // whole run
  std::map<int64_t, PendingSecond> pending_;
  // Closed seconds' map nodes, kept with their histograms' memory so that a long run
  // does not allocate and zero ~18 KB per channel every second.
  std::vector<std::map<int64_t, PendingSecond>::node_type> spare_;
  int64_t closed_through_ = -1;
  std::vector<int64_t> open_at_close_;  // the gauge through closed_through_
  std::deque<TimelineRow> rows_;        // at most options_.timeline_capacity_s
  int64_t window_index_ = -1;
  std::vector<LatencyHistogram> window_current_;
  std::vector<LatencyHistogram> window_previous_;
};

}  // namespace dabs::emu::internal
