#include <algorithm>

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
      out.push_back({NotificationKind::kDaspStateChange, {}, row, {}});
    }
  }
  for (const auto& [va, row] : before) {
    if (after.count(va) || Finished(row.state)) continue;
    DaspRow gone = row;
    gone.state = "stopped";
    out.push_back({NotificationKind::kDaspStateChange, {}, gone, {}});
  }
}

void ServerChanges(const std::map<std::string, ServerRow>& before,
                   const std::map<std::string, ServerRow>& after, std::vector<Notification>& out) {
  auto present = [](const ServerRow* s) { return s && s->state != ServerState::kGone; };
  for (const auto& [id, row] : after) {
    auto it = before.find(id);
    const ServerRow* old = it == before.end() ? nullptr : &it->second;
    if (row.state == ServerState::kAlive && !present(old)) {
      out.push_back({NotificationKind::kServerJoined, row, {}, {}});
    } else if (row.state == ServerState::kGone && present(old)) {
      out.push_back({NotificationKind::kServerLeft, row, {}, {}});
    }
  }
  for (const auto& [id, row] : before) {
    if (after.count(id) || !present(&row)) continue;
    ServerRow gone = row;
    gone.state = ServerState::kGone;
    out.push_back({NotificationKind::kServerLeft, gone, {}, {}});
  }
}

void MoveChanges(const std::vector<MoveRow>& moves, uint64_t after,
                 std::vector<Notification>& out) {
  for (const auto& m : moves) {
    if (m.seq > after && Succeeded(m)) out.push_back({NotificationKind::kSessionMoved, {}, {}, m});
  }
}

uint64_t NewestSeq(const std::vector<MoveRow>& moves) {
  uint64_t newest = 0;
  for (const auto& m : moves)
    newest = std::max(newest, m.seq);
  return newest;
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

  const uint64_t newest = NewestSeq(next.moves);
  const uint64_t made = next.farm.session_moves_out + next.farm.session_move_failures;

  std::vector<Notification> out;
  if (first_) {
    DaspChanges(dasps_, dasps, out);
    if (now - *first_ >= grace_) ServerChanges(servers_, servers, out);
    // A dabs-lbd that restarted numbers its moves from 1 again and lists only its own: while
    // the sequence seen stood, none of them would be reported.
    if (newest < last_move_seq_ || made < moves_made_) last_move_seq_ = 0;
    MoveChanges(next.moves, last_move_seq_, out);
  } else {
    first_ = now;
  }
  dasps_ = std::move(dasps);
  servers_ = std::move(servers);
  last_move_seq_ = std::max(last_move_seq_, newest);
  moves_made_ = made;
  return out;
}

}  // namespace dabs::snmp
