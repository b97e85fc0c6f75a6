#include <algorithm>

#include <dabs/emu/channels/channel.h>

namespace dabs::emu {

ChannelCounts ChannelStats::Snapshot() const {
  auto get = [this](Field f) { return v_[f].load(std::memory_order_relaxed); };
  ChannelCounts c;
  c.datagrams_up = get(kDatagramsUp);
  c.datagrams_down = get(kDatagramsDown);
  c.bytes_up = get(kBytesUp);
  c.bytes_down = get(kBytesDown);
  c.delivered_up = get(kDeliveredUp);
  c.delivered_down = get(kDeliveredDown);
  c.fault_drops = get(kFaultDrops);
  c.collisions = get(kCollisions);
  c.mac_retries = get(kMacRetries);
  c.mac_drops = get(kMacDrops);
  c.queue_drops = get(kQueueDrops);
  c.calls = get(kCalls);
  c.no_call_drops = get(kNoCallDrops);
  return c;
}

void LossBurstControl::Start(double loss, mp::TimePoint until) {
  std::lock_guard lock(mu_);
  loss_ = std::clamp(loss, 0.0, 1.0);
  until_ = until;
}

double LossBurstControl::LossAt(mp::TimePoint now) const {
  std::lock_guard lock(mu_);
  return now < until_ ? loss_ : 0;
}

ChannelShaper::ChannelShaper(const mp::FaultProfile& faults, uint64_t seed,
                             std::shared_ptr<LossBurstControl> burst,
                             std::shared_ptr<ChannelStats> stats)
    : random_(seed), faults_(faults, random_), burst_(std::move(burst)), stats_(std::move(stats)) {}

mp::FaultDecision ChannelShaper::Outbound(const mp::Endpoint&, std::span<const uint8_t> bytes,
                                          mp::TimePoint now) {
  return Shape(true, bytes.size(), now);
}

mp::FaultDecision ChannelShaper::Inbound(const mp::Endpoint&, std::span<const uint8_t> bytes,
                                         mp::TimePoint now) {
  return Shape(false, bytes.size(), now);
}

mp::FaultDecision ChannelShaper::Shape(bool up, size_t bytes, mp::TimePoint now) {
  Count(up ? ChannelStats::kDatagramsUp : ChannelStats::kDatagramsDown);
  Count(up ? ChannelStats::kBytesUp : ChannelStats::kBytesDown, bytes);
  mp::FaultDecision d;
  // The medium first: a datagram lost on the wire still took its airtime.
  const Arrival arrival = up ? Up(bytes, now) : Down(bytes, now);
  if (!arrival) {
    d.copies = 0;
    return d;
  }
  const mp::FaultDecision f = faults_.profile().Any() ? faults_.Decide(bytes) : mp::FaultDecision{};
  const double burst = burst_ ? burst_->LossAt(now) : 0;
  if (f.copies == 0 || (burst > 0 && random_.Uniform01() < burst)) {
    Count(ChannelStats::kFaultDrops);
    d.copies = 0;
    return d;
  }
  d = f;
  d.extra_delay += std::max(mp::Duration(0), *arrival - now);
  Count(up ? ChannelStats::kDeliveredUp : ChannelStats::kDeliveredDown);
  return d;
}

}  // namespace dabs::emu
