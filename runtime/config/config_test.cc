#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include <dabs/config/adopt.h>
#include <dabs/config/consistency.h>
#include <dabs/config/edit.h>
#include <dabs/config/farm.h>
#include <dabs/config/load.h>
#include <dabs/config/persist.h>

namespace dabs::config {
namespace {

namespace fs = std::filesystem;

// The farm file of docs/spec/config.md, exactly as written there.
std::string SpecExample() {
  std::ifstream in(DABS_EXAMPLE_FARM);
  std::stringstream s;
  s << in.rdbuf();
  const std::string doc = s.str();
  const auto start = doc.find("```yaml\n") + 8;
  return doc.substr(start, doc.find("```", start) - start);
}

// A directory holding what the example refers to: ../build/bin/calculator-dasp, farm.key.
class FarmDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("dabs-config-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "build" / "bin");
    std::ofstream(root_ / "build" / "bin" / "calculator-dasp") << "#!/bin/sh\n";
    fs::permissions(root_ / "build" / "bin" / "calculator-dasp", fs::perms::owner_all);
    std::ofstream(root_ / "etc" / "farm.key") << "key\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<LoadResult> Load(const std::string& text, std::vector<Problem>* problems = nullptr) {
    std::ofstream(root_ / "etc" / "farm.yaml") << text;
    return LoadFarmFile(root_ / "etc" / "farm.yaml", problems);
  }
  // The one problem a text gives, as "line:column: message".
  std::string OnlyProblem(const std::string& text) {
    std::vector<Problem> p;
    auto r = Load(text, &p);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(p.size(), 1u) << (p.size() > 1 ? p[1].ToString() : "");
    if (p.empty()) return "";
    const std::string w = p[0].where;
    return w.substr(w.find("farm.yaml") + 9 + (w.size() > w.find("farm.yaml") + 9 ? 1 : 0)) + ": " +
           p[0].message;
  }

  fs::path root_;
};

const char* kMinimal = R"(farm:
  name: f
  group: 239.1.1.1:7400
  stats_group: 239.1.1.2:7400
  config_group: 239.1.1.3:7400
)";

TEST_F(FarmDir, TheSpecsExampleLoadsWithEveryValue) {
  auto r = Load(SpecExample());
  ASSERT_TRUE(r.ok()) << r.error().Message();
  auto f = Build(r->records);
  ASSERT_TRUE(f.ok()) << f.error().Message();
  EXPECT_EQ(f->name, "headend-a");
  EXPECT_EQ(f->group.ToString(), "239.192.10.1:7400");
  EXPECT_EQ(f->heartbeat, std::chrono::milliseconds(250));
  EXPECT_EQ(f->lease, std::chrono::milliseconds(1000));
  EXPECT_EQ(f->policy, "vote");
  EXPECT_EQ(f->min_free_memory_mb, 64u);
  EXPECT_EQ(f->high_water_ms, 250u);
  EXPECT_EQ(f->max_message_bytes, 1048576u);
  ASSERT_EQ(f->servers.size(), 1u);
  EXPECT_EQ(f->servers[0].id, "s1");
  EXPECT_EQ(f->servers[0].index, 1);
  EXPECT_EQ(f->servers[0].stats_port, 7511);
  const AppEntry* calc = f->App("calculator");
  ASSERT_NE(calc, nullptr);
  EXPECT_EQ(calc->dasp,
            (root_ / "build" / "bin" / "calculator-dasp").string());  // relative to the file
  EXPECT_EQ(calc->start_at_init, 1u);
  EXPECT_EQ(calc->encryption, "offered");
  EXPECT_EQ(calc->instances_per_process, 4u);
  EXPECT_EQ(calc->limits.farm_sessions, 10000u);
  EXPECT_EQ(calc->limits.instance_sessions, 1000u);
  EXPECT_EQ(calc->timers.backlog_reads, 64u);
  EXPECT_TRUE(calc->RunsOn("s7"));  // no sub-group: every server
  ASSERT_EQ(f->users.size(), 2u);
  EXPECT_EQ(f->users[1].apps, std::vector<std::string>{"calculator"});
}

