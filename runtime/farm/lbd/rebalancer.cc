#include "rebalancer.h"

namespace dabs::farm {

namespace {
// A relieved source stays "neither" this many windows before it may be a sink.
constexpr int kCoolDownWindows = 3;
}  // namespace

mp::Duration Rebalancer::Window() const {
  return std::max<mp::Duration>(period_, std::chrono::seconds(1));
}

void Rebalancer::NoteStarving(mp::Va instance, mp::StateReason why, bool ongoing) {
  starved_[instance] = clock_.Now();
  if (ongoing) ongoing_.insert(instance);
  last_reason_ = mp::StateReasonName(why);
}

bool Rebalancer::Starving(mp::Va instance) const {
  if (ongoing_.count(instance)) return true;
  auto it = starved_.find(instance);
  return it != starved_.end() && clock_.Now() - it->second < Window();
}

bool Rebalancer::AnyStarving() const {
  if (!ongoing_.empty()) return true;
  const auto now = clock_.Now();
  for (const auto& [va, at] : starved_) {
    if (now - at < Window()) return true;
  }
  return false;
}

BalanceState Rebalancer::Evaluate(OwnSignals own, double mean_sessions) {
  const auto now = clock_.Now();
  std::erase_if(starved_, [&](const auto& e) { return now - e.second >= Window(); });
  own.starving = own.starving || !starved_.empty() || !ongoing_.empty();
  own.cooling = ever_source_ && now - last_source_ < kCoolDownWindows * Window();
  state_ = Classify(own, mean_sessions, config_);
  if (state_ == BalanceState::kSource && own.starving) {
    last_source_ = now;
    ever_source_ = true;
  }
  return state_;
}

}  // namespace dabs::farm
