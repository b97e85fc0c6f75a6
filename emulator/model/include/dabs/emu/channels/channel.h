// What every channel model shares: counters for the report, a loss-burst control for the
// fault timeline, and ChannelShaper, the mp::LinkShaper that runs a medium's timing first and
// then the channel's configured faults (loss, duplication, reordering, corruption).
//
// Upstream is Outbound (set-top -> head-end), downstream is Inbound. A shaper belongs to one
// node (one socket): per set-top in per_stb mode, per OOB node / DOCSIS group in gateway
// mode. The medium it models (an OOB node's return channel, a DOCSIS group's upstream) is a
// separate object that several shapers share by shared_ptr; media are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include <dabs/mp/clock.h>
#include <dabs/mp/faults.h>

namespace dabs::emu {

// A snapshot of one channel's counters. All counts since creation.
struct ChannelCounts {
  uint64_t datagrams_up = 0;    // offered by set-tops
  uint64_t datagrams_down = 0;  // offered by the farm
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  uint64_t delivered_up = 0;
  uint64_t delivered_down = 0;
  uint64_t fault_drops = 0;    // lost to the configured loss or a loss burst
  uint64_t collisions = 0;     // OOB return: attempts lost to overlapping airtime
  uint64_t mac_retries = 0;    // OOB return: retransmissions after a collision
  uint64_t mac_drops = 0;      // OOB return: datagrams given up after mac_attempts
  uint64_t queue_drops = 0;    // DOCSIS upstream: tail drops (buffer full) and AQM drops
  uint64_t calls = 0;          // modem: calls dialled
  uint64_t no_call_drops = 0;  // modem: downstream datagrams with no call up
};

// Counters several shapers and media add to. Thread-safe (relaxed atomics).
class ChannelStats {
 public:
  enum Field : int {
    kDatagramsUp,
    kDatagramsDown,
    kBytesUp,
    kBytesDown,
    kDeliveredUp,
    kDeliveredDown,
    kFaultDrops,
    kCollisions,
    kMacRetries,
    kMacDrops,
    kQueueDrops,
    kCalls,
    kNoCallDrops,
    kFields
  };
  void Add(Field f, uint64_t n = 1) { v_[f].fetch_add(n, std::memory_order_relaxed); }
  ChannelCounts Snapshot() const;

 private:
  std::atomic<uint64_t> v_[kFields]{};
};

// Raised loss for a while (the fault timeline's loss_burst), shared by every shaper of a
// channel. Thread-safe.
class LossBurstControl {
 public:
  // From now until `until`, each datagram is also lost with probability `loss`.
  void Start(double loss, mp::TimePoint until);
  // The burst's loss at `now` (0 outside a burst).
  double LossAt(mp::TimePoint now) const;

 private:
  mutable std::mutex mu_;
  double loss_ = 0;
  mp::TimePoint until_{};
};

// When a datagram reaches the other side, or nullopt when the medium lost it.
using Arrival = std::optional<mp::TimePoint>;

// Medium timing first, then faults. Not thread-safe: called on its node's strand, in order
// (mp::LinkShaper's contract); the media it references are.
class ChannelShaper : public mp::LinkShaper {
 public:
  // `burst` and `stats` may be null (no bursts, no counters). `seed` drives the faults.
  ChannelShaper(const mp::FaultProfile& faults, uint64_t seed,
                std::shared_ptr<LossBurstControl> burst, std::shared_ptr<ChannelStats> stats);
  ChannelShaper(const ChannelShaper&) = delete;
  ChannelShaper& operator=(const ChannelShaper&) = delete;

  mp::FaultDecision Outbound(const mp::Endpoint& to, std::span<const uint8_t> bytes,
                             mp::TimePoint now) final;
  mp::FaultDecision Inbound(const mp::Endpoint& from, std::span<const uint8_t> bytes,
                            mp::TimePoint now) final;

  // Convenience for the fault timeline: starts a burst on this shaper's (shared) control.
  // REQUIRES: constructed with a burst control.
  void LossBurst(double loss, mp::TimePoint until) { burst_->Start(loss, until); }
  ChannelStats* stats() const { return stats_.get(); }

 protected:
  // The medium's verdict on one datagram of `bytes` bytes offered at `now`.
  virtual Arrival Up(size_t bytes, mp::TimePoint now) = 0;
  virtual Arrival Down(size_t bytes, mp::TimePoint now) = 0;

 private:
  mp::FaultDecision Shape(bool up, size_t bytes, mp::TimePoint now);
  void Count(ChannelStats::Field f, uint64_t n = 1) {
    if (stats_) stats_->Add(f, n);
  }

  mp::SeededRandom random_;
  mp::FaultInjector faults_;
  std::shared_ptr<LossBurstControl> burst_;
  std::shared_ptr<ChannelStats> stats_;
};

// Duration helpers for the models: seconds (double) <-> mp::Duration.
inline mp::Duration Seconds(double s) {
  return mp::Duration(static_cast<int64_t>(s * 1e9));
}
inline mp::Duration Millis(double ms) {
  return Seconds(ms / 1e3);
}
// Airtime of `bytes` at `bps`.
inline mp::Duration Airtime(size_t bytes, double bps) {
  return Seconds(static_cast<double>(bytes) * 8 / bps);
}

}  // namespace dabs::emu
