#include "timeline_store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace dabs::emu::internal {
namespace {

template <typename T>
T& Grow(std::vector<T>& v, uint32_t id) {
  if (v.size() <= id) v.resize(id + 1);
  return v[id];
}

}  // namespace

void Counters::Add(const Counters& o) {
  stbs_started += o.stbs_started;
  sessions_opened += o.sessions_opened;
  sessions_failed += o.sessions_failed;
  sessions_closed += o.sessions_closed;
  requests_ok += o.requests_ok;
  requests_failed += o.requests_failed;
  rehomed += o.rehomed;
  local_ops += o.local_ops;
}

void SecondDelta::Reset() {
  dirty = false;
  counters = Counters{};
  std::fill(causes.begin(), causes.end(), 0);
  std::fill(servers.begin(), servers.end(), ServerDelta{});
  for (ChannelDelta& c : channels) {
    c.sessions_opened = 0;
    c.latency.Clear();
  }
}

TimelineStore::TimelineStore(const RecorderOptions& options) : options_(options), names_(options) {}

void TimelineStore::Absorb(const SecondDelta& delta, const ShardNames& names,
                           int64_t reached_second) {
  std::lock_guard lock(mu_);
  totals_.Add(delta.counters);
  PendingSecond* pending = nullptr;
  if (delta.second > closed_through_) {
    pending = &PendingFor(delta.second);
    pending->requests_ok += delta.counters.requests_ok;
    pending->requests_failed += delta.counters.requests_failed;
  } else if (!rows_.empty() && delta.second >= rows_.front().t_s) {
    // Late: the second is closed; its request counts can still be put right.
    TimelineRow& row = rows_[static_cast<std::size_t>(delta.second - rows_.front().t_s)];
    row.requests_ok += delta.counters.requests_ok;
    row.requests_failed += delta.counters.requests_failed;
  }
  AbsorbNames(delta, names, pending);
  CloseThroughLocked(reached_second - kGraceSeconds);
}

void TimelineStore::AbsorbNames(const SecondDelta& delta, const ShardNames& names,
                                PendingSecond* pending) {
  for (uint32_t i = 0; i < delta.causes.size(); ++i) {
    if (delta.causes[i] == 0) continue;
    Grow(failures_by_cause_, names_.causes.Id(names.causes.Name(i))) += delta.causes[i];
  }
  for (uint32_t i = 0; i < delta.servers.size(); ++i) {
    const ServerDelta& s = delta.servers[i];
    if (s.opened == 0 && s.closed == 0 && s.rehomed_in == 0 && s.rehomed_out == 0) continue;
    const uint32_t id = names_.servers.Id(names.servers.Name(i));
    Grow(opened_by_server_, id) += s.opened;
    Grow(open_now_, id) += s.OpenDelta();
    // A late second's sessions join the gauge from the next closed second on.
    Grow(pending ? pending->open_delta : open_at_close_, id) += s.OpenDelta();
  }
  for (uint32_t i = 0; i < delta.channels.size(); ++i) {
    const ChannelDelta& c = delta.channels[i];
    if (c.sessions_opened == 0 && c.latency.Empty()) continue;
    const uint32_t id = names_.channels.Id(names.channels.Name(i));
    Grow(opened_by_channel_, id) += c.sessions_opened;
    Grow(latency_, id).Merge(c.latency);
    if (pending) Grow(pending->latency, id).Merge(c.latency);
  }
}

void TimelineStore::CloseThrough(int64_t last) {
  std::lock_guard lock(mu_);
  CloseThroughLocked(last);
}

void TimelineStore::CloseAll(int64_t at_least) {
  std::lock_guard lock(mu_);
  int64_t last = at_least;
  if (!pending_.empty()) last = std::max(last, pending_.rbegin()->first);
  CloseThroughLocked(last);
}

void TimelineStore::CloseThroughLocked(int64_t last) {
  if (last <= closed_through_) return;
  const auto capacity =
      static_cast<int64_t>(std::max<std::size_t>(options_.timeline_capacity_s, 1));
  // Seconds that would fall out of the ring at once get no row; their sessions still
  // move the gauge. (Only after a jump of the clock by more than the capacity.)
  const int64_t first_row = std::max(closed_through_ + 1, last - capacity + 1);
  while (!pending_.empty() && pending_.begin()->first < first_row) {
    ApplyOpenDeltas(pending_.begin()->second.open_delta);
    ErasePending(pending_.begin());
  }
  for (int64_t second = first_row; second <= last; ++second) {
    auto it = pending_.find(second);
    EmitRow(second, it == pending_.end() ? nullptr : &it->second);
    if (it != pending_.end()) ErasePending(it);
  }
  closed_through_ = last;
}

TimelineStore::PendingSecond& TimelineStore::PendingFor(int64_t second) {
  if (auto it = pending_.find(second); it != pending_.end()) return it->second;
  if (spare_.empty()) return pending_[second];
  auto node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = second;
  return pending_.insert(std::move(node)).position->second;
}

