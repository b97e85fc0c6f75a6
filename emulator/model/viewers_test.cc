#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include <dabs/emu/viewers.h>

namespace dabs::emu {
namespace {

Scenario Base(uint32_t stbs, double duration_s, double rate) {
  Scenario s;
  s.stbs = stbs;
  s.duration_s = duration_s;
  s.seed = 11;
  s.profiles = {Profile{.name = "p", .apps = {"calculator", "echo"}}};
  s.viewers.tune_rate_per_s = rate;
  s.viewers.session_length_s = {Distribution::Kind::kFixed, 5, 0, 0};
  s.viewers.default_app.think_time_ms = {Distribution::Kind::kFixed, 1000, 0, 0};
  return s;
}

std::vector<ViewerEvent> All(const Scenario& s) {
  const Population p(s);
  ViewerSchedule v(s, p);
  std::vector<ViewerEvent> out;
  while (auto e = v.NextEvent())
    out.push_back(*e);
  return out;
}

size_t Count(const std::vector<ViewerEvent>& events, ViewerEvent::Kind kind) {
  return std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.kind == kind; });
}

TEST(Viewers, PoissonArrivalCountIsWithinStatisticalBounds) {
  // 100,000 set-tops never run out; 50/s for 200 s: mean 10,000, sd 100.
  const auto events = All(Base(100'000, 200, 50));
  const double n = static_cast<double>(Count(events, ViewerEvent::Kind::kTuneIn));
  EXPECT_NEAR(n, 10'000, 4 * 100);
  // Inter-arrival gaps are exponential: their coefficient of variation is about 1.
  std::vector<double> gaps;
  double last = 0, sum = 0, sum2 = 0;
  for (const auto& e : events) {
    if (e.kind != ViewerEvent::Kind::kTuneIn) continue;
    gaps.push_back(e.at_s - last);
    last = e.at_s;
  }
  for (double g : gaps)
    sum += g, sum2 += g * g;
  const double mean = sum / gaps.size(), sd = std::sqrt(sum2 / gaps.size() - mean * mean);
  EXPECT_NEAR(mean, 0.02, 0.001);
  EXPECT_NEAR(sd / mean, 1, 0.05);
}

TEST(Viewers, EventsComeInTimeOrderAndSessionsFollowTheirShape) {
  const auto events = All(Base(1000, 60, 5));
  std::map<uint32_t, double> tuned;
  double last = 0;
  for (const auto& e : events) {
    ASSERT_GE(e.at_s, last);
    ASSERT_LE(e.at_s, 60);
    last = e.at_s;
    switch (e.kind) {
      case ViewerEvent::Kind::kTuneIn:
        ASSERT_FALSE(tuned.count(e.stb)) << "a set-top in a session tuned in again";
        tuned[e.stb] = e.at_s;
        break;
      case ViewerEvent::Kind::kRequest: {
        ASSERT_TRUE(tuned.count(e.stb));
        const double since = e.at_s - tuned[e.stb];
        EXPECT_NEAR(since, std::round(since), 1e-9);  // fixed think time of 1 s
        EXPECT_LT(since, 5);
        break;
      }
      case ViewerEvent::Kind::kSessionEnd:
        ASSERT_TRUE(tuned.count(e.stb));
        EXPECT_NEAR(e.at_s - tuned[e.stb], 5, 1e-9);
        tuned.erase(e.stb);
        break;
    }
  }
  // Requests at +1..+4 s of each session: four per completed session.
  EXPECT_EQ(
      Count(events, ViewerEvent::Kind::kRequest),
      4 * Count(events, ViewerEvent::Kind::kSessionEnd) + 0 + [&] {
        size_t open = 0;  // sessions still running at the end made some requests
        for (const auto& [stb, at] : tuned)
          open += static_cast<size_t>(std::min(4.0, std::floor(60 - at)));
        return open;
      }());
}

TEST(Viewers, AFlashCrowdTunesInItsSetTopsWithinTheWindow) {
  Scenario s = Base(500, 30, 0);
  s.viewers.flash_crowds = {{10, 200, 2}};
  const auto events = All(s);
  size_t in_window = 0;
  for (const auto& e : events) {
    if (e.kind == ViewerEvent::Kind::kTuneIn) in_window += e.at_s >= 10 && e.at_s <= 12;
  }
  EXPECT_EQ(Count(events, ViewerEvent::Kind::kTuneIn), 200u);
  EXPECT_EQ(in_window, 200u);
}

TEST(Viewers, ArrivalsBeyondThePopulationAreCountedNotServed) {
  Scenario s = Base(10, 10, 0);
  s.viewers.session_length_s = {Distribution::Kind::kFixed, 100, 0, 0};
  s.viewers.flash_crowds = {{1, 10, 1}, {2, 10, 1}};
  s.stbs = 10;
  const Population p(s);
  ViewerSchedule v(s, p);
  size_t tune_ins = 0;
  while (auto e = v.NextEvent())
    tune_ins += e->kind == ViewerEvent::Kind::kTuneIn;
  EXPECT_EQ(tune_ins, 10u);
  EXPECT_EQ(v.arrivals_unserved(), 10u);
}

TEST(Viewers, ProfilesWithoutAppsNeverTuneInAndAppsAreTheProfiles) {
  Scenario s = Base(100, 20, 20);
  s.profiles = {Profile{.name = "none", .share = 0.5, .apps = {}},
                Profile{.name = "calc", .share = 0.5, .apps = {"calculator"}}};
  const Population p(s);
  ViewerSchedule v(s, p);
  ASSERT_EQ(v.apps(), std::vector<std::string>{"calculator"});
  while (auto e = v.NextEvent()) {
    EXPECT_EQ(p[e->stb].profile, 1);
    EXPECT_EQ(e->app, 0);
  }
}

TEST(Viewers, ReproducibleFromTheSeed) {
  Scenario s = Base(1000, 30, 20);
  s.viewers.session_length_s = {Distribution::Kind::kExponential, 5, 0, 0};
  s.viewers.default_app.think_time_ms = {Distribution::Kind::kExponential, 700, 0, 0};
  EXPECT_EQ(All(s), All(s));
  Scenario t = s;
  t.seed = 12;
  EXPECT_NE(All(s), All(t));
}

}  // namespace
}  // namespace dabs::emu