TEST_F(FarmDir, DefaultsFillWhatTheFileLeavesOut) {
  auto r = Load(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().Message();
  auto f = Build(r->records).value();
  EXPECT_EQ(f.heartbeat, std::chrono::milliseconds(250));
  EXPECT_EQ(f.ballot_window, std::chrono::milliseconds(10));
  EXPECT_EQ(f.max_transmissions, 6);
  EXPECT_EQ(f.agentx_socket, "tcp:127.0.0.1:705");
}

TEST_F(FarmDir, AnUnknownKeyIsRefusedWithWhereAndWhatWasExpected) {
  const std::string p = OnlyProblem(std::string(kMinimal) + "  hearbeat_ms: 200\n");
  EXPECT_EQ(p.substr(0, 5), "6:16:") << p;
  EXPECT_NE(p.find("unknown key 'hearbeat_ms' in 'farm'"), std::string::npos) << p;
  EXPECT_NE(p.find("heartbeat_ms"), std::string::npos) << p;  // what is there instead
}

TEST_F(FarmDir, WrongTypesAndRangesAreRefusedWithWhereAndWhy) {
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "  heartbeat_ms: fast\n"),
            "6:17: farm.heartbeat_ms: expected a whole number, got 'fast'");
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "  heartbeat_ms: 5\n"),
            "6:17: farm.heartbeat_ms: expected 10 to 60000, got 5");
  // yaml-cpp reads `yes` as true; for a number it is still not a number.
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "  heartbeat_ms: yes\n"),
            "6:17: farm.heartbeat_ms: expected a whole number, got 'yes'");
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "placement:\n  policy: best\n"),
            "7:11: placement.policy: expected one of vote | round-robin | random | two-choices | "
            "least-loaded, got 'best'");
  const std::string not_group = OnlyProblem(R"(farm:
  name: f
  group: 10.0.0.1:7400
  stats_group: 239.1.1.2:7400
  config_group: 239.1.1.3:7400
)");
  EXPECT_NE(not_group.find("3:10: farm.group: expected an IPv4 multicast group"), std::string::npos)
      << not_group;
}

// A NUL ("\0" in YAML, raw in CONFIG_SYNC) passed the checks, and inet_pton or exec then saw
// only what came before it (found by tests/fuzz/fuzz_config_sync).
TEST_F(FarmDir, AValueWithANulByteIsRefused) {
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "  interface: \"127.0.0.1\\0junk\"\n"),
            "6:14: farm.interface: expected a value without a NUL byte");
  EXPECT_FALSE(Normalise(*FindKey("apps[calc].dasp"), std::string("/bin/sh\0x", 9)).ok());
  EXPECT_FALSE(Normalise(*FindKey("apps[calc].args"), R"(["-v", "a\u0000b"])").ok());
  EXPECT_TRUE(Normalise(*FindKey("apps[calc].args"), R"(["-v", "a b"])").ok());
}

// yaml-cpp passes on bytes that are not UTF-8 (a Latin-1 file): a list of them made the loader
// throw nlohmann's type_error out of LoadFarmFile, and a single value of them was accepted,
// to throw later wherever it was written as JSON (found by tests/fuzz/fuzz_farm_file).
TEST_F(FarmDir, TextThatIsNotUtf8IsRefusedNotThrown) {
  const std::string app = "apps:\n  - name: calc\n    dasp: ../build/bin/calculator-dasp\n";
  std::string p;
  ASSERT_NO_THROW(p = OnlyProblem(std::string(kMinimal) + app + "    args: [caf\xe9]\n"));
  EXPECT_EQ(p, "9:11: apps[calc].args: expected UTF-8 text");
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "snmp:\n  agentx_socket: caf\xe9\n"),
            "7:18: snmp.agentx_socket: expected UTF-8 text");
  EXPECT_TRUE(Load(std::string(kMinimal) + "snmp:\n  agentx_socket: caf\xc3\xa9\n").ok());
}

// Normalise kept 1e-310 (from_chars reads it) but the typed view and the export read values
// with std::stod, which refuses a subnormal: the file loaded, and then Build failed and
// ExportYaml threw (found by review while writing tests/fuzz/fuzz_farm_file).
TEST_F(FarmDir, ASubnormalNumberReadsAsZero) {
  EXPECT_EQ(Normalise(*FindKey("placement.min_free.cpu_pct"), "1e-310").value(), "0");
  auto loaded = Load(std::string(kMinimal) + "placement:\n  min_free: {cpu_pct: 1e-310}\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().Message();
  EXPECT_TRUE(Build(loaded->records).ok());
  EXPECT_NO_THROW((void)ExportYaml(loaded->records));
}

TEST_F(FarmDir, ADuplicateKeyOrListItemIsRefused) {
  EXPECT_EQ(OnlyProblem(std::string(kMinimal) + "  name: g\n"), "6:3: 'name' is given twice");
  const std::string p = OnlyProblem(std::string(kMinimal) + R"(servers:
  - id: s1
  - id: s1
)");
  EXPECT_EQ(p, "8:9: servers 's1' is given twice");
}

TEST_F(FarmDir, AMissingRequiredKeyIsRefused) {
  std::vector<Problem> p;
  EXPECT_FALSE(Load("farm:\n  name: f\n", &p).ok());
  ASSERT_EQ(p.size(), 3u);                             // the three groups
  EXPECT_EQ(p[0].message, "farm.group: is required");  // in the order of the key table
}

TEST_F(FarmDir, BrokenYamlIsRefusedWithItsPosition) {
  std::vector<Problem> p;
  EXPECT_FALSE(Load("farm:\n  name: [unclosed\n", &p).ok());
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].where.find("farm.yaml:"), std::string::npos);
}

