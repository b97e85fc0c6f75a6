// Retransmission timeout estimation per peer, as RFC 6298: SRTT and RTTVAR from samples
// of ACK times (never from retransmitted messages: Karn), RTO = SRTT + 4 RTTVAR clamped to
// [floor, ceiling], doubled on expiry. Defaults from spec section 2.
#pragma once

#include <algorithm>

#include <dabs/mp/clock.h>

namespace dabs::mp {

struct RtoConfig {
  Duration initial = milliseconds(250);
  Duration floor = milliseconds(20);
  Duration ceiling = milliseconds(10'000);
};

class RtoEstimator {
 public:
  explicit RtoEstimator(const RtoConfig& config = {}) : config_(config), rto_(config.initial) {}

  // A measured round trip of a message that was transmitted once.
  void Sample(Duration rtt) {
    rtt = std::max(rtt, Duration(0));
    if (!has_sample_) {
      srtt_ = rtt;
      rttvar_ = rtt / 2;
      has_sample_ = true;
    } else {
      const Duration diff = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
      rttvar_ = (3 * rttvar_ + diff) / 4;  // beta = 1/4
      srtt_ = (7 * srtt_ + rtt) / 8;       // alpha = 1/8
    }
    rto_ = Clamp(srtt_ + std::max(kGranularity, 4 * rttvar_));
  }

  // A retransmission timer expired: back the timer off (RFC 6298 5.5).
  void Backoff() { rto_ = Clamp(2 * rto_); }

  Duration rto() const { return rto_; }
  // SRTT + 4 RTTVAR without the floor: how long a stray copy of a datagram may still be
  // on its way (used to quarantine reused transaction ids).
  Duration Spread() const {
    return has_sample_ ? srtt_ + std::max(kGranularity, 4 * rttvar_) : config_.initial;
  }
  Duration srtt() const { return has_sample_ ? srtt_ : config_.initial; }
  bool has_sample() const { return has_sample_; }

 private:
  static constexpr Duration kGranularity = milliseconds(1);
  Duration Clamp(Duration d) const { return std::clamp(d, config_.floor, config_.ceiling); }

  RtoConfig config_;
  Duration rto_;
  Duration srtt_{0};
  Duration rttvar_{0};
  bool has_sample_ = false;
};

}  // namespace dabs::mp
