#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include <dabs/snmp/rows.h>
#include <dabs/statd/agent_view.h>
#include <dabs/statd/server_figures.h>
#include <dabs/store/store.h>

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

store::MoveRecord MoveRecord(uint64_t seq, std::string outcome) {
  store::MoveRecord m;
  m.seq = seq;
  m.at_ms = kNow - 1000;
  m.client_va = 0x00100400 + static_cast<uint32_t>(seq);
  m.app = "calc";
  m.from = "s1";
  m.to = "s2";
  m.why = "backlog";
  m.from_load_x100 = 8100;
  m.to_load_x100 = 2200;
  m.pause_us = 1800;
  m.state_bytes = 512;
  m.outcome = std::move(outcome);
  return m;
}

// dabs-lbd's record, as runtime/farm/lbd/moves.cc writes it.
std::string MovesRecord(uint64_t out, uint64_t in, uint64_t failures,
                        const std::vector<store::MoveRecord>& recent) {
  std::string list;
  for (const auto& m : recent)
    list += (list.empty() ? "" : ",") + store::ToJson(m);
  return "{\"moves_out\": " + std::to_string(out) + ", \"moves_in\": " + std::to_string(in) +
         ", \"move_failures\": " + std::to_string(failures) + ", \"recent\": [" + list + "]}";
}

TEST(AgentView, DabsLbdsMovesRecordGivesTheMoveCountersAndItsRecentMoves) {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "statd-view-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  Inputs t;
  {
    auto opened = store::Store::Open(fs::path(dir) / "store");
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
    auto& db = **opened;
    const std::string record = MovesRecord(
        2, 5, 1,
        {MoveRecord(7, "moved"), MoveRecord(9, "the sink refused: full"), MoveRecord(12, "moved")});
    ASSERT_TRUE(db.Write([&](store::WriteTxn& txn) {
                    return txn.Put(store::Database::kStatistics, kMovesKey, record);
                  }).ok());
    ASSERT_TRUE(db.Read([&](const store::ReadTxn& txn) -> Status {
                    auto view = ReadStoreView(txn);
                    if (!view) return view.error();
                    t.view = std::move(*view);
                    return Status::Ok();
                  }).ok());
  }
  fs::remove_all(dir);

  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  const auto scalars = snmp::FarmScalarValues(s.farm);
  EXPECT_EQ(scalars.at(snmp::farm_scalar::kSessionMovesOut), snmp::Value::Counter(2));
  EXPECT_EQ(scalars.at(snmp::farm_scalar::kSessionMovesIn), snmp::Value::Counter(5));
  EXPECT_EQ(scalars.at(snmp::farm_scalar::kSessionMoveFailures), snmp::Value::Counter(1));
  ASSERT_EQ(s.moves.size(), 3u);
  EXPECT_EQ(s.moves[0].seq, 7u);
  EXPECT_EQ(s.moves[0].client_va, 0x00100407u);
  EXPECT_EQ(s.moves[0].app, "calc");
  EXPECT_EQ(s.moves[0].from, "s1");
  EXPECT_EQ(s.moves[0].to, "s2");
  EXPECT_EQ(s.moves[0].why, "backlog");
  EXPECT_EQ(s.moves[0].pause_us, 1800u);
  EXPECT_EQ(s.moves[1].outcome, "the sink refused: full");
  EXPECT_EQ(s.moves[2].seq, 12u);
  EXPECT_EQ(snmp::MoveRows(s.moves).size(), 3u);
}

TEST(AgentView, WithoutAMovesRecordTheCountersReadZero) {
  Inputs t;
  const snmp::AgentSnapshot s = BuildAgentSnapshot(t.in);
  const auto scalars = snmp::FarmScalarValues(s.farm);
  EXPECT_EQ(scalars.at(snmp::farm_scalar::kSessionMovesOut), snmp::Value::Counter(0));
  EXPECT_EQ(scalars.at(snmp::farm_scalar::kSessionMoveFailures), snmp::Value::Counter(0));
  EXPECT_TRUE(s.moves.empty());
}

TEST(AgentView, AnOddMovesRecordIsReadAsFarAsItMakesSense) {
  StoreView view;
  ReadMovesRecord("not json", view);
  EXPECT_EQ(view.session_moves_out, 0u);
  // A mistyped counter reads 0; an undecodable move is skipped.
  ReadMovesRecord(R"({"moves_out": "many", "moves_in": 3, "move_failures": -1,
                      "recent": [{"seq": "x"}, {"seq": 4, "outcome": "moved"}, 17]})",
                  view);
  EXPECT_EQ(view.session_moves_out, 0u);
  EXPECT_EQ(view.session_moves_in, 3u);
  EXPECT_EQ(view.session_move_failures, 0u);
  ASSERT_EQ(view.recent_moves.size(), 1u);
  EXPECT_EQ(view.recent_moves[0].seq, 4u);
  // A list longer than kMaxRecentMoves keeps its newest (last) moves.
  std::vector<store::MoveRecord> many;
  for (uint64_t i = 1; i <= kMaxRecentMoves + 5; ++i)
    many.push_back(MoveRecord(i, "moved"));
  ReadMovesRecord(MovesRecord(0, 0, 0, many), view);
  ASSERT_EQ(view.recent_moves.size(), kMaxRecentMoves);
  EXPECT_EQ(view.recent_moves.front().seq, 6u);
  EXPECT_EQ(view.recent_moves.back().seq, kMaxRecentMoves + 5);
}

}  // namespace
}  // namespace dabs::statd
