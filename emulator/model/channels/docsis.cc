#include <algorithm>

#include <dabs/emu/channels/docsis.h>

namespace dabs::emu {

namespace {
// The size of other subscribers' packets in the standing-queue estimate (a full Ethernet frame).
constexpr size_t kBackgroundPacketBytes = 1500;
// Slack in comparisons of queue delay against the limit.
constexpr mp::Duration kEpsilon = std::chrono::microseconds(1);
}  // namespace

DocsisGroup::DocsisGroup(const DocsisParams& params, uint64_t seed,
                         std::shared_ptr<ChannelStats> stats)
    : params_(params), stats_(std::move(stats)), random_(seed) {}

void DocsisGroup::SetLoad(double load) {
  std::lock_guard lock(mu_);
  params_.upstream_load = std::clamp(load, 0.0, 1.0);
}

mp::Duration DocsisGroup::StandingQueue() {
  const double rho = params_.upstream_load;
  if (rho <= 0) return mp::Duration(0);
  // Where the queue sits when the upstream is saturated: PIE keeps it swinging about its
  // target; a plain FIFO fills its buffer.
  const mp::Duration full = params_.aqm
                                ? Millis(params_.aqm_target_ms * (0.5 + 1.5 * random_.Uniform01()))
                                : Millis(params_.buffer_ms * (0.9 + 0.1 * random_.Uniform01()));
  if (rho >= 1) return full;
  const mp::Duration wait = Seconds(rho / (1 - rho) * static_cast<double>(kBackgroundPacketBytes) *
                                    8 / params_.upstream_bps);
  return std::min(full, wait);
}

Arrival DocsisGroup::Upstream(size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  // The request goes out in the next MAP; the grant comes grant_delay_maps MAPs after it.
  const mp::Duration map = Millis(params_.map_interval_ms);
  const auto maps = (now.time_since_epoch().count() + map.count() - 1) / map.count();
  const mp::TimePoint request = mp::TimePoint(mp::Duration(maps * map.count()));
  const mp::TimePoint grant = request + map * params_.grant_delay_maps;
  const mp::TimePoint start = std::max(grant + StandingQueue(), up_busy_);
  const mp::Duration limit =
      params_.aqm ? Millis(2 * params_.aqm_target_ms) : Millis(params_.buffer_ms);
  if (start - grant > limit + kEpsilon) {
    if (stats_) stats_->Add(ChannelStats::kQueueDrops);
    return std::nullopt;
  }
  up_busy_ = start + emu::Airtime(bytes, params_.upstream_bps);
  return up_busy_ + Millis(params_.upstream_delay_ms);
}

Arrival DocsisGroup::Downstream(size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  const mp::TimePoint start = std::max(now, down_busy_);
  down_busy_ = start + emu::Airtime(bytes, params_.downstream_bps);
  return down_busy_ + Millis(params_.downstream_delay_ms);
}

DocsisShaper::DocsisShaper(std::shared_ptr<DocsisGroup> group, uint64_t seed,
                           std::shared_ptr<LossBurstControl> burst)
    : ChannelShaper(group->params().faults, seed, std::move(burst), group->stats()),
      group_(std::move(group)) {}

}  // namespace dabs::emu