TEST_F(FarmDir, ConsistencyProblemsPointAtTheLineTheyComeFrom) {
  const std::string p = OnlyProblem(std::string(kMinimal) + R"(latency:
  high_water_ms: 100
  low_water_ms: 100
)");
  EXPECT_EQ(p, "8:17: latency.low_water_ms: must be below latency.high_water_ms (100)");
  const std::string limits = OnlyProblem(std::string(kMinimal) + R"(apps:
  - name: calc
    dasp: ../build/bin/calculator-dasp
    limits:
      farm: {sessions: 100}
      instance: {sessions: 500}
)");
  EXPECT_EQ(limits, "11:28: apps[calc].limits.instance.sessions: exceeds the farm limit of 100");
}

TEST_F(FarmDir, EveryProblemIsListedNotOnlyTheFirst) {
  std::vector<Problem> p;
  EXPECT_FALSE(Load(std::string(kMinimal) +
                        "  heartbeat_ms: x\n  lease_ms: y\nmp:\n  max_transmissions: 0\n",
                    &p)
                   .ok());
  EXPECT_EQ(p.size(), 3u);
}

TEST_F(FarmDir, AnEncryptedAppWithoutTheFarmsIdentityKeyIsRefused) {
  const std::string app = "apps:\n  - name: calc\n    dasp: ../build/bin/calculator-dasp\n";
  const std::string p = OnlyProblem(std::string(kMinimal) + app + "    encryption: required\n");
  EXPECT_NE(p.find("apps[calc].encryption: is required, which needs farm.identity_key"),
            std::string::npos)
      << p;
  EXPECT_NE(OnlyProblem(std::string(kMinimal) + app + "    encryption: offered\n").find("offered"),
            std::string::npos);
  // With the key, or with encryption off, the same file loads.
  EXPECT_TRUE(Load(std::string(kMinimal) + app + "    encryption: off\n").ok());
  EXPECT_TRUE(Load(std::string(kMinimal) + "  identity_key: farm.key\n" + app +
                   "    encryption: required\n")
                  .ok());
}

TEST_F(FarmDir, AMissingDaspExecutableStopsTheLoad) {
  const std::string p =
      OnlyProblem(std::string(kMinimal) + "apps:\n  - name: ghost\n    dasp: nowhere/ghost-dasp\n");
  EXPECT_NE(p.find("8:11: apps[ghost].dasp: no executable at"), std::string::npos) << p;
}

TEST_F(FarmDir, ExportThenLoadGivesTheSameRecords) {
  auto r = Load(SpecExample());
  ASSERT_TRUE(r.ok());
  const std::string yaml = ExportYaml(r->records);
  std::ofstream(root_ / "etc" / "exported.yaml") << yaml;
  auto again = LoadFarmFile(root_ / "etc" / "exported.yaml");
  ASSERT_TRUE(again.ok()) << again.error().Message() << "\n" << yaml;
  EXPECT_EQ(again->records.values, r->records.values);
}

