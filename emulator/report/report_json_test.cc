#include "dabs/emu/report_json.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "dabs/emu/run_report.h"
#include "recorder_testing.h"

namespace dabs::emu {
namespace {

using nlohmann::json;

// shared/spec/config.md: these keys, with these meanings.
const std::set<std::string> kContractKeys = {"stbs",
                                             "duration_s",
                                             "sessions_opened",
                                             "sessions_failed",
                                             "requests_ok",
                                             "requests_failed",
                                             "failures_by_cause",
                                             "latency_ms",
                                             "sessions_by_server"};
// docs/emulator-report.md: the additive extras.
const std::set<std::string> kExtraKeys = {"sessions_closed",
                                          "sessions_open_at_end",
                                          "sessions_open_by_server",
                                          "sessions_by_channel",
                                          "rehomed",
                                          "local_ops",
                                          "requests_per_s",
                                          "stbs_planned",
                                          "seed",
                                          "scenario"};

json ScriptedReport(const RunInfo& info) {
  testing::FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  return json::parse(RenderReportJson(testing::ScriptedRun(recorder, clock), info));
}

TEST(ReportJsonTest, HasEveryContractKeyAndOnlyDocumentedExtras) {
  const json report = ScriptedReport(RunInfo{.stbs_planned = 3, .seed = 42, .scenario = "smoke"});
  std::set<std::string> keys;
  for (const auto& item : report.items())
    keys.insert(item.key());
  for (const std::string& key : kContractKeys)
    EXPECT_TRUE(keys.count(key)) << key;
  for (const std::string& key : keys) {
    EXPECT_TRUE(kContractKeys.count(key) || kExtraKeys.count(key)) << "undocumented key " << key;
  }
  for (const auto& [channel, figures] : report["latency_ms"].items()) {
    EXPECT_TRUE(figures.contains("p50")) << channel;
    EXPECT_TRUE(figures.contains("p99")) << channel;
  }
}

TEST(ReportJsonTest, ScriptedRunHasTheRightValues) {
  const json r = ScriptedReport(RunInfo{.stbs_planned = 3, .seed = 42, .scenario = "smoke"});
  EXPECT_EQ(r["stbs"], 3);
  EXPECT_DOUBLE_EQ(r["duration_s"].get<double>(), 3.5);
  EXPECT_EQ(r["sessions_opened"], 3);
  EXPECT_EQ(r["sessions_failed"], 1);
  EXPECT_EQ(r["requests_ok"], 101);
  EXPECT_EQ(r["requests_failed"], 1);
  EXPECT_EQ(r["failures_by_cause"], json({{"no_server", 1}, {"timeout", 1}}));
  EXPECT_EQ(r["sessions_by_server"], json({{"s1", 2}, {"s2", 1}}));
  EXPECT_NEAR(r["latency_ms"]["docsis"]["p50"].get<double>(), 10.0, 0.1);
  EXPECT_NEAR(r["latency_ms"]["docsis"]["p99"].get<double>(), 10.0, 0.1);
  EXPECT_EQ(r["latency_ms"]["docsis"]["count"], 100);
  EXPECT_NEAR(r["latency_ms"]["oob"]["p99"].get<double>(), 50.0, 0.5);
  EXPECT_EQ(r["rehomed"], 1);
  EXPECT_EQ(r["local_ops"], 1);
  EXPECT_EQ(r["sessions_open_at_end"], 2);
  EXPECT_EQ(r["sessions_open_by_server"], json({{"s1", 2}, {"s2", 0}}));
  EXPECT_EQ(r["seed"], 42);
  EXPECT_EQ(r["scenario"], "smoke");
  EXPECT_EQ(r["stbs_planned"], 3);
}

TEST(ReportJsonTest, OptionalExtrasAreLeftOutWhenUnknown) {
  const json r = ScriptedReport(RunInfo{});
  EXPECT_FALSE(r.contains("seed"));
  EXPECT_FALSE(r.contains("scenario"));
  EXPECT_FALSE(r.contains("stbs_planned"));
}

TEST(ReportJsonTest, EmptyRunStillHasEveryContractKey) {
  const json r = json::parse(RenderReportJson(RecorderSnapshot{}, RunInfo{}));
  for (const std::string& key : kContractKeys)
    EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_TRUE(r["latency_ms"].is_object());
  EXPECT_TRUE(r["failures_by_cause"].is_object());
}

TEST(ReportJsonTest, NamesThatAreNotUtf8DoNotBreakTheDocument) {
  RecorderSnapshot s;
  s.failures_by_cause["bad\xff"] = 1;
  EXPECT_NO_THROW(json::parse(RenderReportJson(s, RunInfo{})));
}

class ReportDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/emu_report_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ReportDirTest, WriteRunReportLeavesFourFilesAndNoTemporaries) {
  testing::FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  const RecorderSnapshot end = testing::ScriptedRun(recorder, clock);
  const std::filesystem::path out = dir_ / "report";
  ASSERT_FALSE(WriteRunReport(out, end, recorder.GetTimeline(), RunInfo{}));
  ASSERT_FALSE(WriteRunReport(out, end, recorder.GetTimeline(), RunInfo{}));  // replaces
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    files.insert(entry.path().filename().string());
  }
  EXPECT_EQ(files, (std::set<std::string>{"report.json", "timeline.csv", "sessions_by_server.svg",
                                          "latency_cdf.svg"}));
  std::ifstream in(out / "report.json");
  EXPECT_EQ(json::parse(in)["requests_ok"], 101);
}

TEST_F(ReportDirTest, UnwritableDirectoryNamesTheFile) {
  std::ofstream(dir_ / "plain") << "x";  // a file where the directory should be
  std::filesystem::path failed;
  const std::error_code ec =
      WriteRunReport(dir_ / "plain", RecorderSnapshot{}, Timeline{}, RunInfo{}, &failed);
  EXPECT_TRUE(ec);
  EXPECT_FALSE(failed.empty());
}

}  // namespace
}  // namespace dabs::emu
