// A telephone modem line of one set-top: V.34 33.6 kbps up, V.90 56 kbps down.
//
// The set-top dials when it has something to send and no call is up; the datagram (and any
// after it) waits for the connection (connect_s, ~20 s assumed). The call stays up while
// there is traffic and is hung up after idle_hangup_s without any. The head-end cannot call
// a set-top, so a downstream datagram while no call is connected is lost.
#pragma once

#include <memory>
#include <mutex>

#include <dabs/emu/channels/channel.h>
#include <dabs/emu/scenario.h>

namespace dabs::emu {

// One line. Thread-safe.
class ModemLine {
 public:
  // `stats` may be null (several lines usually share one).
  ModemLine(const ModemParams& params, std::shared_ptr<ChannelStats> stats);
  ModemLine(const ModemLine&) = delete;
  ModemLine& operator=(const ModemLine&) = delete;

  // When an upstream datagram offered at `now` reaches the head-end (dials if needed).
  Arrival Upstream(size_t bytes, mp::TimePoint now);
  // When a downstream datagram reaches the set-top; nullopt when no call is connected.
  Arrival Downstream(size_t bytes, mp::TimePoint now);
  // True while a call is connected (dialled, trained, and not yet hung up) at `now`.
  bool Connected(mp::TimePoint now);

  const ModemParams& params() const { return params_; }
  const std::shared_ptr<ChannelStats>& stats() const { return stats_; }

 private:
  void HangUpIfIdle(mp::TimePoint now);  // REQUIRES: mu_ held

  const ModemParams params_;
  std::shared_ptr<ChannelStats> stats_;
  std::mutex mu_;
  bool in_call_ = false;
  mp::TimePoint connected_at_{};
  mp::TimePoint last_activity_{};
  mp::TimePoint up_busy_{};
  mp::TimePoint down_busy_{};
};

// The LinkShaper of one modem set-top. Not thread-safe.
class ModemShaper final : public ChannelShaper {
 public:
  // REQUIRES: line non-null.
  ModemShaper(std::shared_ptr<ModemLine> line, uint64_t seed,
              std::shared_ptr<LossBurstControl> burst);

 protected:
  Arrival Up(size_t bytes, mp::TimePoint now) override { return line_->Upstream(bytes, now); }
  Arrival Down(size_t bytes, mp::TimePoint now) override { return line_->Downstream(bytes, now); }

 private:
  std::shared_ptr<ModemLine> line_;
};

}  // namespace dabs::emu
