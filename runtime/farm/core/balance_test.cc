#include <map>

#include <gtest/gtest.h>

#include <dabs/farm/balance.h>

namespace dabs::farm {
namespace {

BalanceConfig Spread(uint32_t pct = 10) {
  BalanceConfig c;
  c.mode = RebalanceMode::kSpread;
  c.spread_pct = pct;
  return c;
}

OwnSignals With(uint32_t sessions, uint32_t load_x100 = 1000) {
  OwnSignals s;
  s.sessions = sessions;
  s.load_x100 = load_x100;
  return s;
}

TEST(Classify, AStarvingServerIsASourceWhateverItsLoad) {
  OwnSignals s = With(0, 0);
  s.starving = true;
  EXPECT_EQ(Classify(s, 100, {}), BalanceState::kSource);
  EXPECT_EQ(Classify(s, 100, Spread()), BalanceState::kSource);
}

TEST(Classify, UnderStarvationLoadAloneMakesNoSource) {
  // The seeds' mode: only starving makes a source, however uneven the sessions are.
  EXPECT_EQ(Classify(With(900, 6000), 300, {}), BalanceState::kSink);
  EXPECT_EQ(Classify(With(900, 9000), 300, {}), BalanceState::kNeither);  // over the ceiling
}

TEST(Classify, ASinkNeedsRoomMinimumsAndNoRecentStarvation) {
  OwnSignals s = With(10);
  EXPECT_EQ(Classify(s, 10, {}), BalanceState::kSink);
  s.room = false;
  EXPECT_EQ(Classify(s, 10, {}), BalanceState::kNeither);
  s = With(10);
  s.below_minimums = true;
  EXPECT_EQ(Classify(s, 10, {}), BalanceState::kNeither);
  s = With(10);
  s.cooling = true;
  EXPECT_EQ(Classify(s, 10, {}), BalanceState::kNeither);
}

TEST(Classify, ALeavingServerGivesItsSessionsAwayAndTakesNone) {
  OwnSignals s = With(5);
  s.leaving = true;
  EXPECT_EQ(Classify(s, 50, {}), BalanceState::kSource);
  s.sessions = 0;
  EXPECT_EQ(Classify(s, 50, {}), BalanceState::kNeither);
}

TEST(Classify, SpreadHasTwoThresholdsSoNothingBounces) {
  // Mean 100, spread 10%: a source above 110, a sink only while one more keeps it at the mean.
  EXPECT_EQ(Classify(With(111), 100, Spread()), BalanceState::kSource);
  EXPECT_EQ(Classify(With(110), 100, Spread()), BalanceState::kNeither);
  EXPECT_EQ(Classify(With(100), 100, Spread()), BalanceState::kNeither);
  EXPECT_EQ(Classify(With(99), 100, Spread()), BalanceState::kSink);
  // Small farms: a lone session over a mean of 0.67 is no imbalance worth a move.
  EXPECT_EQ(Classify(With(1), 2.0 / 3, Spread()), BalanceState::kNeither);
  EXPECT_EQ(Classify(With(2), 2.0 / 3, Spread()), BalanceState::kSource);
}

TEST(Classify, MovingOneSessionNeverTurnsASinkIntoASource) {
  // Walk a farm of three servers to balance one move at a time, as the farm does, and check
  // that a session never comes back to where it left.
  std::map<std::string, uint32_t> sessions{{"a", 60}, {"b", 0}, {"c", 15}};
  std::map<std::string, std::string> last_from;  // sink -> where its last session came from
  for (int step = 0; step < 200; ++step) {
    double mean = 0;
    for (const auto& [id, n] : sessions)
      mean += n;
    mean /= sessions.size();
    std::vector<ServerBalance> view;
    uint16_t index = 1;
    for (const auto& [id, n] : sessions)
      view.push_back({id, index++, Classify(With(n), mean, Spread()), 1000, n});
    auto plan = PlanMove(view, RebalanceMode::kSpread);
    if (!plan) break;
    EXPECT_NE(last_from[plan->source], plan->sink) << "a session went back at step " << step;
    --sessions[plan->source];
    ++sessions[plan->sink];
    last_from[plan->sink] = plan->source;
  }
  uint32_t max = 0;
  for (const auto& [id, n] : sessions)
    max = std::max(max, n);
  EXPECT_LE(max, 25u * 1.10) << "a:" << sessions["a"] << " b:" << sessions["b"]
                             << " c:" << sessions["c"];
}

TEST(PlanMove, WorstSourceToBestSinkStateFirstLoadSecond) {
  std::vector<ServerBalance> v = {
      {"s1", 1, BalanceState::kSource, 3000, 10},   {"s2", 2, BalanceState::kSource, 8000, 5},
      {"s3", 3, BalanceState::kSink, 4000, 1},      {"s4", 4, BalanceState::kSink, 1000, 50},
      {"s5", 5, BalanceState::kNeither, 100, 0},
  };
  auto p = PlanMove(v, RebalanceMode::kStarvation);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, "s2");  // the highest load among sources
  EXPECT_EQ(p->sink, "s4");    // the lowest load among sinks; s5 is lighter but no sink
  EXPECT_EQ(p->source_load_x100, 8000u);
  // Under spread, sessions lead.
  p = PlanMove(v, RebalanceMode::kSpread);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, "s1");
  EXPECT_EQ(p->sink, "s3");
}

