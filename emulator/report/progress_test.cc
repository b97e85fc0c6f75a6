#include "dabs/emu/progress.h"

#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dabs::emu {
namespace {

RecorderSnapshot ExampleSnapshot() {
  RecorderSnapshot s;
  s.t_s = 12.4;
  s.stbs_started = 2000;
  s.sessions_open = 1987;
  s.last_second_requests = 812;
  s.sessions_failed = 1;
  s.requests_failed = 2;
  s.recent_p99_ms = {{"modem", 310.2}, {"oob", 64.0}, {"docsis", 11.23}};
  return s;
}

TEST(ProgressTest, LineMatchesTheIssuesExample) {
  EXPECT_EQ(RenderProgressLine(ExampleSnapshot(), 2000),
            "t=12s stbs 2000/2000 sessions 1987 open req/s 812 errors 3 p99 docsis 11.2ms oob "
            "64.0ms modem 310ms");
}

TEST(ProgressTest, LineWithoutPlanOrLatency) {
  RecorderSnapshot s;
  s.t_s = 0.7;
  s.stbs_started = 5;
  EXPECT_EQ(RenderProgressLine(s, 0), "t=0s stbs 5 sessions 0 open req/s 0 errors 0");
}

TEST(ProgressTest, MillisecondsKeepThreeSignificantDigits) {
  RecorderSnapshot s;
  s.recent_p99_ms = {{"a", 0.4561}, {"b", 1.234}, {"c", 9.999}, {"d", 99.96}, {"e", 4321.0}};
  const std::string line = RenderProgressLine(s, 0);
  EXPECT_NE(line.find("p99 a 0.456ms b 1.23ms c 10.0ms d 100ms e 4321ms"), std::string::npos)
      << line;
}

TEST(ProgressTest, JsonLineCarriesTheSameFigures) {
  const auto j = nlohmann::json::parse(RenderProgressJson(ExampleSnapshot(), 2000));
  EXPECT_DOUBLE_EQ(j["t_s"].get<double>(), 12.4);
  EXPECT_EQ(j["stbs_started"], 2000);
  EXPECT_EQ(j["stbs_planned"], 2000);
  EXPECT_EQ(j["sessions_open"], 1987);
  EXPECT_EQ(j["requests_per_s"], 812);
  EXPECT_EQ(j["errors"], 3);
  EXPECT_DOUBLE_EQ(j["p99_ms"]["docsis"].get<double>(), 11.23);
}

// Everything a printer wrote to a temporary FILE.
class PrinterOutput {
 public:
  PrinterOutput() : file_(std::tmpfile()) {}
  ~PrinterOutput() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    for (int c; (c = std::fgetc(file_)) != EOF;)
      text += static_cast<char>(c);
    return text;
  }

 private:
  std::FILE* file_;
};

TEST(ProgressTest, TtyRewritesOneLineInPlace) {
  PrinterOutput out;
  ProgressPrinter printer(out.file(), ProgressOptions{.tty = true, .stbs_planned = 2000});
  RecorderSnapshot s = ExampleSnapshot();
  printer.Update(s);
  s.t_s = 13;
  printer.Update(s);
  printer.Finish(s);
  const std::string text = out.Text();
  EXPECT_EQ(text.rfind("\rt=12s", 0), 0u);
  EXPECT_NE(text.find("\x1b[K\rt=13s"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);  // only Finish ends the line
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressTest, PipePrintsALineEveryInterval) {
  PrinterOutput out;
  ProgressPrinter printer(out.file(), ProgressOptions{.interval_s = 10});
  RecorderSnapshot s;
  for (int t = 0; t <= 25; ++t) {
    s.t_s = t;
    printer.Update(s);
  }
  EXPECT_EQ(out.Text(),
            "t=0s stbs 0 sessions 0 open req/s 0 errors 0\n"
            "t=10s stbs 0 sessions 0 open req/s 0 errors 0\n"
            "t=20s stbs 0 sessions 0 open req/s 0 errors 0\n");
}

TEST(ProgressTest, JsonModePrintsOneObjectPerLine) {
  PrinterOutput out;
  ProgressPrinter printer(out.file(), ProgressOptions{.tty = true, .json = true, .interval_s = 1});
  RecorderSnapshot s = ExampleSnapshot();
  printer.Update(s);
  printer.Finish(s);
  const std::string text = out.Text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text.substr(0, text.find('\n')))["errors"], 3);
}

}  // namespace
}  // namespace dabs::emu
