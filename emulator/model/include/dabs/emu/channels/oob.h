// The out-of-band channel of one OOB node (SCTE 55-1 / 55-2): a broadcast forward channel
// (2.048 Mbps by default) and a return channel (256 kbps) shared by every set-top on the
// node, accessed by slotted contention.
//
// Return channel model. A datagram's transmission starts on the next slot boundary and takes
// bytes * 8 / return_bps. Set-tops cannot hear each other, so an attempt whose airtime
// overlaps another station's is a collision: both attempts are lost. The sender backs off
// (first attempt: uniform in [0, backoff_short); later ones: [0, backoff_long)) and retries,
// up to mac_attempts, then gives the datagram up (MP above retransmits).
//
// The shaper must answer for each datagram when it is sent, so a collision is found by the
// later of the two attempts. That one backs off and retries for real. The earlier one's
// delivery was already decided; its loss is counted and its retry is put on the timeline
// (so the channel is as busy as it would be), but its datagram is not delayed. The timeline
// is deterministic from the seed for a given order of calls.
#pragma once

#include <deque>
#include <memory>
#include <mutex>

#include <dabs/emu/channels/channel.h>
#include <dabs/emu/scenario.h>

namespace dabs::emu {

// A station id for senders the model cannot tell apart (a gateway socket carrying many
// set-tops): every datagram contends as if from its own set-top.
inline constexpr uint32_t kAnyStation = 0xFFFFFFFF;

// The shared medium of one OOB node. Thread-safe.
class OobNode {
 public:
  // `stats` may be null.
  OobNode(const OobParams& params, uint64_t seed, std::shared_ptr<ChannelStats> stats);
  OobNode(const OobNode&) = delete;
  OobNode& operator=(const OobNode&) = delete;

  // A datagram of `bytes` from `station` offered to the return channel at `now`: when it
  // reaches the head-end, or nullopt when the MAC gave up after mac_attempts collisions.
  Arrival Upstream(uint32_t station, size_t bytes, mp::TimePoint now);
  // A datagram on the forward channel (serialised behind the ones before it).
  Arrival Downstream(size_t bytes, mp::TimePoint now);

  const OobParams& params() const { return params_; }
  const std::shared_ptr<ChannelStats>& stats() const { return stats_; }

 private:
  struct Airtime {
    mp::TimePoint start, end;
    uint32_t station;
    bool collided;
    bool retried;  // the owner's retry is already on the timeline
  };
  struct StationBusy {
    uint32_t station;
    mp::TimePoint until;
  };
  mp::TimePoint NextSlot(mp::TimePoint t) const;
  mp::Duration Backoff(uint32_t attempt);
  // Collides [start, end) with every overlapping other-station airtime; true if any.
  bool Collide(uint32_t station, mp::TimePoint start, mp::TimePoint end);
  void Prune(mp::TimePoint now);
  mp::TimePoint StationFree(uint32_t station, mp::TimePoint now) const;
  void SetStationBusy(uint32_t station, mp::TimePoint until);
  void Count(ChannelStats::Field f) {
    if (stats_) stats_->Add(f);
  }

  const OobParams params_;
  const mp::Duration slot_;
  std::shared_ptr<ChannelStats> stats_;
  std::mutex mu_;
  mp::SeededRandom random_;
  std::deque<Airtime> timeline_;      // recent and future return airtime
  std::deque<StationBusy> stations_;  // stations with a transmission still ahead of them
  mp::TimePoint forward_busy_{};
};

// The LinkShaper of one set-top (station = its index) or of a gateway (kAnyStation) on an
// OOB node. Not thread-safe (one node's strand); the OobNode it shares is.
class OobShaper final : public ChannelShaper {
 public:
  // REQUIRES: node non-null.
  OobShaper(std::shared_ptr<OobNode> node, uint32_t station, uint64_t seed,
            std::shared_ptr<LossBurstControl> burst);

 protected:
  Arrival Up(size_t bytes, mp::TimePoint now) override {
    return node_->Upstream(station_, bytes, now);
  }
  Arrival Down(size_t bytes, mp::TimePoint now) override { return node_->Downstream(bytes, now); }

 private:
  std::shared_ptr<OobNode> node_;
  uint32_t station_;
};

}  // namespace dabs::emu
