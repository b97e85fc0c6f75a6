// Which received configurations a server takes: farm-wide problems refuse one; what only
// this machine lacks (a DASP executable) does not.
#include "config_check.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include <dabs/config/load.h>

namespace dabs::configd {
namespace {

namespace fs = std::filesystem;

class CheckReceivedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dabs-configd-check-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "calc-dasp") << "#!/bin/sh\n";
    fs::permissions(dir_ / "calc-dasp", fs::perms::owner_all);
    auto loaded = config::ParseFarmYaml(R"(farm:
  name: f
  group: 239.1.1.1:7400
  stats_group: 239.1.1.2:7400
  config_group: 239.1.1.3:7400
apps:
  - name: calc
    dasp: calc-dasp
)",
                                        "farm.yaml", dir_);
    ASSERT_TRUE(loaded.ok()) << loaded.error().Message();
    records_ = loaded->records;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  config::Records records_;
};

TEST_F(CheckReceivedTest, AValidConfigurationIsAccepted) {
  const Verdict v = CheckReceived(records_);
  EXPECT_TRUE(v.accepted) << Summarise(v.problems);
  EXPECT_TRUE(v.local_problems.empty());
}

TEST_F(CheckReceivedTest, AMissingDaspExecutableHereIsALocalProblemNotARefusal) {
  records_.values["apps[calc].dasp"] = "/nonexistent/calc-dasp";
  const Verdict v = CheckReceived(records_);
  EXPECT_TRUE(v.accepted) << Summarise(v.problems);
  ASSERT_EQ(v.local_problems.size(), 1u);
  EXPECT_EQ(v.local_problems[0].where, "apps[calc].dasp");
}

TEST_F(CheckReceivedTest, AnUnreadableIdentityKeyHereIsALocalProblem) {
  records_.values["farm.identity_key"] = "/nonexistent/farm.key";
  const Verdict v = CheckReceived(records_);
  EXPECT_TRUE(v.accepted) << Summarise(v.problems);
  EXPECT_EQ(v.local_problems.size(), 1u);
}

TEST_F(CheckReceivedTest, AnInconsistentConfigurationIsRefused) {
  records_.values["latency.high_water_ms"] = "100";
  records_.values["latency.low_water_ms"] = "200";
  const Verdict v = CheckReceived(records_);
  EXPECT_FALSE(v.accepted);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_EQ(v.problems[0].where, "latency.low_water_ms");
}

TEST_F(CheckReceivedTest, AnUnknownKeyIsRefused) {
  records_.values["farm.colour"] = "blue";
  const Verdict v = CheckReceived(records_);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(Summarise(v.problems), "farm.colour: is not a key of the farm file");
}

TEST_F(CheckReceivedTest, AValueOutOfItsRangeIsRefused) {
  records_.values["farm.heartbeat_ms"] = "5";
  EXPECT_FALSE(CheckReceived(records_).accepted);
  records_.values["farm.heartbeat_ms"] = "soon";
  EXPECT_FALSE(CheckReceived(records_).accepted);
}

TEST_F(CheckReceivedTest, AMissingRequiredKeyIsRefused) {
  records_.values.erase("farm.name");
  EXPECT_FALSE(CheckReceived(records_).accepted);
}

TEST_F(CheckReceivedTest, SummariseCountsTheRest) {
  EXPECT_EQ(Summarise({{"a", "x"}, {"b", "y"}, {"c", "z"}}), "a: x (and 2 more)");
  EXPECT_EQ(Summarise({}), "no problems");
}

}  // namespace
}  // namespace dabs::configd
