// dabsctl servers, stats, dasps, sessions and apps, run as operators run them, against stores
// filled as dabs-lbd and dabs-statd fill them.
#include <chrono>

#include <dabs/config/load.h>
#include <dabs/config/persist.h>

#include "ctl_testing.h"

namespace dabs::ctl::testing {
namespace {

int64_t Now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

store::ServerRecord Server(const std::string& id, uint16_t index, int64_t heard_ago_ms) {
  store::ServerRecord r;
  r.id = id;
  r.index = index;
  r.lbd = "10.0.0." + std::to_string(index) + ":7411";
  r.lease_ms = 1000;
  r.last_heard_ms = Now() - heard_ago_ms;
  r.load_x100 = 1234u * index;
  r.instances = index;
  r.sessions = 10u * index;
  return r;
}

store::DirectoryRecord Dasp(uint32_t va, const std::string& server, const std::string& state,
                            const std::string& app = "calculator") {
  store::DirectoryRecord d;
  d.va = va;
  d.uri = "mp://headend-a/" + app + "/" + std::to_string(va & 0xFFFFF);
  d.kind = 1;
  d.server = server;
  d.app = app;
  d.pid = static_cast<int32_t>(1000 + (va & 0xFF));
  d.state = state;
  d.sessions = 2;
  return d;
}

store::SessionRecord Session(const std::string& app, const std::string& server, uint32_t client,
                             int64_t opened_ms) {
  return {app, server, 0x00100001, client, "10.9.0.1:5000", opened_ms};
}

class Listings : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    dir_ = root_ / "state";
    fs::create_directories(dir_);
  }
  // The spec's example configuration (heartbeat 250 ms) stored as dabs-configd would.
  void StoreExampleConfig() {
    auto loaded = config::LoadFarmFile(ExampleFarm());
    ASSERT_TRUE(loaded.ok()) << loaded.error().Message();
    loaded->records.version = 1;
    ASSERT_TRUE(config::SaveConfig(StoreAt(dir_), loaded->records, "test").ok());
  }
  CtlRun Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--state-dir", dir_.string()});
    return RunCtl(args);
  }
  static json Find(const json& list, const std::string& key, const std::string& value) {
    for (const auto& item : list) {
      if (item[key] == value) return item;
    }
    return nullptr;
  }

  fs::path dir_;
};

