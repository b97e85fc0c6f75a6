// CONFIG_SYNC decisions: see sync_policy.h and README.md ("Convergence").
#include "sync_policy.h"

#include <algorithm>

namespace dabs::configd {

std::string ConfigId::ToString() const {
  return "version " + std::to_string(version) + " from " + (origin.empty() ? "?" : origin);
}

int Compare(const ConfigId& a, const ConfigId& b) {
  if (a.version != b.version) return a.version < b.version ? -1 : 1;
  if (a.origin != b.origin) return a.origin < b.origin ? -1 : 1;
  if (a.digest.empty() || b.digest.empty() || a.digest == b.digest) return 0;
  return a.digest < b.digest ? -1 : 1;
}

SyncPolicy::SyncPolicy(const SyncTimings& timings, mp::Random& random)
    : timings_(timings), random_(random) {}

Actions SyncPolicy::Start(const ConfigId& local, bool imported, TimePoint now) {
  local_ = local;
  if (imported) {
    RequestFull(now);
  } else {
    RequestAnnounce(now);
  }
  return Due(now);
}

Actions SyncPolicy::OnLocalChange(const ConfigId& local, bool made_here, TimePoint now) {
  local_ = local;
  // A pending answer was about the configuration we had; the new one replaces it.
  full_due_.reset();
  if (made_here) RequestFull(now);
  return Due(now);
}

Actions SyncPolicy::OnHeard(const ConfigId& remote, Heard kind, TimePoint now) {
  const int order = Compare(remote, local_);
  Actions out;
  if (order == 0) {
    // Someone else sent ours in full: the group has it, our answer is not needed.
    if (kind != Heard::kAnnounce) full_due_.reset();
  } else if (order < 0) {
    // The sender is behind: answer with ours, after a short random delay.
    const auto span = std::chrono::duration_cast<milliseconds>(timings_.answer_delay_max).count();
    const milliseconds delay(span > 0 ? random_.Below(static_cast<uint64_t>(span) + 1) : 0);
    RequestFull(now + delay);
  } else if (!IsRefused(remote)) {
    // The sender is ahead. Its full configuration: take it. Its announcement: tell it ours,
    // so that it sends its configuration. Its parts: the daemon puts them together.
    if (kind == Heard::kFull) out.adopt = true;
    if (kind == Heard::kAnnounce) RequestAnnounce(now);
  }
  Actions due = Due(now);
  due.adopt = out.adopt;
  return due;
}

void SyncPolicy::OnRefused(const ConfigId& remote) {
  refused_ = remote;
}

Actions SyncPolicy::OnTick(TimePoint now) {
  return Due(now);
}

bool SyncPolicy::Wants(const ConfigId& remote) const {
  return Newer(remote, local_) && !IsRefused(remote);
}

TimePoint SyncPolicy::NextDeadline() const {
  TimePoint t = next_periodic_;
  if (full_due_) t = std::min(t, *full_due_);
  if (announce_due_) t = std::min(t, *announce_due_);
  return t;
}

void SyncPolicy::RequestFull(TimePoint at) {
  if (last_full_) at = std::max(at, *last_full_ + timings_.full_min_interval);
  full_due_ = full_due_ ? std::min(*full_due_, at) : at;
}

void SyncPolicy::RequestAnnounce(TimePoint at) {
  if (last_announce_) at = std::max(at, *last_announce_ + timings_.announce_min_interval);
  announce_due_ = announce_due_ ? std::min(*announce_due_, at) : at;
}

Actions SyncPolicy::Due(TimePoint now) {
  Actions out;
  if (full_due_ && *full_due_ <= now) {
    // A full configuration says everything an announcement would.
    out.send_full = true;
    last_full_ = now;
    full_due_.reset();
    announce_due_.reset();
    next_periodic_ = now + timings_.announce_period;
  } else if ((announce_due_ && *announce_due_ <= now) || next_periodic_ <= now) {
    out.send_announce = true;
    last_announce_ = now;
    announce_due_.reset();
    next_periodic_ = now + timings_.announce_period;
  }
  return out;
}

}  // namespace dabs::configd
