#pragma once
// What a dabs-emu run measures: set-tops started, sessions opened / failed / closed per
// server, requests and their latency per return channel, failures by cause, re-homes.
//
// Thread safety: every method may be called from any thread at any time. Events go to
// one of `shards` independently locked shards (a thread keeps its shard), so I/O threads
// rarely wait for each other; once per second a shard hands its counts to the shared
// timeline (one short lock), and Snapshot() does the same for every shard.
//
// Memory is bounded whatever the run length or number of set-tops: one histogram per
// channel and shard, a few seconds of unfinished rows, and a timeline ring of at most
// `timeline_capacity_s` rows (older seconds are dropped). Server, channel and cause
// names are capped too; names beyond a cap are counted under "other".
//
// Time: events are stamped by the injected clock (seconds since the run started), so
// tests drive time by hand. Each event counts in the second floor(clock()). An event
// that reaches its shard after that second was closed counts in the totals and in that
// second's request counts, but not in that second's gauges or p99.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/emu/latency_histogram.h>

namespace dabs::emu {

namespace internal {
struct Shard;
class TimelineStore;
}  // namespace internal

// Seconds since the run started; called concurrently from every recording thread, so it
// must be thread-safe. Should not go backwards (a late event is tolerated, see above).
using RunClock = std::function<double()>;

// A RunClock on std::chrono::steady_clock, reading 0 now.
RunClock SteadyRunClock();

struct RecorderOptions {
  std::size_t shards = 8;                    // independent locks; 1 = one mutex
  std::size_t timeline_capacity_s = 86'400;  // 24 h of 1 s rows
  std::size_t max_servers = 512;             // distinct names kept, then "other"
  std::size_t max_channels = 16;
  std::size_t max_causes = 64;
  int recent_window_s = 10;  // recent p99: the last 10 .. 20 closed seconds
};

// The name that takes every server, channel or cause beyond its cap.
inline constexpr std::string_view kOtherName = "other";

// Totals of a run so far (or of the whole run, after Recorder::Finish()).
struct RecorderSnapshot {
  double t_s = 0;  // the clock when taken
  uint64_t stbs_started = 0;
  uint64_t sessions_opened = 0;
  uint64_t sessions_failed = 0;
  uint64_t sessions_closed = 0;
  int64_t sessions_open = 0;  // opened - closed, all servers
  uint64_t requests_ok = 0;
  uint64_t requests_failed = 0;
  uint64_t rehomed = 0;
  uint64_t local_ops = 0;
  std::map<std::string, uint64_t> failures_by_cause;       // session and request failures
  std::map<std::string, uint64_t> sessions_by_server;      // sessions opened on each server
  std::map<std::string, int64_t> sessions_open_by_server;  // open now (re-homes move them)
  std::map<std::string, uint64_t> sessions_by_channel;     // sessions opened over each channel
  std::map<std::string, LatencyHistogram> latency;         // whole run, per channel
  // The last closed second (-1: none yet), its requests (ok + failed), and each
  // channel's p99 over the last recent_window_s .. 2 * recent_window_s closed seconds.
  int64_t last_second = -1;
  uint64_t last_second_requests = 0;
  std::map<std::string, double> recent_p99_ms;
};

// One closed second. Vectors are indexed like Timeline::servers / Timeline::channels;
// a row from before a name first appeared is shorter (missing entries read 0 / none).
struct TimelineRow {
  int64_t t_s = 0;
  int64_t sessions_open_total = 0;
  std::vector<int64_t> sessions_open;  // per server, at the end of the second
  uint64_t requests_ok = 0;
  uint64_t requests_failed = 0;
  std::vector<float> p99_ms;  // per channel, of this second's requests; NaN: none
};

struct Timeline {
  std::vector<std::string> servers;   // in order of first appearance
  std::vector<std::string> channels;  // in order of first appearance
  std::vector<TimelineRow> rows;      // consecutive seconds, oldest first
};

class Recorder {
 public:
  // `clock` is copied; whatever it refers to must outlive the Recorder, and it must be
  // callable from any thread.
  explicit Recorder(RunClock clock, RecorderOptions options = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void StbStarted();
  void SessionOpened(std::string_view server_id, std::string_view channel);
  void SessionFailed(std::string_view cause);
  void SessionClosed(std::string_view server_id);
  void RequestOk(std::string_view channel, std::chrono::nanoseconds latency);
  void RequestFailed(std::string_view cause);
  void Rehomed(std::string_view from_server, std::string_view to_server);
  void LocalOp();  // an operation that ran on the set-top, no message

  // Gathers every shard, closes the seconds before floor(clock()), and returns the totals.
  RecorderSnapshot Snapshot();
  // Like Snapshot() but closes the current second too: call once the run is over.
  // Events recorded afterwards count in the totals of a later Snapshot() or Finish().
  RecorderSnapshot Finish();
  // A copy of the closed seconds (call after Snapshot() or Finish() to include the latest).
  Timeline GetTimeline() const;

 private:
  template <typename Fn>
  void Record(Fn&& fn);
  internal::Shard& MyShard();
  void FlushAll(int64_t reached_second);

  RunClock clock_;
  RecorderOptions options_;
  std::vector<std::unique_ptr<internal::Shard>> shards_;
  std::unique_ptr<internal::TimelineStore> store_;
};

}  // namespace dabs::emu
