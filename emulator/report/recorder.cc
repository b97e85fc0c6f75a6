#include "dabs/emu/recorder.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "recorder_internal.h"
#include "timeline_store.h"

namespace dabs::emu {
namespace {

// The second an event counts in. NaN and negative times count in second 0; absurdly
// large ones are clamped so that the arithmetic cannot overflow.
int64_t SecondOf(double t_s) {
  constexpr double kLatest = 1e12;
  if (!(t_s > 0)) return 0;
  return static_cast<int64_t>(std::floor(std::min(t_s, kLatest)));
}

// A small number per thread, handed out in order of first use: with no more threads
// than shards, no two threads share a shard (a hash of the thread id could collide).
std::size_t ThreadOrdinal() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

}  // namespace

RunClock SteadyRunClock() {
  const auto start = std::chrono::steady_clock::now();
  return [start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
}

Recorder::Recorder(RunClock clock, RecorderOptions options)
    : clock_(std::move(clock)), options_(options) {
  options_.shards = std::max<std::size_t>(options_.shards, 1);
  options_.timeline_capacity_s = std::max<std::size_t>(options_.timeline_capacity_s, 1);
  options_.recent_window_s = std::max(options_.recent_window_s, 1);
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) {
    shards_.push_back(std::make_unique<internal::Shard>(options_));
  }
  store_ = std::make_unique<internal::TimelineStore>(options_);
}

Recorder::~Recorder() = default;

internal::Shard& Recorder::MyShard() {
  return *shards_[ThreadOrdinal() % shards_.size()];
}

template <typename Fn>
void Recorder::Record(Fn&& fn) {
  const int64_t second = SecondOf(clock_());  // outside the lock: the clock may be slow
  internal::Shard& shard = MyShard();
  std::lock_guard lock(shard.mu);
  internal::SecondDelta& delta = shard.delta;
  if (second > delta.second) {
    // A new second for this shard: hand over the previous one (one short shared lock
    // per shard per second). An older second counts in the shard's newest.
    if (delta.dirty) store_->Absorb(delta, shard.names, second);
    delta.Reset();
    delta.second = second;
  }
  fn(shard.names, delta);
  delta.dirty = true;
}

void Recorder::StbStarted() {
  Record([](internal::ShardNames&, internal::SecondDelta& d) { ++d.counters.stbs_started; });
}

void Recorder::SessionOpened(std::string_view server_id, std::string_view channel) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.sessions_opened;
    ++d.Server(n.servers.Id(server_id)).opened;
    ++d.Channel(n.channels.Id(channel)).sessions_opened;
  });
}

void Recorder::SessionFailed(std::string_view cause) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.sessions_failed;
    ++d.Cause(n.causes.Id(cause));
  });
}

void Recorder::SessionClosed(std::string_view server_id) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.sessions_closed;
    ++d.Server(n.servers.Id(server_id)).closed;
  });
}

void Recorder::RequestOk(std::string_view channel, std::chrono::nanoseconds latency) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.requests_ok;
    d.Channel(n.channels.Id(channel)).latency.Record(latency);
  });
}

void Recorder::RequestFailed(std::string_view cause) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.requests_failed;
    ++d.Cause(n.causes.Id(cause));
  });
}

void Recorder::Rehomed(std::string_view from_server, std::string_view to_server) {
  Record([&](internal::ShardNames& n, internal::SecondDelta& d) {
    ++d.counters.rehomed;
    ++d.Server(n.servers.Id(from_server)).rehomed_out;
    ++d.Server(n.servers.Id(to_server)).rehomed_in;
  });
}

void Recorder::LocalOp() {
  Record([](internal::ShardNames&, internal::SecondDelta& d) { ++d.counters.local_ops; });
}

void Recorder::FlushAll(int64_t reached_second) {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    if (!shard->delta.dirty) continue;
    store_->Absorb(shard->delta, shard->names, reached_second);
    shard->delta.Reset();  // keeps its second: later events of that second add up again
  }
}

RecorderSnapshot Recorder::Snapshot() {
  const double now = clock_();
  const int64_t second = SecondOf(now);
  FlushAll(second);
  store_->CloseThrough(second - 1);
  RecorderSnapshot out;
  out.t_s = std::max(now, 0.0);
  store_->Fill(out);
  return out;
}

RecorderSnapshot Recorder::Finish() {
  const double now = clock_();
  const int64_t second = SecondOf(now);
  FlushAll(second);
  // The current second closes only if it has begun (t = 60.0 ends a 60 s run at row 59),
  // or if some event counted in it.
  const bool begun = now > static_cast<double>(second);
  store_->CloseAll(begun ? second : second - 1);
  RecorderSnapshot out;
  out.t_s = std::max(now, 0.0);
  store_->Fill(out);
  return out;
}

Timeline Recorder::GetTimeline() const {
  return store_->Copy();
}

}  // namespace dabs::emu
