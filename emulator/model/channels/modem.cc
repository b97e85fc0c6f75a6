#include <algorithm>

#include <dabs/emu/channels/modem.h>

namespace dabs::emu {

ModemLine::ModemLine(const ModemParams& params, std::shared_ptr<ChannelStats> stats)
    : params_(params), stats_(std::move(stats)) {}

void ModemLine::HangUpIfIdle(mp::TimePoint now) {
  if (in_call_ && now > last_activity_ + Seconds(params_.idle_hangup_s)) in_call_ = false;
}

bool ModemLine::Connected(mp::TimePoint now) {
  std::lock_guard lock(mu_);
  HangUpIfIdle(now);
  return in_call_ && now >= connected_at_;
}

Arrival ModemLine::Upstream(size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  HangUpIfIdle(now);
  if (!in_call_) {
    // Dial: nothing passes until the modems have trained and the call is up.
    in_call_ = true;
    connected_at_ = now + Seconds(params_.connect_s);
    last_activity_ = connected_at_;
    if (stats_) stats_->Add(ChannelStats::kCalls);
  }
  const mp::TimePoint start = std::max({now, connected_at_, up_busy_});
  up_busy_ = start + emu::Airtime(bytes, params_.up_bps);
  last_activity_ = std::max(last_activity_, up_busy_);
  return up_busy_ + Millis(params_.delay_ms);
}

Arrival ModemLine::Downstream(size_t bytes, mp::TimePoint now) {
  std::lock_guard lock(mu_);
  HangUpIfIdle(now);
  if (!in_call_ || now < connected_at_) {
    if (stats_) stats_->Add(ChannelStats::kNoCallDrops);
    return std::nullopt;
  }
  const mp::TimePoint start = std::max(now, down_busy_);
  down_busy_ = start + emu::Airtime(bytes, params_.down_bps);
  last_activity_ = std::max(last_activity_, down_busy_);
  return down_busy_ + Millis(params_.delay_ms);
}

ModemShaper::ModemShaper(std::shared_ptr<ModemLine> line, uint64_t seed,
                         std::shared_ptr<LossBurstControl> burst)
    : ChannelShaper(line->params().faults, seed, std::move(burst), line->stats()),
      line_(std::move(line)) {}

}  // namespace dabs::emu