TEST(PlanMove, NothingWithoutBothASourceAndASink) {
  std::vector<ServerBalance> only_sources = {{"s1", 1, BalanceState::kSource, 1, 1}};
  EXPECT_FALSE(PlanMove(only_sources, RebalanceMode::kStarvation));
  std::vector<ServerBalance> only_sinks = {{"s1", 1, BalanceState::kSink, 1, 1},
                                           {"s2", 2, BalanceState::kNeither, 1, 1}};
  EXPECT_FALSE(PlanMove(only_sinks, RebalanceMode::kStarvation));
}

TEST(PlanMove, EveryOrderOfTheSameViewGivesTheSamePlan) {
  std::vector<ServerBalance> v = {{"s1", 1, BalanceState::kSource, 5000, 9},
                                  {"s2", 2, BalanceState::kSource, 5100, 9},  // same band
                                  {"s3", 3, BalanceState::kSink, 200, 3},
                                  {"s4", 4, BalanceState::kSink, 300, 3}};
  auto first = PlanMove(v, RebalanceMode::kStarvation);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->source, "s1");  // level in the band and in sessions: the lower index
  EXPECT_EQ(first->sink, "s3");
  std::reverse(v.begin(), v.end());
  auto again = PlanMove(v, RebalanceMode::kStarvation);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->source, first->source);
  EXPECT_EQ(again->sink, first->sink);
}

TEST(PickSession, EachSessionMovesOnceBeforeAnyMovesTwice) {
  std::vector<MoveCandidate> c = {{0x1005, true, true, 1}, {0x1009, false, true, 0}};
  EXPECT_EQ(PickSession(c, 0), 0x1009u);  // unmoved first, even before a starving one
}

TEST(PickSession, StarvingSessionsGoFirstAmongEquals) {
  std::vector<MoveCandidate> c = {{0x1002, false, true, 0}, {0x1007, true, true, 0}};
  EXPECT_EQ(PickSession(c, 0), 0x1007u);
}

TEST(PickSession, TheLeastDistanceAboveTheLastMovedWrappingRound) {
  std::vector<MoveCandidate> c = {{0x1002, false, true, 0}, {0x1004, false, true, 0},
                                  {0x1008, false, true, 0}};
  EXPECT_EQ(PickSession(c, 0x1004), 0x1008u);
  EXPECT_EQ(PickSession(c, 0x1008), 0x1002u);  // round again from the lowest
  EXPECT_EQ(PickSession(c, 0x1000), 0x1002u);
}

TEST(PickSession, SessionsThatCannotMoveAreNeverPicked) {
  std::vector<MoveCandidate> c = {{0x1002, true, false, 0}};
  EXPECT_FALSE(PickSession(c, 0));
  EXPECT_FALSE(PickSession({}, 0));
}

TEST(RebalanceMode, NamesRoundTrip) {
  EXPECT_EQ(ParseRebalanceMode("spread"), RebalanceMode::kSpread);
  EXPECT_EQ(ParseRebalanceMode("starvation"), RebalanceMode::kStarvation);
  EXPECT_FALSE(ParseRebalanceMode("even"));
  EXPECT_STREQ(BalanceStateName(BalanceStateFromWire(1)), "source");
  EXPECT_STREQ(BalanceStateName(BalanceStateFromWire(2)), "sink");
  EXPECT_STREQ(BalanceStateName(BalanceStateFromWire(9)), "neither");
}

}  // namespace
}  // namespace dabs::farm