TEST_F(Listings, ServersGivesTheContractKeysAndDerivesSuspectAndGoneFromTimes) {
  StoreExampleConfig();
  store::ServerRecord self = Server("s1", 1, 0);
  self.self = true;
  PutServer(dir_, self);
  PutServer(dir_, Server("s2", 2, 700));   // missed two heartbeats of 250 ms
  PutServer(dir_, Server("s3", 3, 5000));  // says alive, but its lease ran out long ago
  const CtlRun r = Ctl({"servers", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = r.Json();
  ASSERT_TRUE(doc.is_object()) << r.out;
  ASSERT_EQ(doc["servers"].size(), 3u);
  for (const auto& s : doc["servers"]) {
    for (const char* key :
         {"id", "index", "address", "state", "load", "instances", "sessions", "lease_ms_left"}) {
      EXPECT_TRUE(s.contains(key)) << key;
    }
  }
  const json s1 = Find(doc["servers"], "id", "s1");
  EXPECT_EQ(s1["state"], "alive");
  EXPECT_EQ(s1["address"], "10.0.0.1");
  EXPECT_DOUBLE_EQ(s1["load"].get<double>(), 12.34);
  EXPECT_EQ(s1["instances"], 1);
  EXPECT_EQ(s1["sessions"], 10);
  EXPECT_GT(s1["lease_ms_left"].get<int64_t>(), 500);
  EXPECT_LE(s1["lease_ms_left"].get<int64_t>(), 1000);
  EXPECT_EQ(Find(doc["servers"], "id", "s2")["state"], "suspect");
  const json s3 = Find(doc["servers"], "id", "s3");
  EXPECT_EQ(s3["state"], "gone");
  EXPECT_EQ(s3["lease_ms_left"], 0);
  EXPECT_EQ(r.err, "");
}

TEST_F(Listings, SilenceIsJudgedByTheConfiguredHeartbeat) {
  // No configuration in the store: the --farm file's heartbeat of 1 s is used, so 700 ms of
  // silence is not two missed heartbeats.
  const fs::path farm = WriteFarm(R"(farm:
  name: f
  group: 239.1.1.1:7400
  stats_group: 239.1.1.2:7400
  config_group: 239.1.1.3:7400
  heartbeat_ms: 1000
  lease_ms: 5000
)");
  store::ServerRecord s2 = Server("s2", 2, 700);
  s2.lease_ms = 5000;
  PutServer(dir_, s2);
  const CtlRun r = Ctl({"--farm", farm.string(), "servers", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["servers"][0]["state"], "alive");
  const CtlRun defaulted = Ctl({"servers", "--json"});  // no configuration: 250 ms
  EXPECT_EQ(defaulted.Json()["servers"][0]["state"], "suspect");
}

TEST_F(Listings, HumansGetAHeaderAndAlignedColumns) {
  store::ServerRecord self = Server("s1", 1, 0);
  self.self = true;
  PutServer(dir_, self);
  PutServer(dir_, Server("s2", 2, 0));
  const CtlRun r = Ctl({"servers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header.rfind("ID", 0), 0u) << r.out;
  EXPECT_NE(first.find("s1 (self)"), std::string::npos) << r.out;
  // Every row's STATE column starts where the header's does.
  const auto column = header.find("STATE");
  EXPECT_EQ(first.substr(column, 5), "alive") << r.out;
  EXPECT_EQ(second.substr(column, 5), "alive") << r.out;
}

TEST_F(Listings, StatsGivesEachServersFiguresAndNullForMissingOnes) {
  store::StatsRecord a{"s1",
                       1,
                       Now(),
                       {{"cpu_pct", 12.5},
                        {"memory_pct", 40},
                        {"net_pct", 1.5},
                        {"load", 22},
                        {"latency_p99_ms", 3.25}}};
  store::StatsRecord b{"s2", 2, Now(), {{"cpu_pct", 80}}};
  Put(dir_, store::Database::kStatistics, "current/s1", store::ToJson(a));
  Put(dir_, store::Database::kStatistics, "current/s2", store::ToJson(b));
  // History is not current.
  Put(dir_, store::Database::kStatistics, store::HistoryKey("s1", 5), store::ToJson(b));
  const CtlRun r = Ctl({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = r.Json()["servers"];
  ASSERT_EQ(list.size(), 2u);
  const json s1 = Find(list, "id", "s1");
  EXPECT_DOUBLE_EQ(s1["cpu_pct"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(s1["memory_pct"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(s1["net_pct"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(s1["load"].get<double>(), 22);
  EXPECT_DOUBLE_EQ(s1["latency_p99_ms"].get<double>(), 3.25);
  EXPECT_TRUE(Find(list, "id", "s2")["memory_pct"].is_null());
  const CtlRun table = Ctl({"stats"});
  EXPECT_NE(table.out.find("CPU %"), std::string::npos) << table.out;
}

TEST_F(Listings, DaspsListsInstancesFarmWideWithLocalRestartsMerged) {
  PutDirectory(dir_, Dasp(0x00100001, "s1", "ready"));
  PutDirectory(dir_, Dasp(0x00200001, "s2", "busy", "echo"));
  store::DirectoryRecord client;
  client.va = 0x00100400;
  client.kind = 2;  // a client: not a DASP
  PutDirectory(dir_, client);
  store::DaspRecord local;
  local.va = 0x00100001;
  local.restarts = 2;
  local.process = "calculator-1";
  Put(dir_, store::Database::kDasps, store::VaKey(local.va), store::ToJson(local));
  const CtlRun r = Ctl({"dasps", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = r.Json()["dasps"];
  ASSERT_EQ(list.size(), 2u) << r.out;
  for (const auto& d : list) {
    for (const char* key : {"va", "uri", "app", "server", "pid", "state", "sessions"}) {
      EXPECT_TRUE(d.contains(key)) << key;
    }
  }
  EXPECT_EQ(list[0]["va"], "0x00100001");
  EXPECT_EQ(list[0]["va_number"], 0x00100001);
  EXPECT_EQ(list[0]["uri"], "mp://headend-a/calculator/1");
  EXPECT_EQ(list[0]["pid"], 1001);
  EXPECT_EQ(list[0]["restarts"], 2);
  EXPECT_EQ(list[1]["server"], "s2");
  EXPECT_TRUE(list[1]["restarts"].is_null());  // another server's: not known here
  const CtlRun on_s2 = Ctl({"dasps", "--json", "--on", "s2"});
  ASSERT_EQ(on_s2.Json()["dasps"].size(), 1u);
  EXPECT_EQ(on_s2.Json()["dasps"][0]["app"], "echo");
  EXPECT_EQ(Ctl({"dasps", "--json", "--app", "calculator"}).Json()["dasps"].size(), 1u);
  EXPECT_EQ(Ctl({"dasps", "--json", "--state", "busy"}).Json()["dasps"][0]["server"], "s2");
}

TEST_F(Listings, SessionsGivesTheContractKeysWithIsoTimesAndFilters) {
  Put(dir_, store::Database::kDirectory, "session/0x00100400",
      store::ToJson(Session("calculator", "s1", 0x00100400, 1'700'000'000'123)));
  Put(dir_, store::Database::kDirectory, "session/0x00200400",
      store::ToJson(Session("echo", "s2", 0x00200400, 1'700'000'001'000)));
  const CtlRun r = Ctl({"sessions", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = r.Json()["sessions"];
  ASSERT_EQ(list.size(), 2u);
  const json& s = list[0];
  EXPECT_EQ(s["app"], "calculator");
  EXPECT_EQ(s["server"], "s1");
  EXPECT_EQ(s["dasp_va"], "0x00100001");
  EXPECT_EQ(s["client_va"], "0x00100400");
  EXPECT_EQ(s["client_endpoint"], "10.9.0.1:5000");
  EXPECT_EQ(s["opened_at"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(Ctl({"sessions", "--json", "--app", "echo"}).Json()["sessions"].size(), 1u);
  const json on_s1 = Ctl({"sessions", "--on", "s1", "--json"}).Json()["sessions"];
  ASSERT_EQ(on_s1.size(), 1u);
  EXPECT_EQ(on_s1[0]["app"], "calculator");
  EXPECT_EQ(Ctl({"sessions", "--json", "--on", "s9"}).Json()["sessions"].size(), 0u);
}

TEST_F(Listings, DecisionsShowTheNewestWithTheirBallots) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    store::DecisionRecord d{
        "10.9.0.1:5000/" + std::to_string(seq) + "/1/ab",
        seq == 3 ? "nope" : "echo",
        1'700'000'000'000 + static_cast<int64_t>(seq),
        120,
        true,
        seq == 3 ? "" : "s2",
        seq == 3 ? "unknown application" : "placed",
        {{"s1", 1, seq == 3 ? 0u : 9u, 10, true, seq == 3 ? "unknown application" : ""},
         {"s2", 2, seq == 3 ? 0u : 10u, 11, true, seq == 3 ? "unknown application" : ""}}};
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i)
      key[static_cast<size_t>(i)] = static_cast<char>((seq >> (56 - 8 * i)) & 0xFF);
    Put(dir_, store::Database::kPlacement, key, store::ToJson(d));
  }
  const json all = Ctl({"decisions", "--json"}).Json()["decisions"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2]["outcome"], "unknown application");  // newest last
  EXPECT_EQ(all[0]["winner"], "s2");
  ASSERT_EQ(all[0]["ballots"].size(), 2u);
  EXPECT_EQ(all[0]["ballots"][1]["votes"], 10);
  const json last_echo =
      Ctl({"decisions", "--json", "--app", "echo", "--last", "1"}).Json()["decisions"];
  ASSERT_EQ(last_echo.size(), 1u);
  EXPECT_EQ(last_echo[0]["request_key"], "10.9.0.1:5000/2/1/ab");
  const CtlRun table = Ctl({"decisions"});
  EXPECT_NE(table.out.find("s1=9i s2=10i"), std::string::npos) << table.out;
}

TEST_F(Listings, MovesShowWhyWhereAndThePauseBesideTheDecisions) {
  // A decision and two moves share the placement database: each listing reads its own.
  store::DecisionRecord d{"10.9.0.1:5000/1/1/ab", "echo", 1'700'000'000'000, 1, true, "s1",
                          "placed", {}};
  Put(dir_, store::Database::kPlacement, std::string(7, '\0') + "\x01", store::ToJson(d));
  for (uint64_t seq = 2; seq <= 3; ++seq) {
    store::MoveRecord m;
    m.seq = seq;
    m.at_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
    m.client_va = 0x00100400 + static_cast<uint32_t>(seq);
    m.app = "counter";
    m.from = "s1";
    m.to = seq == 2 ? "s2" : "s3";
    m.why = "backlog";
    m.from_load_x100 = 8000;
    m.to_load_x100 = 1200;
    m.from_sessions = 9;
    m.to_sessions = 3;
    m.pause_us = 4'200;
    m.outcome = seq == 2 ? "moved" : "the sink did not take it: no_capacity";
    std::string key = "m" + std::string(8, '\0');
    key[8] = static_cast<char>(seq);
    Put(dir_, store::Database::kPlacement, key, store::ToJson(m));
  }
  const json moves = Ctl({"moves", "--json"}).Json()["moves"];
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0]["client_va"], "0x00100402");
  EXPECT_EQ(moves[0]["to"], "s2");
  EXPECT_EQ(moves[0]["why"], "backlog");
  EXPECT_EQ(moves[0]["pause_us"], 4200);
  EXPECT_EQ(moves[0]["from_load"], 80.0);
  EXPECT_EQ(moves[1]["outcome"], "the sink did not take it: no_capacity");  // newest last
  EXPECT_EQ(Ctl({"moves", "--json", "--last", "1"}).Json()["moves"].size(), 1u);
  EXPECT_EQ(Ctl({"decisions", "--json"}).Json()["decisions"].size(), 1u);
  const CtlRun table = Ctl({"moves"});
  EXPECT_NE(table.out.find("80.00/9 -> 12.00/3"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("4 ms"), std::string::npos) << table.out;
}

TEST_F(Listings, AppsComeFromTheConfigurationWithCountedInstancesAndSessions) {
  StoreExampleConfig();
  PutDirectory(dir_, Dasp(0x00100001, "s1", "ready"));
  PutDirectory(dir_, Dasp(0x00100002, "s1", "stopped"));  // not running: not counted
  PutDirectory(dir_, Dasp(0x00200001, "s2", "busy"));
  for (uint32_t c = 0; c < 3; ++c) {
    Put(dir_, store::Database::kDirectory, "session/" + store::VaKey(0x00100400 + c),
        store::ToJson(Session("calculator", "s1", 0x00100400 + c, Now())));
  }
  const CtlRun r = Ctl({"apps", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = r.Json()["apps"];
  ASSERT_EQ(list.size(), 1u) << r.out;
  const json& calc = list[0];
  EXPECT_EQ(calc["name"], "calculator");
  EXPECT_EQ(calc["start_at_init"], 1);
  EXPECT_EQ(calc["servers"], json::array());
  EXPECT_EQ(calc["limits"]["farm"]["instances"], 16);
  EXPECT_EQ(calc["limits"]["farm"]["sessions"], 10000);
  EXPECT_EQ(calc["limits"]["instance"]["sessions"], 1000);
  EXPECT_EQ(calc["instances"], 2);
  EXPECT_EQ(calc["sessions"], 3);
  EXPECT_NE(calc["dasp"].get<std::string>().find("calculator-dasp"), std::string::npos);
}

TEST_F(Listings, AppsWithoutAnyConfigurationSayWhatToGive) {
  PutServer(dir_, Server("s1", 1, 0));
  const CtlRun r = Ctl({"apps", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no configuration stored in"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--farm"), std::string::npos) << r.err;
  // The file serves until dabs stored one.
  const CtlRun with_file = Ctl({"apps", "--json", "--farm", ExampleFarm().string()});
  ASSERT_EQ(with_file.exit_code, 0) << with_file.err;
  EXPECT_EQ(with_file.Json()["apps"][0]["name"], "calculator");
}

TEST_F(Listings, AFarmDirectoryUsesTheServerAskedForElseTheFirst) {
  const fs::path farm = root_ / "farm";
  for (const char* id : {"s2", "s1"}) {
    store::ServerRecord self = Server(id, id == std::string("s1") ? 1 : 2, 0);
    self.self = true;
    PutServer(farm / id, self);
  }
  fs::create_directories(farm / "logs");  // not a server
  const CtlRun first = RunCtl({"--state-dir", farm.string(), "servers", "--json", "--verbose"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.Json()["seen_from"], "s1") << first.out;  // stdout stays one document
  EXPECT_NE(first.err.find("using s1"), std::string::npos) << first.err;
  const CtlRun quiet = RunCtl({"--state-dir", farm.string(), "servers", "--json"});
  EXPECT_EQ(quiet.err, "");
  const CtlRun second =
      RunCtl({"servers", "--state-dir", farm.string(), "--server", "s2", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.Json()["seen_from"], "s2");
  const CtlRun missing = RunCtl({"servers", "--state-dir", farm.string(), "--server", "s7"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no store for server s7"), std::string::npos) << missing.err;
}

TEST_F(Listings, TheStateDirectoryDefaultsToDabsStateDir) {
  PutServer(dir_, Server("s1", 1, 0));
  const CtlRun r = RunCtl({"servers", "--json"}, "", {"DABS_STATE_DIR=" + dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["servers"][0]["id"], "s1");
}

TEST_F(Listings, NoStoreIsOneClearLineAndAFailure) {
  const CtlRun r = RunCtl({"--state-dir", (root_ / "empty").string(), "servers", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "dabsctl: no store in " + (root_ / "empty").string() +
                       " (is dabs running? see --state-dir)\n");
  EXPECT_FALSE(fs::exists(root_ / "empty" / "store"));  // and none was made
}

TEST_F(Listings, BadArgumentsAreOneLineAndExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"bogus"}, {"servers", "--nope"}, {}, {"shutdown", "0x1"}}) {
    const CtlRun r = RunCtl(args);
    EXPECT_EQ(r.exit_code, 2) << args.size();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("dabsctl: ", 0), 0u) << r.err;
  }
  const CtlRun help = RunCtl({"sessions", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--on"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace dabs::ctl::testing
