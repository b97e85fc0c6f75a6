// dabsctl config export / import: the stored configuration out as YAML and back in as the
// next version, and a bad file refused with file:line:column leaving the store alone.
#include <dabs/config/load.h>
#include <dabs/config/persist.h>

#include "ctl_testing.h"

namespace dabs::ctl::testing {
namespace {

class ConfigCommands : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    dir_ = root_ / "state";
    store::ServerRecord self;
    self.id = "s1";
    self.self = true;
    PutServer(dir_, self);
  }
  config::Records StoreExample(uint64_t version) {
    auto loaded = config::LoadFarmFile(ExampleFarm());
    EXPECT_TRUE(loaded.ok()) << loaded.error().Message();
    loaded->records.version = version;
    loaded->records.origin = "s3";
    EXPECT_TRUE(config::SaveConfig(StoreAt(dir_), loaded->records, "test").ok());
    return loaded->records;
  }
  config::Records Stored() {
    auto r = config::LoadConfig(StoreAt(dir_));
    EXPECT_TRUE(r.ok() && *r);
    return r.ok() && *r ? **r : config::Records{};
  }
  CtlRun Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--state-dir", dir_.string()});
    return RunCtl(args);
  }

  fs::path dir_;
};

TEST_F(ConfigCommands, ExportThenImportOfTheSameStoresItAsTheNextVersionFromThisServer) {
  const config::Records original = StoreExample(7);
  const fs::path exported = root_ / "etc" / "exported.yaml";
  const CtlRun out = Ctl({"config", "export", "--out", exported.string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  ASSERT_TRUE(fs::exists(exported));
  const CtlRun in = Ctl({"config", "import", exported.string(), "--json"});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(in.Json()["version"], 8);
  EXPECT_EQ(in.Json()["previous_version"], 7);
  EXPECT_EQ(in.Json()["origin"], "s1");
  const config::Records now = Stored();
  EXPECT_EQ(now.version, 8u);
  EXPECT_EQ(now.origin, "s1");
  EXPECT_EQ(now.values, original.values);
}

TEST_F(ConfigCommands, ExportPrintsTheYamlOnStdoutByDefault) {
  StoreExample(1);
  const CtlRun r = Ctl({"config", "export"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("# dabs farm file, exported at version 1\nfarm:\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("name: headend-a"), std::string::npos) << r.out;
  const CtlRun json_form = Ctl({"config", "export", "--json"});
  EXPECT_EQ(json_form.Json()["yaml"], r.out);
  EXPECT_EQ(json_form.Json()["version"], 1);
}

TEST_F(ConfigCommands, ABadFileIsRefusedWithFileLineAndColumnAndNothingChanges) {
  const config::Records before = StoreExample(3);
  const fs::path bad = WriteFarm(R"(farm:
  name: f
  group: 239.1.1.1:7400
  stats_group: 239.1.1.2:7400
  config_group: 239.1.1.3:7400
  heartbeat_ms: fast
  lease_ms: 0
)",
                                 "bad.yaml");
  const CtlRun r = Ctl({"config", "import", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(bad.string() + ":6:17: farm.heartbeat_ms: expected a whole number"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(bad.string() + ":7:13: farm.lease_ms"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing changed"), std::string::npos) << r.err;
  const config::Records after = Stored();
  EXPECT_EQ(after.version, 3u);
  EXPECT_EQ(after.values, before.values);
}

TEST_F(ConfigCommands, TheFirstImportIsVersionOne) {
  const CtlRun r = Ctl({"config", "import", ExampleFarm().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("configuration version 1"), std::string::npos) << r.out;
  EXPECT_EQ(Stored().version, 1u);
}

TEST_F(ConfigCommands, ExportWithNothingStoredFails) {
  const CtlRun r = Ctl({"config", "export"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "dabsctl: no configuration stored in " + dir_.string() + "\n");
}

}  // namespace
}  // namespace dabs::ctl::testing
