// The decisions of CONFIG_SYNC (README.md, "Convergence"), free of I/O: what this server sends
// when its stored configuration changes, when it hears a peer's announcement or full
// configuration, and as time passes, with the rate limits. The daemon feeds it events and
// carries out the Actions it returns; tests drive it with a fake clock.
//
// Thread safety: none; the daemon calls it under its lock.
#pragma once

#include <optional>
#include <string>

#include <dabs/mp/clock.h>

namespace dabs::configd {

using mp::Duration;
using mp::TimePoint;
using std::chrono::milliseconds;

// Which configuration: its version, the server that made it, and the SHA-256 (hex) of its
// records (config::RecordsDigest); the digest is empty when a sender sent none.
struct ConfigId {
  uint64_t version = 0;
  std::string origin;
  std::string digest;

  std::string ToString() const;  // "version 5 from s1"
  friend bool operator==(const ConfigId&, const ConfigId&) = default;
};

// Orders configurations as config::Supersedes does (version, then origin), then by digest
// when both are known, so two different configurations never tie. <0, 0 or >0.
int Compare(const ConfigId& a, const ConfigId& b);
inline bool Newer(const ConfigId& a, const ConfigId& b) {
  return Compare(a, b) > 0;
}

struct SyncTimings {
  Duration announce_period = milliseconds(1000);       // our summary, for late joiners
  Duration full_min_interval = milliseconds(100);      // full configurations at most this often
  Duration announce_min_interval = milliseconds(100);  // answers to newer announcements
  // An answer to an older configuration waits a random time up to this, and is dropped if
  // another server sends ours first, so N up-to-date servers do not all send it at once.
  Duration answer_delay_max = milliseconds(20);
};

// What a CONFIG_SYNC datagram was.
enum class Heard {
  kAnnounce,  // VERSION, ORIGIN, DIGEST only
  kFull,      // a whole configuration (one datagram, or parts put together)
  kPart,      // one datagram of a configuration split into parts
};

struct Actions {
  bool send_full = false;      // send our configuration to the group
  bool send_announce = false;  // send our announcement to the group
  bool adopt = false;          // the heard full configuration is newer: check it, save it
};

class SyncPolicy {
 public:
  // `random` must outlive the policy (it draws the answer delays).
  SyncPolicy(const SyncTimings& timings, mp::Random& random);

  // At start, with what the store holds. `imported`: the farm file just became a new
  // version here, so the group hears it in full; otherwise an announcement.
  Actions Start(const ConfigId& local, bool imported, TimePoint now);
  // The stored configuration changed. `made_here`: by this server (dabsctl import, the API):
  // the group hears it in full at once. Otherwise it was adopted from the group, which has
  // heard it already.
  Actions OnLocalChange(const ConfigId& local, bool made_here, TimePoint now);
  // A peer's CONFIG_SYNC (never our own).
  Actions OnHeard(const ConfigId& remote, Heard kind, TimePoint now);
  // The full configuration `remote` failed the checks here: heard again, it asks for nothing.
  void OnRefused(const ConfigId& remote);
  // Whatever has come due: rate-limited answers, the periodic announcement.
  Actions OnTick(TimePoint now);

  // True for a configuration worth assembling from parts: newer than ours, not refused.
  bool Wants(const ConfigId& remote) const;
  const ConfigId& local() const { return local_; }
  // When OnTick has work next.
  TimePoint NextDeadline() const;

 private:
  void RequestFull(TimePoint at);
  void RequestAnnounce(TimePoint at);
  Actions Due(TimePoint now);
  bool IsRefused(const ConfigId& id) const { return refused_ && *refused_ == id; }

  SyncTimings timings_;
  mp::Random& random_;
  ConfigId local_;
  std::optional<ConfigId> refused_;
  std::optional<TimePoint> full_due_, announce_due_;
  std::optional<TimePoint> last_full_, last_announce_;
  TimePoint next_periodic_{};
};

}  // namespace dabs::configd
