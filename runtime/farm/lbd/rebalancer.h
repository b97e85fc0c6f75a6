// dabs-lbd's part in starvation avoidance (seeds 000 and 004; farm/balance.h holds the
// rules): it remembers which local instances starved in the current period, says what this
// server is (source, sink, neither) with a cool-down so a relieved source does not become a
// sink at once, and keeps the last moves for operators. The moves themselves are moves.cc's.
//
// Not thread-safe: dabs-lbd's loop owns it. Time comes from the injected clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

#include <dabs/farm/balance.h>
#include <dabs/mp/clock.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/va.h>

namespace dabs::farm {

class Rebalancer {
 public:
  Rebalancer(const mp::Clock& clock, BalanceConfig config, mp::Duration period)
      : clock_(clock), config_(config), period_(period) {}

  void Configure(BalanceConfig config, mp::Duration period) {
    config_ = config;
    period_ = period;
  }
  const BalanceConfig& config() const { return config_; }
  mp::Duration period() const { return period_; }
  bool enabled() const { return period_.count() > 0; }

  // A local instance reported a backlog, a lock timeout, a write timeout or high latency.
  // `ongoing`: it holds until NoteRelieved (a backlog or high latency is a state, a lock
  // timeout an event that counts for one window).
  void NoteStarving(mp::Va instance, mp::StateReason why, bool ongoing);
  void NoteRelieved(mp::Va instance) { ongoing_.erase(instance); }
  // Does it starve now, or did it within the last window?
  bool Starving(mp::Va instance) const;
  bool AnyStarving() const;
  // What starved last, for the log and the move record ("backlog", "lock-timeout", ...).
  const std::string& last_reason() const { return last_reason_; }

  // This server's state from its signals now (own.starving is or-ed with the instances').
  BalanceState Evaluate(OwnSignals own, double mean_sessions);
  BalanceState state() const { return state_; }

  // The seed's cursor: the client VA of the last session this server moved.
  mp::Va last_moved() const { return last_moved_; }
  void Moved(mp::Va client_va) { last_moved_ = client_va; }

 private:
  mp::Duration Window() const;

  const mp::Clock& clock_;
  BalanceConfig config_;
  mp::Duration period_;
  std::map<mp::Va, mp::TimePoint> starved_;  // instance -> its last report
  std::set<mp::Va> ongoing_;
  std::string last_reason_;
  BalanceState state_ = BalanceState::kNeither;
  mp::TimePoint last_source_{};
  bool ever_source_ = false;
  mp::Va last_moved_ = mp::kVaNone;
};

}  // namespace dabs::farm
