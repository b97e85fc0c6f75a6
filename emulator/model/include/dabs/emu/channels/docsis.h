// DOCSIS 3.0 for one service group: a 256-QAM downstream channel (~38 Mbps) and an upstream
// reached by request-grant.
//
// Upstream model. A datagram's request goes out in the next MAP interval (every 2 ms); the
// CMTS grants it grant_delay_maps MAPs later (~10 ms in all when idle). It then waits behind
// the upstream queue: the standing queue other subscribers' traffic keeps (upstream_load:
// below 1 an M/M/1-like wait of 1,500-byte packets; at 1 a saturating upload), and the
// emulated set-tops' own bytes, serialised at upstream_bps. With AQM (DOCSIS-PIE, RFC 8034)
// the standing queue swings between 0.5x and 2x of aqm_target_ms (15-30 ms in all under
// load); without it a saturated queue fills the buffer (buffer_ms, ~250 ms). A datagram
// that would wait beyond the limit (2x the target with AQM, the buffer without) is dropped.
#pragma once

#include <memory>
#include <mutex>

#include <dabs/emu/channels/channel.h>
#include <dabs/emu/scenario.h>

namespace dabs::emu {

// The shared medium of one DOCSIS service group. Thread-safe.
class DocsisGroup {
 public:
  // `stats` may be null.
  DocsisGroup(const DocsisParams& params, uint64_t seed, std::shared_ptr<ChannelStats> stats);
  DocsisGroup(const DocsisGroup&) = delete;
  DocsisGroup& operator=(const DocsisGroup&) = delete;

  // When a datagram offered at `now` reaches the farm; nullopt when the queue dropped it.
  Arrival Upstream(size_t bytes, mp::TimePoint now);
  Arrival Downstream(size_t bytes, mp::TimePoint now);
  // Other subscribers' use of the upstream from now on, 0..1 (clamped).
  void SetLoad(double load);

  const DocsisParams& params() const { return params_; }
  const std::shared_ptr<ChannelStats>& stats() const { return stats_; }

 private:
  mp::Duration StandingQueue();  // REQUIRES: mu_ held

  DocsisParams params_;
  std::shared_ptr<ChannelStats> stats_;
  std::mutex mu_;
  mp::SeededRandom random_;
  mp::TimePoint up_busy_{};
  mp::TimePoint down_busy_{};
};

// The LinkShaper of a set-top or a gateway in one DOCSIS service group. Not thread-safe.
class DocsisShaper final : public ChannelShaper {
 public:
  // REQUIRES: group non-null.
  DocsisShaper(std::shared_ptr<DocsisGroup> group, uint64_t seed,
               std::shared_ptr<LossBurstControl> burst);

 protected:
  Arrival Up(size_t bytes, mp::TimePoint now) override { return group_->Upstream(bytes, now); }
  Arrival Down(size_t bytes, mp::TimePoint now) override { return group_->Downstream(bytes, now); }

 private:
  std::shared_ptr<DocsisGroup> group_;
};

}  // namespace dabs::emu
