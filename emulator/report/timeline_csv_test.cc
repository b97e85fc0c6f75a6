#include "dabs/emu/timeline_csv.h"

#include <sstream>

#include <gtest/gtest.h>

#include "recorder_testing.h"

namespace dabs::emu {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::size_t Columns(const std::string& line) {
  return static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
}

TEST(TimelineCsvTest, ScriptedRunHasAHeaderAndOneRowPerSecond) {
  testing::FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  testing::ScriptedRun(recorder, clock);
  const std::vector<std::string> lines = Lines(RenderTimelineCsv(recorder.GetTimeline()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "t_s,sessions_open_total,sessions_open_s1,sessions_open_s2,requests_ok,"
            "requests_failed,p99_ms_docsis,p99_ms_oob");
  EXPECT_EQ(lines[1], "0,3,2,1,0,0,,");
  EXPECT_EQ(lines[2], "1,3,2,1,101,1,10.000,50.000");
  EXPECT_EQ(lines[3], "2,2,2,0,0,0,,");
  EXPECT_EQ(lines[4], "3,2,2,0,0,0,,");
}

TEST(TimelineCsvTest, ColumnOrderIsNaturalAndKnownChannelsComeFirst) {
  Timeline t;
  t.servers = {"s10", "s2", "s1"};
  t.channels = {"zeta", "modem", "alpha", "docsis", "oob"};
  t.rows.push_back(TimelineRow{0, 6, {1, 2, 3}, 5, 0, {1, 2, 3, 4, 5}});
  t.rows.push_back(TimelineRow{1, 6, {1}, 5, 0, {}});  // a row from before names appeared
  const std::vector<std::string> lines = Lines(RenderTimelineCsv(t));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "t_s,sessions_open_total,sessions_open_s1,sessions_open_s2,sessions_open_s10,"
            "requests_ok,requests_failed,p99_ms_docsis,p99_ms_oob,p99_ms_modem,p99_ms_alpha,"
            "p99_ms_zeta");
  EXPECT_EQ(lines[1], "0,6,3,2,1,5,0,4.000,5.000,2.000,3.000,1.000");
  EXPECT_EQ(lines[2], "1,6,0,0,1,5,0,,,,,");
  for (const std::string& line : lines)
    EXPECT_EQ(Columns(line), Columns(lines[0]));
}

TEST(TimelineCsvTest, NamesWithCommasAreQuoted) {
  Timeline t;
  t.servers = {"a,\"b\""};
  t.rows.push_back(TimelineRow{0, 1, {1}, 0, 0, {}});
  EXPECT_EQ(Lines(RenderTimelineCsv(t))[0],
            "t_s,sessions_open_total,\"sessions_open_a,\"\"b\"\"\",requests_ok,requests_failed");
}

}  // namespace
}  // namespace dabs::emu
