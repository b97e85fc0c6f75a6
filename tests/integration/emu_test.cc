// dabs-emu end to end (issue 5): a real 3-server farm (dabs-farm, dabs-lbd, calculator-dasp,
// echo-dasp) and dabs-emu driving the CI scenario's 200 set-tops of mixed profiles through
// the emulated plant; then the same with a server killed mid-run.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "farm_process.h"
#include "subprocess.h"

namespace dabs::farm::testing {
namespace {

namespace fs = std::filesystem;

fs::path Bin(const std::string& name) {
  return fs::path(DABS_BIN_DIR) / name;
}

class EmuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("det-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    farm_ = UniqueFarm();
    farm_.heartbeat_ms = 100;
    farm_.lease_ms = 400;
    for (const char* app : {"calculator", "echo"}) {
      TestApp a;
      a.name = app;
      a.dasp = Bin(std::string(app) + "-dasp").string();
      a.instance_sessions = 5000;
      farm_.apps.push_back(a);
    }
    FarmProcess::Options o;
    o.dabs_farm = Bin("dabs-farm");
    o.farm_file = WriteFarmFile(farm_, dir_);
    o.state_dir = dir_ / "farm";
    o.servers = 3;
    o.daemons = {"dabs-lbd"};
    auto p = FarmProcess::Start(o);
    ASSERT_TRUE(p.ok()) << p.error().Message();
    process_ = std::move(*p);
  }
  void TearDown() override {
    if (process_) (void)process_->Stop();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs dabs-emu on SCENARIO with `extra` flags; the report, or a failure with its output.
  nlohmann::json RunEmu(const fs::path& scenario, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {Bin("dabs-emu").string(),
                                     "run",
                                     scenario.string(),
                                     "--farm",
                                     (dir_ / "farm.yaml").string(),
                                     "--farm-state",
                                     (dir_ / "farm").string(),
                                     "--report",
                                     (dir_ / "report").string(),
                                     "--quiet",
                                     "--drain",
                                     "15"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    // Under the sanitizer build dabs-emu inherits ASAN_OPTIONS with leak checking on: a leak
    // at its exit fails the exit status checked below, and the log shows the report.
    dabs::testing::Subprocess emu(argv, (dir_ / "emu.log").string());
    const int status = emu.Wait();
    std::ifstream log(dir_ / "emu.log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dabs-emu failed:\n" << text;
    std::ifstream in(dir_ / "report" / "report.json");
    auto j = nlohmann::json::parse(in, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "no report.json; dabs-emu said:\n" << text;
    log_ = text;
    return j;
  }

  fs::path Scenario(const std::string& name) {
    return fs::path(DABS_SOURCE_DIR) / "emulator" / "scenarios" / name;
  }

  fs::path dir_;
  TestFarm farm_;
  std::unique_ptr<FarmProcess> process_;
  std::string log_;
};

TEST_F(EmuTest, TwoHundredMixedSetTopsOpenOverTheirChannelsAndEveryAnswerIsRight) {
  auto r = RunEmu(Scenario("ci.yaml"));
  ASSERT_FALSE(r.is_discarded());
  SCOPED_TRACE(r.dump(2));
  EXPECT_GE(r["stbs"].get<int>(), 100);
  EXPECT_EQ(r["sessions_failed"].get<int>(), 0) << log_;
  EXPECT_EQ(r["requests_failed"].get<int>(), 0)
      << log_;  // every calculator and echo answer verified
  EXPECT_GT(r["requests_ok"].get<int>(), 300);
  // Every channel carried sessions; the OOB-only set-tops without the module got it from
  // the carousel first.
  for (const char* channel : {"docsis", "oob", "modem"}) {
    EXPECT_GT(r["sessions_by_channel"].value(channel, 0), 0) << channel;
  }
  EXPECT_GT(r["module_downloads"].get<int>(), 0);
  // Integer (and, with an FPU, floating-point) operations ran on the set-tops that can host
  // them: no message for those.
  EXPECT_GT(r["local_ops"].get<int>(), 0);
  // Sessions were spread over the three servers.
  for (const char* s : {"s1", "s2", "s3"})
    EXPECT_GT(r["sessions_by_server"].value(s, 0), 0) << s;
  // Latency by channel is ordered as the models say. A lone datagram crosses an idle OOB
  // return (256 kbps) about as fast as DOCSIS's request-grant (~10 ms), so the medians are
  // close; the OOB's contention shows in its tail. A dial-up modem (33.6 kbps) is slowest.
  const auto& l = r["latency_ms"];
  const double docsis = l["docsis"]["p50"], oob = l["oob"]["p50"], modem = l["modem"]["p50"];
  const double docsis_p90 = l["docsis"]["p90"], oob_p90 = l["oob"]["p90"];
  EXPECT_LT(docsis_p90 * 1.5, oob_p90);
  EXPECT_LT(docsis * 3, modem);
  EXPECT_LT(oob * 3, modem);
  EXPECT_GT(docsis, 5.0);  // the plant is really there: loopback alone is tens of microseconds
  EXPECT_TRUE(fs::exists(dir_ / "report" / "timeline.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "report" / "latency_cdf.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "report" / "sessions_by_server.svg"));
}

TEST_F(EmuTest, AServerKilledMidRunHasItsSetTopsReHomedAndNoAcknowledgedRequestIsLost) {
  // Echo only: every set-top talks to its server twice a second, so each one on the killed
  // server finds out (a calculator set-top that computes locally would never notice).
  std::ofstream(dir_ / "kill.yaml") << R"(duration_s: 24
seed: 11
endpoint_mode: gateway
stbs: 150
profiles:
  - {name: docsis, share: 1, channels: [docsis], installed_modules: [docsis], apps: [echo]}
plant: {stbs_per_docsis_group: 50}
viewers:
  tune_rate_per_s: 0.1
  session_length_s: {dist: fixed, mean: 60}
  flash_crowds: [{at_s: 0, stbs: 150, within_s: 2}]
  apps:
    echo: {request_rate_per_s: 2}
faults:
  - {at_s: 6, action: kill, server: s2}
)";
  auto r = RunEmu(dir_ / "kill.yaml");
  ASSERT_FALSE(r.is_discarded());
  SCOPED_TRACE(r.dump(2));
  EXPECT_GT(r["sessions_by_server"].value("s2", 0), 0) << "s2 had set-tops before it died";
  EXPECT_GT(r["rehomed"].get<int>(), 0);
  EXPECT_EQ(r["requests_failed"].get<int>(), 0) << log_;
  EXPECT_EQ(r["sessions_open_by_server"].value("s2", 0), 0) << "every set-top left the dead server";
  ASSERT_EQ(r["faults"].size(), 1u);
  EXPECT_NE(r["faults"][0].get<std::string>().find("killed s2"), std::string::npos);
}

}  // namespace
}  // namespace dabs::farm::testing
