// Who is in the farm (seed 001, DESIGN.md section 3): every server sends HELLO every
// heartbeat with a lease and an incarnation; a server joins on its first HELLO, is known to
// have restarted when its incarnation grows, and leaves on LEAVE or when its lease lapses.
// A killed server leaves every view within lease + one heartbeat (Expire runs every
// heartbeat). A new server is usable at once.
//
// Not thread-safe: the daemon's strand owns it. Time comes from the injected clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/farm_messages.h>

namespace dabs::farm {

struct Member {
  std::string id;
  uint16_t index = 0;
  mp::Endpoint lbd;
  std::optional<mp::Endpoint> stats, config;
  uint64_t incarnation = 0;
  mp::Duration lease{0};
  mp::TimePoint last_heard{};
  mp::TimePoint joined{};
  uint64_t config_version = 0;
  uint32_t load_x100 = 0;
  bool eligible = true;
  uint8_t balance = 0;
  bool self = false;
};

enum class MemberEvent { kJoined, kRestarted, kLeft, kExpired };
const char* MemberEventName(MemberEvent e);

struct MemberChange {
  MemberEvent event;
  Member member;
};

class Membership {
 public:
  // `self` is this server; `heartbeat` tells when a silent member becomes "suspect".
  Membership(Member self, mp::Duration heartbeat, const mp::Clock& clock);

  // A HELLO heard (our own is ignored). Joined, restarted, or nothing new.
  std::optional<MemberChange> OnHello(const mp::Hello& hello);
  std::optional<MemberChange> OnLeave(const mp::Leave& leave);
  // Members whose lease lapsed, removed. Run it every heartbeat.
  std::vector<MemberChange> Expire();

  // Live members, this server included, by index.
  std::vector<const Member*> Alive() const;
  const Member* Find(const std::string& id) const;
  // "alive", "suspect" (no HELLO for two heartbeats, lease not lapsed) or "gone" (left in
  // the last minute).
  std::string StateOf(const std::string& id) const;
  // Members that left in the last minute, for operators.
  std::vector<Member> RecentlyGone() const;

  Member& self() { return members_.at(self_id_); }
  const Member& self() const { return members_.at(self_id_); }
  mp::Hello SelfHello() const;

 private:
  std::string self_id_;
  mp::Duration heartbeat_;
  const mp::Clock& clock_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::pair<Member, mp::TimePoint>> gone_;
};

}  // namespace dabs::farm