TEST_F(FarmDir, ChangesAreCheckedForTypeRoleAndConsistencyAndBumpTheVersion) {
  auto r = Load(SpecExample()).value().records;
  const Actor admin{"admin", "farm-admin", {}};
  const Actor calc{"calc", "app-admin", {"calculator"}};
  const Actor viewer{"eve", "viewer", {}};
  auto ok = Apply(r, {{"apps[calculator].limits.instance.sessions", "800"}}, calc, "s1");
  ASSERT_TRUE(ok.ok()) << ok.error().Message();
  EXPECT_EQ(ok->version, r.version + 1);
  EXPECT_EQ(ok->origin, "s1");
  EXPECT_EQ(ok->values.at("apps[calculator].limits.instance.sessions"), "800");
  // An app-admin may not touch the farm operator's limit, nor farm keys; a viewer nothing.
  EXPECT_FALSE(Apply(r, {{"apps[calculator].limits.farm.sessions", "5"}}, calc, "s1").ok());
  EXPECT_FALSE(Apply(r, {{"farm.heartbeat_ms", "300"}}, calc, "s1").ok());
  EXPECT_FALSE(Apply(r, {{"farm.heartbeat_ms", "300"}}, viewer, "s1").ok());
  // A bad value, and a change that breaks the two levels of limits, change nothing.
  std::vector<Problem> p;
  EXPECT_FALSE(Apply(r, {{"farm.heartbeat_ms", "fast"}}, admin, "s1", &p).ok());
  EXPECT_EQ(p.at(0).where, "farm.heartbeat_ms");
  EXPECT_FALSE(Apply(r, {{"apps[calculator].limits.farm.sessions", "10"}}, admin, "s1").ok());
  // Removing an application's id removes all of it (and its admin's list must follow).
  auto gone =
      Apply(r, {{"apps[calculator].name", std::nullopt}, {"users[calc].name", std::nullopt}}, admin,
            "s1");
  ASSERT_TRUE(gone.ok()) << gone.error().Message();
  EXPECT_TRUE(gone->Items("apps").empty());
}

TEST_F(FarmDir, AStoredConfigurationComesBackWhole) {
  auto r = Load(SpecExample()).value().records;
  r.version = 7;
  r.origin = "s2";
  auto store = store::Store::Open(root_ / "store").value();
  ASSERT_TRUE(SaveConfig(*store, r, "test").ok());
  auto back = LoadConfig(*store);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, r);
}

TEST_F(FarmDir, TheFarmFileIsImportedOnceThenTheStoreRulesUntilTheFileChanges) {
  std::ofstream(root_ / "etc" / "farm.yaml") << SpecExample();
  auto store = store::Store::Open(root_ / "store").value();
  auto first = AdoptFarmFile(*store, root_ / "etc" / "farm.yaml", "s1");
  ASSERT_TRUE(first.ok()) << first.error().Message();
  EXPECT_TRUE(first->imported);
  EXPECT_EQ(first->records.version, 1u);
  EXPECT_EQ(first->records.origin, "s1");

  // A change made through the store (dabs-configd, dabsctl) survives a restart with the same
  // file, even one that only differs in comments.
  Records changed = first->records;
  changed.values["farm.heartbeat_ms"] = "300";
  changed.version = 2;
  ASSERT_TRUE(SaveConfig(*store, changed, "admin").ok());
  std::ofstream(root_ / "etc" / "farm.yaml") << "# edited comment only\n" << SpecExample();
  auto again = AdoptFarmFile(*store, root_ / "etc" / "farm.yaml", "s1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->imported);
  EXPECT_EQ(again->records.version, 2u);
  EXPECT_EQ(again->records.values.at("farm.heartbeat_ms"), "300");

  // An edit of the file is imported as the next version.
  std::string text = SpecExample();
  text.replace(text.find("heartbeat_ms: 250"), 17, "heartbeat_ms: 200");
  std::ofstream(root_ / "etc" / "farm.yaml") << text;
  auto edited = AdoptFarmFile(*store, root_ / "etc" / "farm.yaml", "s1");
  ASSERT_TRUE(edited.ok());
  EXPECT_TRUE(edited->imported);
  EXPECT_EQ(edited->records.version, 3u);
  EXPECT_EQ(edited->records.values.at("farm.heartbeat_ms"), "200");
  EXPECT_EQ(StoredConfigVersion(*store).value(), 3u);

  // A bad file starts nothing and leaves the store alone.
  std::ofstream(root_ / "etc" / "farm.yaml") << "farm: {name: x, bogus: 1}\n";
  std::vector<Problem> problems;
  EXPECT_FALSE(AdoptFarmFile(*store, root_ / "etc" / "farm.yaml", "s1", &problems).ok());
  EXPECT_FALSE(problems.empty());
  EXPECT_EQ(StoredConfigVersion(*store).value(), 3u);
}

TEST(ConfigSync, RoundTripsAndTheNewestVersionWins) {
  Records r;
  r.values = {{"farm.name", "f"}, {"apps[a].args", R"(["-v","x y"])"}};
  r.version = 12;
  r.origin = "s3";
  auto back = DecodeConfigSync(EncodeConfigSync(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  Records older = r, tie = r;
  older.version = 11;
  tie.origin = "s1";
  EXPECT_TRUE(Supersedes(r, older));
  EXPECT_FALSE(Supersedes(older, r));
  EXPECT_TRUE(Supersedes(r, tie));  // equal versions: the greater origin
  EXPECT_FALSE(Supersedes(tie, r));
}

}  // namespace
}  // namespace dabs::config
