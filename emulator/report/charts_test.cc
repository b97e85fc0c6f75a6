#include "dabs/emu/charts.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "recorder_testing.h"
#include "svg_chart.h"

namespace dabs::emu {
namespace {

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// Minimal structure check, used when xmllint is missing: one root, tags balance. A plain
// scan, not std::regex: libstdc++'s regex recurses per character and overflows the stack
// on a long path under AddressSanitizer.
void ExpectBalancedTags(const std::string& svg) {
  std::vector<std::string> open;
  for (auto lt = svg.find('<'); lt != std::string::npos; lt = svg.find('<', lt + 1)) {
    const auto gt = svg.find('>', lt);
    ASSERT_NE(gt, std::string::npos) << "unclosed tag at " << lt;
    const std::string tag = svg.substr(lt + 1, gt - lt - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;  // declaration, comment
    const bool closing = tag[0] == '/';
    const auto name_at = closing ? 1u : 0u;
    const auto name_end = tag.find_first_of(" \t\n/", name_at);
    const std::string name = tag.substr(name_at, name_end - name_at);
    if (!closing && tag.back() == '/') continue;  // self-closing
    if (closing) {
      ASSERT_FALSE(open.empty()) << tag;
      ASSERT_EQ(open.back(), name);
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  EXPECT_TRUE(open.empty());
}

void ExpectWellFormed(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  ExpectBalancedTags(svg);
#ifdef DABS_XMLLINT
  char path[] = "/tmp/emu_chart_test.XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << svg;
  const std::string command = std::string(DABS_XMLLINT) + " --noout " + path;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  ::unlink(path);
#endif
}

TEST(ChartsTest, SessionsChartIsWellFormedWithOnePathPerServer) {
  testing::FakeClock clock;
  Recorder recorder(clock.AsRunClock());
  testing::ScriptedRun(recorder, clock);
  const std::string svg = RenderSessionsByServerSvg(recorder.GetTimeline());
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "<path"), 2u);
  EXPECT_EQ(Count(svg, "<path class=\"series\""), 2u);
  EXPECT_NE(svg.find(">s1</text>"), std::string::npos);  // legend
  EXPECT_NE(svg.find("Sessions open per server"), std::string::npos);
  EXPECT_NE(svg.find("time since start (s)"), std::string::npos);
}

TEST(ChartsTest, LatencyCdfIsWellFormedWithOnePathPerChannel) {
  std::map<std::string, LatencyHistogram> latency;
  for (int i = 1; i <= 1000; ++i) {
    latency["docsis"].Record(std::chrono::microseconds(500 + i * 20));
    latency["oob"].Record(std::chrono::milliseconds(20 + i / 10));
    latency["modem"].Record(std::chrono::milliseconds(150 + i));
  }
  const std::string svg = RenderLatencyCdfSvg(latency);
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "<path"), 3u);
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos);
  // Decade ticks from 0.1 ms (below docsis' 0.52 ms) to 10000 ms (above modem's 1.15 s).
  EXPECT_NE(svg.find(">0.1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">10000</text>"), std::string::npos);
  // Series (and legend) in plant order: docsis, oob, modem.
  EXPECT_LT(svg.find("<title>docsis"), svg.find("<title>oob"));
  EXPECT_LT(svg.find("<title>oob"), svg.find("<title>modem"));
}

TEST(ChartsTest, EmptyChartsAreWellFormedAndSayNoData) {
  const std::string sessions = RenderSessionsByServerSvg(Timeline{});
  const std::string latency = RenderLatencyCdfSvg({});
  for (const std::string& svg : {sessions, latency}) {
    ExpectWellFormed(svg);
    EXPECT_EQ(Count(svg, "<path"), 0u);
    EXPECT_NE(svg.find("no data"), std::string::npos);
  }
}

TEST(ChartsTest, HostileNamesAreEscaped) {
  Timeline t;
  t.servers = {"<s1 & \"x\">", "bad\x01\xff"};
  t.rows.push_back(TimelineRow{0, 2, {1, 1}, 0, 0, {}});
  const std::string svg = RenderSessionsByServerSvg(t);
  ExpectWellFormed(svg);
  EXPECT_NE(svg.find("&lt;s1 &amp; &quot;x&quot;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("bad??"), std::string::npos);
}

TEST(ChartsTest, LongTimelinesAreDrawnWithBoundedPointsKeepingSpikes) {
  Timeline t;
  t.servers = {"s1"};
  for (int64_t s = 0; s < 86'400; ++s) {
    const int64_t open = s == 40'000 ? 900 : 100;  // a one-second spike
    t.rows.push_back(TimelineRow{s, open, {open}, 0, 0, {}});
  }
  const std::string svg = RenderSessionsByServerSvg(t);
  ExpectWellFormed(svg);
  const auto path = svg.substr(svg.find("<path"));
  EXPECT_LE(Count(path.substr(0, path.find("</path>")), " L"), kMaxPointsPerSeries);
  EXPECT_NE(svg.find("time since start (h)"), std::string::npos);
  EXPECT_NE(svg.find(">1000</text>"), std::string::npos);  // the spike stretches the y axis
}

TEST(ChartsTest, NiceTicksUseOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(internal::NiceTicks(0, 1987), (std::vector<double>{0, 500, 1000, 1500, 2000}));
  EXPECT_EQ(internal::NiceTicks(0, 1), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  EXPECT_EQ(internal::NiceTicks(0, 59), (std::vector<double>{0, 10, 20, 30, 40, 50, 60}));
}

}  // namespace
}  // namespace dabs::emu
