// dabsctl servers, stats and apps: the farm's members, their figures and the configured
// applications, as this server's store records them.
#include <algorithm>
#include <filesystem>

#include "commands.h"
#include "records_read.h"
#include "state.h"
#include "table.h"
#include "views.h"

namespace dabs::ctl {

namespace {

constexpr int64_t kDefaultHeartbeatMs = 250;  // docs/spec/config.md's default

// The heartbeat to judge silence by: the configuration's, else the default.
int64_t HeartbeatMs(const ServerContext& c, const Globals& g) {
  auto farm = c.Configuration(g);
  if (farm) return farm->heartbeat.count();
  if (g.verbose) {
    std::fprintf(stderr, "dabsctl: %s; judging silence by a %lld ms heartbeat\n",
                 farm.error().detail.c_str(), static_cast<long long>(kDefaultHeartbeatMs));
  }
  return kDefaultHeartbeatMs;
}

std::string Num(const json& v, int decimals) {
  return v.is_number() ? FormatNumber(v.get<double>(), decimals) : "-";
}

std::string OfLimit(uint64_t n, const json& limit) {
  return limit.is_null() ? std::to_string(n) : std::to_string(n) + "/" + limit.dump();
}

}  // namespace

int RunServers(const Globals& g) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  std::vector<store::ServerRecord> servers;
  Status read = c->store().Read([&](const store::ReadTxn& txn) {
    servers.clear();
    return Collect(txn, store::Database::kServers, "", &store::ServerRecordFromJson, servers);
  });
  if (!read) return Fail("reading the servers database: " + read.error().Message());
  std::sort(servers.begin(), servers.end(), [](const auto& a, const auto& b) {
    return std::tie(a.index, a.id) < std::tie(b.index, b.id);
  });
  const int64_t heartbeat = HeartbeatMs(*c, g);
  const int64_t now = NowMs();
  json list = json::array();
  Table t({"ID", "INDEX", "ADDRESS", "STATE", "LOAD", "INSTANCES", "SESSIONS", "BALANCE",
           "LEASE LEFT"});
  for (const auto& s : servers) {
    json j = ServerJson(s, now, heartbeat);
    t.Add({s.id + (s.self ? " (self)" : ""), std::to_string(s.index),
           j["address"].get<std::string>(), j["state"].get<std::string>(),
           FormatNumber(j["load"].get<double>(), 2), std::to_string(s.instances),
           std::to_string(s.sessions), s.balance,
           std::to_string(j["lease_ms_left"].get<int64_t>()) + " ms"});
    list.push_back(std::move(j));
  }
  if (g.json) {
    PrintJson({{"servers", list}, {"seen_from", c->server_id()}});
  } else {
    t.Print(stdout, "no servers recorded yet in " + c->dir().string());
  }
  return 0;
}

int RunStats(const Globals& g) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  std::vector<store::StatsRecord> stats;
  Status read = c->store().Read([&](const store::ReadTxn& txn) {
    stats.clear();
    return Collect(txn, store::Database::kStatistics, "current/", &store::StatsRecordFromJson,
                   stats);
  });
  if (!read) return Fail("reading the statistics database: " + read.error().Message());
  std::sort(stats.begin(), stats.end(), [](const auto& a, const auto& b) {
    return std::tie(a.index, a.server) < std::tie(b.index, b.server);
  });
  const int64_t now = NowMs();
  json list = json::array();
  Table t({"ID", "CPU %", "MEMORY %", "NET %", "LOAD", "P99 MS", "AGE"});
  for (const auto& s : stats) {
    json j = StatsJson(s, now);
    t.Add({s.server, Num(j["cpu_pct"], 1), Num(j["memory_pct"], 1), Num(j["net_pct"], 1),
           Num(j["load"], 1), Num(j["latency_p99_ms"], 1),
           FormatNumber(static_cast<double>(j["age_ms"].get<int64_t>()) / 1000.0, 1) + " s"});
    list.push_back(std::move(j));
  }
  if (g.json) {
    PrintJson({{"servers", list}});
  } else {
    t.Print(stdout, "no statistics recorded yet in " + c->dir().string());
  }
  return 0;
}

int RunApps(const Globals& g) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto farm = c->Configuration(g);
  if (!farm) return Fail(farm.error());
  auto dir = ReadDirectory(c->store());
  if (!dir) return Fail("reading the directory: " + dir.error().Message());
  json list = json::array();
  Table t({"NAME", "DASP", "AT INIT", "SERVERS", "INSTANCES", "SESSIONS", "PER INSTANCE"});
  for (const auto& app : farm->apps) {
    const auto instances = std::count_if(dir->dasps.begin(), dir->dasps.end(), [&](const auto& d) {
      return d.app == app.name && d.state != "stopped" && d.state != "failed";
    });
    const auto sessions = std::count_if(dir->sessions.begin(), dir->sessions.end(),
                                        [&](const auto& s) { return s.app == app.name; });
    json j = AppJson(app, static_cast<uint64_t>(instances), static_cast<uint64_t>(sessions));
    const json& farm_limits = j["limits"]["farm"];
    t.Add({app.name, std::filesystem::path(app.dasp).filename().string(),
           std::to_string(app.start_at_init),
           app.servers.empty() ? "all" : json(app.servers).dump(),
           OfLimit(static_cast<uint64_t>(instances), farm_limits["instances"]),
           OfLimit(static_cast<uint64_t>(sessions), farm_limits["sessions"]),
           std::to_string(app.limits.instance_sessions) + " sessions"});
    list.push_back(std::move(j));
  }
  if (g.json) {
    PrintJson({{"apps", list}, {"config_version", farm->version}});
  } else {
    t.Print(stdout, "no applications configured");
  }
  return 0;
}

}  // namespace dabs::ctl
