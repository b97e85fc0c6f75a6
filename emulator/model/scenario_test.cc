#include <regex>

#include <gtest/gtest.h>

#include <dabs/emu/scenario.h>

namespace dabs::emu {
namespace {

// The problems a text gives, all of them.
std::vector<std::string> Problems(const std::string& yaml) {
  std::vector<std::string> problems;
  auto s = ParseScenario(yaml, "s.yaml", &problems);
  EXPECT_FALSE(s.ok());
  return problems;
}

TEST(Scenario, MinimalScenarioTakesTheDefaults) {
  auto s = ParseScenario("stbs: 50\nduration_s: 10\n", "min.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(s->stbs, 50u);
  EXPECT_EQ(s->duration_s, 10);
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->endpoint_mode, EndpointMode::kPerStb);
  ASSERT_EQ(s->profiles.size(), 1u);
  EXPECT_EQ(s->profiles[0].share, 1);
  EXPECT_EQ(s->plant.stbs_per_oob_node, 1000u);
  EXPECT_EQ(s->plant.stbs_per_docsis_group, 500u);
  EXPECT_EQ(s->plant.oob.forward_bps, 2'048'000);
  EXPECT_EQ(s->plant.oob.return_bps, 256'000);
  EXPECT_EQ(s->plant.docsis.downstream_bps, 38'000'000);
  EXPECT_EQ(s->plant.docsis.map_interval_ms, 2);
  EXPECT_TRUE(s->plant.docsis.aqm);
  EXPECT_EQ(s->plant.modem.up_bps, 33'600);
  EXPECT_EQ(s->plant.modem.down_bps, 56'000);
  EXPECT_EQ(s->plant.modem.connect_s, 20);
  ASSERT_EQ(s->carousel.modules.size(), 3u);  // the reverse-channel modules
  EXPECT_EQ(s->carousel.modules[1].name, "oob");
  EXPECT_TRUE(s->faults.empty());
}

TEST(Scenario, FullSectionsAreRead) {
  const char* yaml = R"(
duration_s: 20
seed: 42
endpoint_mode: gateway
stbs: 300
profiles:
  - {name: a, share: 0.25, channels: [oob], installed_modules: [], fpu: false, memory_kb: 2048, apps: [calculator]}
  - {name: b, share: 0.75, channels: [docsis, modem], apps: [calculator, echo]}
plant:
  stbs_per_oob_node: 100
  oob: {forward_bps: 1544000, faults: {loss: 0.01}}
  docsis: {aqm: false, upstream_load: 1}
  modem: {connect_s: 5}
carousel:
  bitrate_bps: 2000000
  modules: [{name: oob, size_bytes: 65536, repetition: 2, section_loss: 0.01}]
viewers:
  tune_rate_per_s: 5
  flash_crowds: [{at_s: 5, stbs: 100, within_s: 2}]
  session_length_s: {dist: uniform, min: 5, max: 10}
  apps:
    calculator: {request_rate_per_s: 2}
    echo: {think_time_ms: {dist: fixed, mean: 300}}
faults:
  - {at_s: 12, action: loss_burst, channel: oob, loss: 0.5, for_s: 3}
  - {at_s: 10, action: kill, server: s2}
)";
  auto s = ParseScenario(yaml, "full.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(s->endpoint_mode, EndpointMode::kGateway);
  EXPECT_EQ(s->profiles[0].channels, Bit(ChannelKind::kOob));
  EXPECT_EQ(s->profiles[0].installed_modules, 0);
  EXPECT_FALSE(s->profiles[0].fpu);
  // installed_modules defaults to the hardware's channels.
  EXPECT_EQ(s->profiles[1].installed_modules, Bit(ChannelKind::kDocsis) | Bit(ChannelKind::kModem));
  EXPECT_EQ(s->plant.oob.forward_bps, 1'544'000);
  EXPECT_EQ(s->plant.oob.faults.loss, 0.01);
  EXPECT_FALSE(s->plant.docsis.aqm);
  EXPECT_EQ(s->carousel.modules.size(), 1u);
  EXPECT_EQ(s->carousel.modules[0].repetition, 2u);
  EXPECT_EQ(s->viewers.session_length_s.kind, Distribution::Kind::kUniform);
  EXPECT_DOUBLE_EQ(s->viewers.For("calculator").think_time_ms.mean, 500);
  EXPECT_EQ(s->viewers.For("echo").think_time_ms.kind, Distribution::Kind::kFixed);
  ASSERT_EQ(s->faults.size(), 2u);
  EXPECT_EQ(s->faults[0].action, FaultEvent::Action::kKill);  // sorted by time
  EXPECT_EQ(s->faults[1].channel, ChannelKind::kOob);
  EXPECT_EQ(s->faults[1].for_s, 3);
}

TEST(Scenario, ErrorsCarryFileLineColumnAndNameTheKey) {
  auto p = Problems("stbs: 10\nplant:\n  oob:\n    return_bps: fast\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("s.yaml:4:17: plant.oob.return_bps:", 0), 0u) << p[0];

  p = Problems("stbs: 0\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("s.yaml:1:7: stbs: 0 is out of range", 0), 0u) << p[0];
}

TEST(Scenario, UnknownKeysAreErrorsWithASuggestion) {
  auto p = Problems("stbs: 10\nplant:\n  stbs_per_oob_nod: 10\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0],
            "s.yaml:3:3: unknown key 'plant.stbs_per_oob_nod'; did you mean 'stbs_per_oob_node'?");
  p = Problems("durration_s: 3\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("did you mean 'duration_s'"), std::string::npos) << p[0];
}

TEST(Scenario, CrossKeyChecks) {
  auto p = Problems("profiles:\n  - {name: a, share: 0.5}\n  - {name: b, share: 0.4}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("shares add up to 0.9"), std::string::npos) << p[0];

  p = Problems(
      "profiles:\n  - {name: a, share: 1, channels: [oob], installed_modules: [docsis]}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("s.yaml:2:61: profiles[0].installed_modules"), std::string::npos) << p[0];

  p = Problems("duration_s: 10\nfaults:\n  - {at_s: 11, action: kill, server: s1}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("faults[0].at_s: 11 is out of range [0, 10]"), std::string::npos) << p[0];

  p = Problems("faults:\n  - {at_s: 1, action: loss_burst, channel: oob}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("loss_burst needs channel, loss and for_s"), std::string::npos) << p[0];

  p = Problems("faults:\n  - {at_s: 1, action: stop}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("'stop' needs a server"), std::string::npos) << p[0];

  p = Problems("profiles:\n  - {name: a, share: 1, channels: [satellite]}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("'satellite' is not one of docsis, oob, modem"), std::string::npos) << p[0];
}

TEST(Scenario, TypeTrapsAreRefused) {
  auto p = Problems("plant:\n  docsis: {aqm: yes}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("plant.docsis.aqm: expected true or false"), std::string::npos);
  p = Problems("stbs: 10\nstbs: 20\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("s.yaml:2:1: stbs: given twice"), std::string::npos) << p[0];
  p = Problems("endpoint_mode: both\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("expected one of per_stb | gateway, got 'both'"), std::string::npos) << p[0];
}

TEST(Scenario, SyntaxErrorsCarryThePosition) {
  auto p = Problems("stbs: [1,\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(std::regex_search(p[0], std::regex("^s\\.yaml:[0-9]+:[0-9]+: "))) << p[0];
}

TEST(Scenario, AllProblemsAreReportedAndTheErrorCountsThem) {
  std::vector<std::string> problems;
  auto s = ParseScenario("stbs: -1\nseed: x\nbogus: 1\n", "s.yaml", &problems);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_NE(s.error().detail.find("(and 2 more)"), std::string::npos);
}

TEST(Scenario, AnUnreadableFileIsNamed) {
  auto s = LoadScenario("/nonexistent/x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail.find("/nonexistent/x.yaml: cannot read"), std::string::npos);
}

TEST(Scenario, ShippedScenariosLoad) {
  for (const char* name : {"demo.yaml", "ci.yaml", "ppv.yaml"}) {
    auto s = LoadScenario(std::string(DABS_EMU_SCENARIOS) + "/" + name);
    ASSERT_TRUE(s.ok()) << s.error().Message();
    EXPECT_TRUE(s->faults.empty()) << name;
  }
}

}  // namespace
}  // namespace dabs::emu
