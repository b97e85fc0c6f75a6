#include <algorithm>

#include <dabs/emu/channels/oob.h>

namespace dabs::emu {

OobNode::OobNode(const OobParams& params, uint64_t seed, std::shared_ptr<ChannelStats> stats)
    : params_(params),
      slot_(params.slot_bytes > 0 ? emu::Airtime(params.slot_bytes, params.return_bps)
                                  : mp::Duration(0)),
      stats_(std::move(stats)),
      random_(seed) {}

mp::TimePoint OobNode::NextSlot(mp::TimePoint t) const {
  if (slot_.count() <= 0) return t;
  const auto since = t.time_since_epoch().count();
  const auto slot = slot_.count();
  const auto slots = (since + slot - 1) / slot;
  return mp::TimePoint(mp::Duration(slots * slot));
}

mp::Duration OobNode::Backoff(uint32_t attempt) {
  // Two stages: a short window after the first collision, a longer one after later ones.
  const double window_ms = attempt <= 1 ? params_.backoff_short_ms : params_.backoff_long_ms;
  return Millis(window_ms * random_.Uniform01());
}

bool OobNode::Collide(uint32_t station, mp::TimePoint start, mp::TimePoint end) {
  bool collided = false;
  std::vector<Airtime> retries;
  for (auto& a : timeline_) {
    const bool same = station != kAnyStation && a.station == station;
    if (same || a.end <= start || end <= a.start) continue;
    collided = true;
    if (a.collided) continue;
    // The earlier attempt is lost too. Its datagram's fate is already with the node, so
    // only its retry's airtime is added (see oob.h).
    a.collided = true;
    Count(ChannelStats::kCollisions);
    if (!a.retried) {
      a.retried = true;
      Count(ChannelStats::kMacRetries);
      const mp::TimePoint retry = NextSlot(a.end + Backoff(1));
      retries.push_back({retry, retry + (a.end - a.start), a.station, false, true});
    }
  }
  for (const auto& r : retries)
    timeline_.push_back(r);
  return collided;
}

void OobNode::Prune(mp::TimePoint now) {
  // No new attempt starts before `now`, so airtime that ended before it can be forgotten.
  std::erase_if(timeline_, [&](const Airtime& a) { return a.end < now; });
  std::erase_if(stations_, [&](const StationBusy& s) { return s.until < now; });
}

mp::TimePoint OobNode::StationFree(uint32_t station, mp::TimePoint now) const {
  if (station == kAnyStation) return now;
  for (const auto& s : stations_) {
    if (s.station == station) return std::max(now, s.until);
  }
  return now;
}

void OobNode::SetStationBusy(uint32_t station, mp::TimePoint until) {
  if (station == kAnyStation) return;
  for (auto& s : stations_) {
    if (s.station == station) {
      s.until = std::max(s.until, until);
      return;
    }
  }
  stations_.push_back({station, until});
}

Arrival OobNode::Upstream(uint32_t station, size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  Prune(now);
  const mp::Duration air = emu::Airtime(bytes, params_.return_bps);
  // A set-top sends its own datagrams one after another.
  mp::TimePoint ready = StationFree(station, now);
  for (uint32_t attempt = 1; attempt <= params_.mac_attempts; ++attempt) {
    const mp::TimePoint start = NextSlot(ready);
    const mp::TimePoint end = start + air;
    const bool collided = Collide(station, start, end);
    timeline_.push_back({start, end, station, collided, false});
    SetStationBusy(station, end);
    if (!collided) return end + Millis(params_.return_delay_ms);
    Count(ChannelStats::kCollisions);
    if (attempt < params_.mac_attempts) Count(ChannelStats::kMacRetries);
    ready = end + Backoff(attempt);
  }
  Count(ChannelStats::kMacDrops);
  return std::nullopt;
}

Arrival OobNode::Downstream(size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  const mp::TimePoint start = std::max(now, forward_busy_);
  forward_busy_ = start + emu::Airtime(bytes, params_.forward_bps);
  return forward_busy_ + Millis(params_.forward_delay_ms);
}

OobShaper::OobShaper(std::shared_ptr<OobNode> node, uint32_t station, uint64_t seed,
                     std::shared_ptr<LossBurstControl> burst)
    : ChannelShaper(node->params().faults, seed, std::move(burst), node->stats()),
      node_(std::move(node)),
      station_(station) {}

}  // namespace dabs::emu