void TimelineStore::ErasePending(std::map<int64_t, PendingSecond>::iterator it) {
  constexpr std::size_t kMaxSpare = 4;
  auto node = pending_.extract(it);
  if (spare_.size() >= kMaxSpare) return;
  PendingSecond& p = node.mapped();
  p.requests_ok = p.requests_failed = 0;
  std::fill(p.open_delta.begin(), p.open_delta.end(), 0);
  for (LatencyHistogram& h : p.latency)
    h.Clear();
  spare_.push_back(std::move(node));
}

void TimelineStore::ApplyOpenDeltas(const std::vector<int64_t>& deltas) {
  for (uint32_t id = 0; id < deltas.size(); ++id)
    Grow(open_at_close_, id) += deltas[id];
}

void TimelineStore::EmitRow(int64_t second, PendingSecond* data) {
  TimelineRow row;
  row.t_s = second;
  if (data) {
    row.requests_ok = data->requests_ok;
    row.requests_failed = data->requests_failed;
    ApplyOpenDeltas(data->open_delta);
  }
  row.sessions_open = open_at_close_;
  row.sessions_open_total =
      std::accumulate(open_at_close_.begin(), open_at_close_.end(), int64_t{0});
  row.p99_ms.assign(names_.channels.size(), std::numeric_limits<float>::quiet_NaN());
  static const std::vector<LatencyHistogram> kNone;
  const std::vector<LatencyHistogram>& latency = data ? data->latency : kNone;
  for (std::size_t id = 0; id < latency.size(); ++id) {
    if (!latency[id].Empty()) row.p99_ms[id] = static_cast<float>(latency[id].QuantileMs(0.99));
  }
  AddToRecentWindow(second, latency);
  rows_.push_back(std::move(row));
  while (rows_.size() > options_.timeline_capacity_s)
    rows_.pop_front();
}

void TimelineStore::AddToRecentWindow(int64_t second,
                                      const std::vector<LatencyHistogram>& latency) {
  // Two tumbling windows: recent p99 covers the previous window and the current one.
  const int64_t index = second / std::max(options_.recent_window_s, 1);
  if (index != window_index_) {
    if (index == window_index_ + 1) {
      std::swap(window_previous_, window_current_);
    } else {
      for (LatencyHistogram& h : window_previous_)
        h.Clear();
    }
    for (LatencyHistogram& h : window_current_)
      h.Clear();
    window_index_ = index;
  }
  for (uint32_t id = 0; id < latency.size(); ++id)
    Grow(window_current_, id).Merge(latency[id]);
}

void TimelineStore::Fill(RecorderSnapshot& out) const {
  std::lock_guard lock(mu_);
  const Counters& t = totals_;
  out.stbs_started = t.stbs_started;
  out.sessions_opened = t.sessions_opened;
  out.sessions_failed = t.sessions_failed;
  out.sessions_closed = t.sessions_closed;
  out.requests_ok = t.requests_ok;
  out.requests_failed = t.requests_failed;
  out.rehomed = t.rehomed;
  out.local_ops = t.local_ops;
  for (uint32_t id = 0; id < failures_by_cause_.size(); ++id) {
    if (failures_by_cause_[id] != 0)
      out.failures_by_cause[names_.causes.Name(id)] = failures_by_cause_[id];
  }
  out.sessions_open = 0;
  for (uint32_t id = 0; id < names_.servers.size(); ++id) {
    const std::string& name = names_.servers.Name(id);
    out.sessions_by_server[name] = id < opened_by_server_.size() ? opened_by_server_[id] : 0;
    const int64_t open = id < open_now_.size() ? open_now_[id] : 0;
    out.sessions_open_by_server[name] = open;
    out.sessions_open += open;
  }
  for (uint32_t id = 0; id < names_.channels.size(); ++id) {
    const std::string& name = names_.channels.Name(id);
    if (id < opened_by_channel_.size() && opened_by_channel_[id] != 0) {
      out.sessions_by_channel[name] = opened_by_channel_[id];
    }
    if (id < latency_.size() && !latency_[id].Empty()) out.latency[name] = latency_[id];
    LatencyHistogram recent;
    if (id < window_previous_.size()) recent.Merge(window_previous_[id]);
    if (id < window_current_.size()) recent.Merge(window_current_[id]);
    if (!recent.Empty()) out.recent_p99_ms[name] = recent.QuantileMs(0.99);
  }
  out.last_second = closed_through_;
  if (!rows_.empty() && rows_.back().t_s == closed_through_) {
    out.last_second_requests = rows_.back().requests_ok + rows_.back().requests_failed;
  }
}

Timeline TimelineStore::Copy() const {
  std::lock_guard lock(mu_);
  return Timeline{names_.servers.names(), names_.channels.names(),
                  std::vector<TimelineRow>(rows_.begin(), rows_.end())};
}

}  // namespace dabs::emu::internal
