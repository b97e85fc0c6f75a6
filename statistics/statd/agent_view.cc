#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include <dabs/statd/agent_view.h>
#include <dabs/statd/server_figures.h>

namespace dabs::statd {

namespace {

using snmp::ServerState;

std::optional<uint64_t> ParseU64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

uint64_t Remaining(int64_t until_ms, int64_t now_ms) {
  return until_ms > now_ms ? static_cast<uint64_t>(until_ms - now_ms) : 0;
}

void FillFigures(snmp::ServerRow& row, const store::StatsRecord& r) {
  row.cpu_pct = FigureOr(r, figure::kCpuPct);
  row.memory_pct = FigureOr(r, figure::kMemoryPct);
  row.net_pct = FigureOr(r, figure::kNetPct);
  row.load = FigureOr(r, figure::kLoad);
  row.latency_p99_ms = FigureOr(r, figure::kLatencyP99Ms);
  row.instances = static_cast<uint64_t>(FigureOr(r, figure::kInstances));
  row.sessions = static_cast<uint64_t>(FigureOr(r, figure::kSessions));
  if (row.index == 0) row.index = r.index;
}

// The address to show: what the store or the farm file says, else where its figures came from.
std::string AddressOf(const ViewInputs& in, const std::string& id, const std::string& known) {
  if (!known.empty()) return known;
  if (id == in.self && !in.self_address.empty()) return in.self_address;
  if (const auto* entry = in.config->Server(id); entry && entry->address) {
    return entry->stats_port ? *entry->address + ":" + std::to_string(*entry->stats_port)
                             : *entry->address;
  }
  auto it = in.heard_from.find(id);
  return it == in.heard_from.end() ? std::string() : it->second;
}

std::vector<snmp::ServerRow> FromServersDb(const ViewInputs& in) {
  std::vector<snmp::ServerRow> rows;
  for (const auto& s : in.store->servers) {
    snmp::ServerRow row;
    row.id = s.id;
    row.index = s.index;
    row.address = AddressOf(in, s.id, s.stats.empty() ? s.lbd : s.stats);
    row.state = snmp::ServerStateFromText(s.state);
    row.lease_remaining_ms = Remaining(s.last_heard_ms + s.lease_ms, in.now_ms);
    row.load = s.load_x100 / 100.0;
    if (auto it = in.current->find(s.id); it != in.current->end()) FillFigures(row, it->second);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<snmp::ServerRow> FromStatistics(const ViewInputs& in) {
  std::vector<snmp::ServerRow> rows;
  const int64_t lease = in.stats_lease.count();
  for (const auto& [id, r] : *in.current) {
    snmp::ServerRow row;
    row.id = id;
    if (const auto* entry = in.config->Server(id)) row.index = entry->index;
    row.address = AddressOf(in, id, "");
    const int64_t age = in.now_ms - r.sampled_ms;
    row.state = age <= lease       ? ServerState::kAlive
                : age <= 3 * lease ? ServerState::kSuspect
                                   : ServerState::kGone;
    row.lease_remaining_ms = Remaining(r.sampled_ms + lease, in.now_ms);
    FillFigures(row, r);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<snmp::DaspRow> DaspRows(const ViewInputs& in) {
  std::vector<snmp::DaspRow> rows;
  for (const auto& d : in.store->dasps) {
    snmp::DaspRow row;
    row.va = d.va;
    row.uri = d.uri;
    row.app = d.app;
    row.server = d.server.empty() ? in.self : d.server;
    row.pid = d.pid;
    row.state = d.state;
    row.sessions = d.sessions;
    if (auto it = in.dasp_figures.find(d.va); it != in.dasp_figures.end()) {
      row.lock_timeouts = it->second.stats.Get(mp::stat_tag::kLockTimeouts);  // a counter
    }
    if (const auto* f = FreshFigures(in.dasp_figures, d.va, in.now, in.dasp_max_age)) {
      if (f->stats.values.count(mp::stat_tag::kSessions)) {
        row.sessions = f->stats.Get(mp::stat_tag::kSessions);
      }
      row.latency_p99_ms = static_cast<double>(f->stats.Get(mp::stat_tag::kLatencyP99Ms));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<snmp::AppRow> AppRows(const ViewInputs& in, const std::vector<snmp::DaspRow>& dasps) {
  std::vector<snmp::AppRow> rows;
  for (const auto& app : in.config->apps) {
    snmp::AppRow row;
    row.name = app.name;
    for (const auto& d : dasps) {
      if (d.app != app.name || !IsLive(d.state) || d.server != in.self) continue;
      ++row.instances;
      row.sessions += d.sessions;
    }
    // dabs-lbd's running totals, when it keeps them, are the reference (DESIGN.md 5).
    if (auto it = in.store->app_instances.find(app.name); it != in.store->app_instances.end()) {
      row.instances = it->second;
    }
    if (auto it = in.store->app_sessions.find(app.name); it != in.store->app_sessions.end()) {
      row.sessions = it->second;
    }
    row.farm_instances = app.limits.farm_instances;
    row.farm_sessions = app.limits.farm_sessions;
    row.farm_memory_mb = app.limits.farm_memory_mb;
    row.instance_sessions = app.limits.instance_sessions;
    row.instance_memory_mb = app.limits.instance_memory_mb;
    rows.push_back(std::move(row));
  }
  return rows;
}

snmp::MoveRow MoveRowOf(const store::MoveRecord& r) {
  snmp::MoveRow row;
  row.seq = r.seq;
  row.client_va = r.client_va;
  row.app = r.app;
  row.from = r.from;
  row.to = r.to;
  row.why = r.why;
  row.pause_us = r.pause_us;
  row.outcome = r.outcome;
  return row;
}

uint64_t CounterOr0(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

void ReadMovesRecord(std::string_view json, StoreView& view) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return;
  view.session_moves_out = CounterOr0(j, "moves_out");
  view.session_moves_in = CounterOr0(j, "moves_in");
  view.session_move_failures = CounterOr0(j, "move_failures");
  view.recent_moves.clear();
  const auto recent = j.find("recent");
  if (recent == j.end() || !recent->is_array()) return;
  // Oldest first: keep the newest kMaxRecentMoves.
  const size_t skip = recent->size() > kMaxRecentMoves ? recent->size() - kMaxRecentMoves : 0;
  for (size_t i = skip; i < recent->size(); ++i) {
    // The parser accepted only UTF-8, so dump() cannot throw; replace rather than trust that.
    const std::string text =
        (*recent)[i].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto r = store::MoveRecordFromJson(text)) view.recent_moves.push_back(*r);
  }
}

Result<StoreView> ReadStoreView(const store::ReadTxn& txn) {
  using store::Database;
  StoreView view;
  Status s = txn.ForEach(Database::kServers, "", [&](std::string_view, std::string_view v) {
    if (auto r = store::ServerRecordFromJson(v); r && !r->id.empty()) view.servers.push_back(*r);
    return store::Visit::kContinue;
  });
  if (!s) return s.error();
  s = txn.ForEach(Database::kDasps, "", [&](std::string_view, std::string_view v) {
    if (auto r = store::DaspRecordFromJson(v)) view.dasps.push_back(*r);
    return store::Visit::kContinue;
  });
  if (!s) return s.error();
  for (auto [prefix, out] : {std::pair{std::string_view("sessions/"), &view.app_sessions},
                             {std::string_view("instances/"), &view.app_instances}}) {
    s = txn.ForEach(Database::kLimits, prefix, [&](std::string_view k, std::string_view v) {
      if (auto n = ParseU64(v)) (*out)[std::string(k.substr(prefix.size()))] = *n;
      return store::Visit::kContinue;
    });
    if (!s) return s.error();
  }
  s = txn.ForEach(Database::kStatistics, "security/", [&](std::string_view k, std::string_view v) {
    const auto j = nlohmann::json::parse(v, nullptr, false);
    if (!j.is_object()) return store::Visit::kContinue;
    const auto total = j.find("rejected_total");
    if (total != j.end() && total->is_number_unsigned())
      view.rejected_datagrams += total->get<uint64_t>();
    const auto primary = j.find("primary");
    if (k == "security/dabs-statd" && primary != j.end() && primary->is_string()) {
      view.farm_key = primary->get<std::string>();
    }
    return store::Visit::kContinue;
  });
  if (!s) return s.error();
  auto moves = txn.Get(Database::kStatistics, kMovesKey);
  if (!moves) return moves.error();
  if (*moves) ReadMovesRecord(**moves, view);
  return view;
}

snmp::AgentSnapshot BuildAgentSnapshot(const ViewInputs& in) {
  snmp::AgentSnapshot out;
  out.servers = in.store->servers.empty() ? FromStatistics(in) : FromServersDb(in);
  std::sort(out.servers.begin(), out.servers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  out.dasps = DaspRows(in);
  out.apps = AppRows(in, out.dasps);
  out.farm.name = in.config->name;
  out.farm.this_server = in.self;
  out.farm.config_version = in.config->version;
  out.farm.rejected_datagrams = in.store->rejected_datagrams;
  out.farm.farm_key = in.store->farm_key;
  out.farm.session_moves_out = in.store->session_moves_out;
  out.farm.session_moves_in = in.store->session_moves_in;
  out.farm.session_move_failures = in.store->session_move_failures;
  for (const auto& m : in.store->recent_moves)
    out.moves.push_back(MoveRowOf(m));
  for (const auto& s : out.servers) {
    if (s.state == ServerState::kAlive) ++out.farm.servers_alive;
    if (s.state == ServerState::kGone) continue;
    out.farm.sessions += s.sessions;
    out.farm.instances += s.instances;
  }
  return out;
}

}  // namespace dabs::statd
