#include <dabs/farm/membership.h>

namespace dabs::farm {

namespace {
constexpr auto kRememberGone = std::chrono::seconds(60);
}  // namespace

const char* MemberEventName(MemberEvent e) {
  switch (e) {
    case MemberEvent::kJoined:
      return "joined";
    case MemberEvent::kRestarted:
      return "restarted";
    case MemberEvent::kLeft:
      return "left";
    case MemberEvent::kExpired:
      return "lease lapsed";
  }
  return "?";
}

Membership::Membership(Member self, mp::Duration heartbeat, const mp::Clock& clock)
    : self_id_(self.id), heartbeat_(heartbeat), clock_(clock) {
  self.self = true;
  self.joined = self.last_heard = clock.Now();
  members_.emplace(self.id, std::move(self));
}

std::optional<MemberChange> Membership::OnHello(const mp::Hello& h) {
  if (h.server == self_id_) return std::nullopt;
  const auto now = clock_.Now();
  auto it = members_.find(h.server);
  MemberEvent event = MemberEvent::kJoined;
  if (it != members_.end()) {
    if (h.incarnation < it->second.incarnation) return std::nullopt;  // a late HELLO of a past life
    event = h.incarnation > it->second.incarnation ? MemberEvent::kRestarted : MemberEvent::kJoined;
  }
  Member& m = members_[h.server];
  const bool fresh = it == members_.end() || event == MemberEvent::kRestarted;
  m.id = h.server;
  m.index = h.index;
  m.lbd = h.lbd;
  m.stats = h.stats;
  m.config = h.config;
  m.incarnation = h.incarnation;
  m.lease = std::chrono::milliseconds(h.lease_ms);
  m.last_heard = now;
  if (fresh) m.joined = now;
  m.config_version = h.config_version;
  m.load_x100 = h.load_x100;
  m.eligible = h.eligible;
  m.balance = h.balance;
  gone_.erase(h.server);
  if (!fresh) return std::nullopt;
  return MemberChange{event, m};
}

std::optional<MemberChange> Membership::OnLeave(const mp::Leave& l) {
  auto it = members_.find(l.server);
  if (it == members_.end() || l.server == self_id_) return std::nullopt;
  if (l.incarnation != 0 && l.incarnation < it->second.incarnation) return std::nullopt;
  MemberChange change{MemberEvent::kLeft, it->second};
  gone_[l.server] = {it->second, clock_.Now()};
  members_.erase(it);
  return change;
}

std::vector<MemberChange> Membership::Expire() {
  const auto now = clock_.Now();
  std::vector<MemberChange> out;
  for (auto it = members_.begin(); it != members_.end();) {
    if (!it->second.self && now - it->second.last_heard > it->second.lease) {
      out.push_back({MemberEvent::kExpired, it->second});
      gone_[it->first] = {it->second, now};
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(gone_, [&](const auto& g) { return now - g.second.second > kRememberGone; });
  members_.at(self_id_).last_heard = now;
  return out;
}

std::vector<const Member*> Membership::Alive() const {
  std::vector<const Member*> out;
  for (const auto& [id, m] : members_)
    out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const Member* a, const Member* b) {
    return a->index != b->index ? a->index < b->index : a->id < b->id;
  });
  return out;
}

const Member* Membership::Find(const std::string& id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::string Membership::StateOf(const std::string& id) const {
  if (const Member* m = Find(id)) {
    return m->self || clock_.Now() - m->last_heard <= 2 * heartbeat_ ? "alive" : "suspect";
  }
  return gone_.count(id) ? "gone" : "unknown";
}

std::vector<Member> Membership::RecentlyGone() const {
  std::vector<Member> out;
  for (const auto& [id, g] : gone_)
    out.push_back(g.first);
  return out;
}

mp::Hello Membership::SelfHello() const {
  const Member& m = self();
  mp::Hello h;
  h.server = m.id;
  h.index = m.index;
  h.lbd = m.lbd;
  h.stats = m.stats;
  h.config = m.config;
  h.lease_ms =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(m.lease).count());
  h.incarnation = m.incarnation;
  h.config_version = m.config_version;
  h.load_x100 = m.load_x100;
  h.eligible = m.eligible;
  h.balance = m.balance;
  return h;
}

}  // namespace dabs::farm
