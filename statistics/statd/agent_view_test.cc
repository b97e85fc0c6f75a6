#include <gtest/gtest.h>

#include <dabs/statd/agent_view.h>
#include <dabs/statd/server_figures.h>

namespace dabs::statd {
namespace {

using namespace std::chrono_literals;
using snmp::ServerState;

constexpr int64_t kNow = 1'700'000'000'000;

config::FarmConfig Farm() {
  config::FarmConfig c;
  c.name = "headend-a";
  c.version = 4;
  config::ServerEntry s1;
  s1.id = "s1";
  s1.index = 1;
  s1.address = "10.0.0.1";
  s1.stats_port = 7511;
  c.servers = {s1};
  config::AppEntry calc;
  calc.name = "calc";
  calc.limits.farm_sessions = 5000;
  calc.limits.instance_sessions = 10;
  config::AppEntry echo;
  echo.name = "echo";
  c.apps = {calc, echo};
  return c;
}

store::StatsRecord Stats(std::string id, int64_t age_ms, double cpu, double sessions = 0) {
  store::StatsRecord r;
  r.server = std::move(id);
  r.sampled_ms = kNow - age_ms;
  r.figures = {{"cpu_pct", cpu},
               {"memory_pct", 40},
               {"load", 22.5},
               {"sessions", sessions},
               {"instances", 1}};
  return r;
}

store::DaspRecord Dasp(mp::Va va, std::string app, std::string state, uint32_t sessions) {
  store::DaspRecord d;
  d.va = va;
  d.app = std::move(app);
  d.state = std::move(state);
  d.sessions = sessions;
  d.server = "s1";
  d.pid = 100 + static_cast<int32_t>(va & 0xFF);
  return d;
}

struct Inputs {
  config::FarmConfig config = Farm();
  StoreView view;
  std::map<std::string, store::StatsRecord> current;
  ViewInputs in;
  Inputs() {
    in.config = &config;
    in.self = "s1";
    in.self_address = "10.0.0.1:7511";
    in.now_ms = kNow;
    in.now = mp::TimePoint{std::chrono::seconds(1000)};
    in.store = &view;
    in.current = &current;
    in.dasp_max_age = 5s;
    in.stats_lease = 3000ms;
  }
};

const snmp::ServerRow* Row(const snmp::AgentSnapshot& s, const std::string& id) {
  for (const auto& r : s.servers) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

TEST(AgentView, WithoutDabsLbdServersComeFromTheFiguresHeardAndAgeOut) {
  Inputs t;
  t.current = {{"s1", Stats("s1", 200, 10, 5)},
               {"s2", Stats("s2", 1000, 20, 7)},
               {"s3", Stats("s3", 5000, 30, 100)},
               {"s4", Stats("s4", 60000, 40, 100)}};
  t.in.heard_from = {{"s2", "10.0.0.2:40000"}};
  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  ASSERT_EQ(s.servers.size(), 4u);
  EXPECT_EQ(Row(s, "s1")->state, ServerState::kAlive);
  EXPECT_EQ(Row(s, "s2")->state, ServerState::kAlive);
  EXPECT_EQ(Row(s, "s3")->state, ServerState::kSuspect);
  EXPECT_EQ(Row(s, "s4")->state, ServerState::kGone);
  EXPECT_EQ(Row(s, "s1")->lease_remaining_ms, 2800u);
  EXPECT_EQ(Row(s, "s3")->lease_remaining_ms, 0u);
  EXPECT_EQ(Row(s, "s1")->address, "10.0.0.1:7511");
  EXPECT_EQ(Row(s, "s2")->address, "10.0.0.2:40000");
  EXPECT_EQ(Row(s, "s1")->index, 1);
  EXPECT_EQ(Row(s, "s2")->cpu_pct, 20);
  EXPECT_EQ(s.farm.servers_alive, 2u);
  EXPECT_EQ(s.farm.sessions, 5u + 7 + 100) << "gone servers do not count";
  EXPECT_EQ(s.farm.instances, 3u);
  EXPECT_EQ(s.farm.name, "headend-a");
  EXPECT_EQ(s.farm.this_server, "s1");
  EXPECT_EQ(s.farm.config_version, 4u);
}

TEST(AgentView, DabsLbdsServersDatabaseDecidesWhoIsInTheFarm) {
  Inputs t;
  store::ServerRecord s2;
  s2.id = "s2";
  s2.index = 2;
  s2.lbd = "10.0.0.2:7411";
  s2.stats = "10.0.0.2:7512";
  s2.state = "suspect";
  s2.lease_ms = 1000;
  s2.last_heard_ms = kNow - 400;
  t.view.servers = {s2};
  t.current = {{"s1", Stats("s1", 0, 10)}, {"s2", Stats("s2", 0, 55)}};
  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  ASSERT_EQ(s.servers.size(), 1u);
  EXPECT_EQ(s.servers[0].id, "s2");
  EXPECT_EQ(s.servers[0].state, ServerState::kSuspect);
  EXPECT_EQ(s.servers[0].lease_remaining_ms, 600u);
  EXPECT_EQ(s.servers[0].address, "10.0.0.2:7512");
  EXPECT_EQ(s.servers[0].cpu_pct, 55);
}

TEST(AgentView, DaspRowsTakeTheInstancesFreshFigures) {
  Inputs t;
  t.view.dasps = {Dasp(0x00100001, "calc", "ready", 3), Dasp(0x00100002, "calc", "busy", 4),
                  Dasp(0x00100003, "echo", "stopped", 0)};
  DaspFigures fresh;
  fresh.at = t.in.now - 1s;
  fresh.stats.values = {{mp::stat_tag::kSessions, 8},
                        {mp::stat_tag::kLatencyP99Ms, 31},
                        {mp::stat_tag::kLockTimeouts, 2}};
  DaspFigures stale = fresh;
  stale.at = t.in.now - 60s;
  t.in.dasp_figures = {{0x00100001, fresh}, {0x00100002, stale}};
  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  ASSERT_EQ(s.dasps.size(), 3u);
  EXPECT_EQ(s.dasps[0].sessions, 8u);
  EXPECT_EQ(s.dasps[0].latency_p99_ms, 31);
  EXPECT_EQ(s.dasps[0].lock_timeouts, 2u);
  EXPECT_EQ(s.dasps[1].sessions, 4u) << "a stale reply leaves the record's count";
  EXPECT_EQ(s.dasps[1].latency_p99_ms, 0);
  EXPECT_EQ(s.dasps[1].lock_timeouts, 2u) << "a counter stays at its last value";
  EXPECT_EQ(s.dasps[2].state, "stopped");
  ASSERT_EQ(s.apps.size(), 2u);
  EXPECT_EQ(s.apps[0].name, "calc");
  EXPECT_EQ(s.apps[0].instances, 2u);
  EXPECT_EQ(s.apps[0].sessions, 12u);
  EXPECT_EQ(s.apps[0].farm_sessions, 5000u);
  EXPECT_EQ(s.apps[0].instance_sessions, 10u);
  EXPECT_EQ(s.apps[1].instances, 0u) << "a stopped instance is not running";
}

TEST(AgentView, DabsLbdsRunningTotalsWinForApplications) {
  Inputs t;
  t.view.dasps = {Dasp(0x00100001, "calc", "ready", 3)};
  t.view.app_sessions = {{"calc", 77}};
  t.view.app_instances = {{"calc", 5}};
  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  EXPECT_EQ(s.apps[0].sessions, 77u);
  EXPECT_EQ(s.apps[0].instances, 5u);
}

}  // namespace
}  // namespace dabs::statd
