#include <array>
#include <string_view>

#include <dabs/snmp/snapshot.h>

namespace dabs::snmp {

ServerState ServerStateFromText(std::string_view text) {
  if (text == "alive") return ServerState::kAlive;
  if (text == "suspect") return ServerState::kSuspect;
  return ServerState::kGone;
}

int32_t DaspStateNumber(std::string_view state) {
  // The order of mp::wire::DaspState (spec 7): starting = 1 .. failed = 6.
  constexpr std::array<std::string_view, 6> kWords = {"starting", "ready",   "busy",
                                                      "draining", "stopped", "failed"};
  for (size_t i = 0; i < kWords.size(); ++i) {
    if (kWords[i] == state) return static_cast<int32_t>(i + 1);
  }
  return 7;  // unknown(7)
}

bool Succeeded(const MoveRow& move) {
  return move.outcome == "moved";
}

void SnapshotBox::Publish(AgentSnapshot snapshot) {
  auto shared = std::make_shared<const AgentSnapshot>(std::move(snapshot));
  std::lock_guard lock(mu_);
  snapshot_ = std::move(shared);
  ++generation_;
}

void SnapshotBox::Notify(std::vector<Notification> notifications) {
  std::lock_guard lock(mu_);
  for (auto& n : notifications) {
    if (queue_.size() >= kMaxQueuedNotifications) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(n));
  }
}

std::shared_ptr<const AgentSnapshot> SnapshotBox::TakeIfNewer(uint64_t& seen) const {
  std::lock_guard lock(mu_);
  if (generation_ == seen) return nullptr;
  seen = generation_;
  return snapshot_;
}

std::vector<Notification> SnapshotBox::TakeNotifications() {
  std::lock_guard lock(mu_);
  std::vector<Notification> out(std::make_move_iterator(queue_.begin()),
                                std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

uint64_t SnapshotBox::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace dabs::snmp
