// The daemon's insides (daemon.h): the sync policy, the part assembler and the outbox
// behind one lock, the MP node, and the 10 ms housekeeping timer. daemon.cc holds the
// life cycle, the timer and sending; daemon_receive.cc what is heard and adopted.
//
// Locks: change_mu_ serialises changes of the local configuration (a poll, an adoption,
// Apply), store I/O included, so that a change is never taken for another; mu_ guards the
// state below it. Order: change_mu_, then mu_. Neither is held while calling the node: a
// node call may run queued node work, our OnMessage included, on the calling thread
// (docs/decisions.md D12).
#pragma once

#include <deque>
#include <mutex>
#include <optional>

#include <boost/asio/steady_timer.hpp>

#include <dabs/configd/daemon.h>
#include <dabs/mp/node.h>

#include "part_assembler.h"
#include "sync_policy.h"
#include "sync_wire.h"

namespace dabs::configd {

// At most one line per period; counts the rest. Not thread-safe (used under mu_).
class LogLimiter {
 public:
  explicit LogLimiter(Duration period) : period_(period) {}
  // True when a line may be logged now; `suppressed` then says how many were not.
  bool Allow(TimePoint now, uint64_t& suppressed) {
    if (last_ && now - *last_ < period_) {
      ++suppressed_;
      return false;
    }
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  Duration period_;
  std::optional<TimePoint> last_;
  uint64_t suppressed_ = 0;
};

class Daemon::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(boost::asio::io_context& io, const DaemonOptions& options);
  dabs::Status Open();
  void Start(bool imported);
  void Stop();
  Result<config::Records> Apply(const std::vector<config::Change>& changes,
                                const config::Actor& who, std::vector<config::Problem>* problems);
  DaemonStatus Status() const;
  mp::NodeStats NodeStats() const { return node_->Stats(); }

 private:
  // daemon.cc: time and sending.
  void Arm();
  void Tick();
  void Poll(TimePoint now);
  // A new local configuration: remembered, its payloads encoded once. REQUIRES: mu_ held.
  void SetLocal(config::Records records, const ConfigId& id);
  // Carries out what the policy asked for. REQUIRES: mu_ not held.
  void Carry(const Actions& actions);
  void Pump();
  void SendToGroup(std::vector<uint8_t> payload);
  void Warn(LogLimiter& limiter, const std::string& line);

  // daemon_receive.cc: what is heard.
  void OnMessage(mp::Message&& m);
  void OnSync(const mp::Message& m);
  void OnPart(SyncMessage&& part, const mp::Endpoint& from);
  void OnFull(SyncMessage&& full, const mp::Endpoint& from);
  void Adopt(config::Records&& records, const ConfigId& id, const mp::Endpoint& from);
  // Checks and saves a newer configuration; what the policy then asks for, or nullopt when
  // it was not adopted. REQUIRES: change_mu_ held.
  std::optional<Actions> CheckAndSave(config::Records&& records, const ConfigId& id,
                                      const mp::Endpoint& from);
  enum class Saved { kSaved, kStale, kFailed };
  Saved SaveIfNewer(const config::Records& records, const ConfigId& id);

  const DaemonOptions options_;
  boost::asio::io_context& io_;
  mp::SystemClock clock_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<mp::Node> node_;
  mp::Endpoint self_;  // our UDP endpoint: our own group datagrams come back from it

  std::mutex change_mu_;
  mutable std::mutex mu_;
  mp::SeededRandom random_;
  SyncPolicy policy_;
  PartAssembler assembler_;
  config::Records local_;                         // what the store holds
  std::vector<std::vector<uint8_t>> local_full_;  // local_, encoded for the group
  std::deque<std::vector<uint8_t>> outbox_;       // datagrams of a full not yet sent
  bool outbox_parts_ = false;                     // ... and they are parts
  Counters counters_;
  LogLimiter malformed_log_{milliseconds(10'000)};
  LogLimiter failure_log_{milliseconds(10'000)};
  TimePoint next_poll_{}, next_expire_{};
  bool started_ = false, stopped_ = false;
};

}  // namespace dabs::configd
