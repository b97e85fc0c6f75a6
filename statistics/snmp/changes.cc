#include <dabs/snmp/changes.h>

namespace dabs::snmp {

namespace {

bool Finished(const std::string& state) {
  return state == "stopped" || state == "failed";
}

void DaspChanges(const std::map<uint32_t, DaspRow>& before,
                 const std::map<uint32_t, DaspRow>& after, std::vector<Notification>& out) {
  for (const auto& [va, row] : after) {
    auto it = before.find(va);
    if (it == before.end() || it->second.state != row.state) {
      out.push_back({NotificationKind::kDaspStateChange, {}, row});
    }
  }
  for (const auto& [va, row] : before) {
    if (after.count(va) || Finished(row.state)) continue;
    DaspRow gone = row;
    gone.state = "stopped";
    out.push_back({NotificationKind::kDaspStateChange, {}, gone});
  }
}

void ServerChanges(const std::map<std::string, ServerRow>& before,
                   const std::map<std::string, ServerRow>& after, std::vector<Notification>& out) {
  auto present = [](const ServerRow* s) { return s && s->state != ServerState::kGone; };
  for (const auto& [id, row] : after) {
    auto it = before.find(id);
    const ServerRow* old = it == before.end() ? nullptr : &it->second;
    if (row.state == ServerState::kAlive && !present(old)) {
      out.push_back({NotificationKind::kServerJoined, row, {}});
    } else if (row.state == ServerState::kGone && present(old)) {
      out.push_back({NotificationKind::kServerLeft, row, {}});
    }
  }
  for (const auto& [id, row] : before) {
    if (after.count(id) || !present(&row)) continue;
    ServerRow gone = row;
    gone.state = ServerState::kGone;
    out.push_back({NotificationKind::kServerLeft, gone, {}});
  }
}

}  // namespace

std::vector<Notification> ChangeDetector::Update(const AgentSnapshot& next,
                                                 std::chrono::steady_clock::time_point now) {
  std::map<uint32_t, DaspRow> dasps;
  for (const auto& d : next.dasps)
    dasps[d.va] = d;
  std::map<std::string, ServerRow> servers;
  for (const auto& s : next.servers)
    servers[s.id] = s;

  std::vector<Notification> out;
  if (first_) {
    DaspChanges(dasps_, dasps, out);
    if (now - *first_ >= grace_) ServerChanges(servers_, servers, out);
  } else {
    first_ = now;
  }
  dasps_ = std::move(dasps);
  servers_ = std::move(servers);
  return out;
}

}  // namespace dabs::snmp
