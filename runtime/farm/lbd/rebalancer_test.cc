#include <gtest/gtest.h>

#include <dabs/mp/testing/fake_clock.h>

#include "rebalancer.h"

namespace dabs::farm {
namespace {

using namespace std::chrono_literals;

OwnSignals Idle(uint32_t sessions = 5) {
  OwnSignals s;
  s.sessions = sessions;
  s.load_x100 = 1000;
  return s;
}

TEST(Rebalancer, ALockTimeoutMakesASourceForOneWindowOnly) {
  mp::testing::FakeClock clock;
  Rebalancer r(clock, {}, 300ms);  // the window is at least 1 s
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kSink);
  r.NoteStarving(0x00100001, mp::StateReason::kLockTimeout, false);
  EXPECT_TRUE(r.Starving(0x00100001));
  EXPECT_FALSE(r.Starving(0x00100002));
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kSource);
  EXPECT_EQ(r.last_reason(), mp::StateReasonName(mp::StateReason::kLockTimeout));
  clock.Advance(1100ms);
  EXPECT_FALSE(r.Starving(0x00100001));
  EXPECT_NE(r.Evaluate(Idle(), 5), BalanceState::kSource);
}

TEST(Rebalancer, ABacklogHoldsUntilItClears) {
  mp::testing::FakeClock clock;
  Rebalancer r(clock, {}, 1s);
  r.NoteStarving(0x00100001, mp::StateReason::kBacklog, true);
  clock.Advance(10s);  // long past the window: a backlog is a state, not an event
  EXPECT_TRUE(r.Starving(0x00100001));
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kSource);
  r.NoteRelieved(0x00100001);
  clock.Advance(2s);
  EXPECT_FALSE(r.AnyStarving());
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kNeither);  // cooling down first
}

TEST(Rebalancer, ARelievedSourceCoolsDownBeforeItMayBeASink) {
  mp::testing::FakeClock clock;
  Rebalancer r(clock, {}, 1s);
  r.NoteStarving(0x00100001, mp::StateReason::kWriteTimeout, false);
  ASSERT_EQ(r.Evaluate(Idle(), 5), BalanceState::kSource);
  clock.Advance(1500ms);
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kNeither);  // relieved, not yet a sink
  clock.Advance(1000ms);
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kNeither);
  clock.Advance(1000ms);  // over three windows after it last starved
  EXPECT_EQ(r.Evaluate(Idle(), 5), BalanceState::kSink);
}

TEST(Rebalancer, OffMeansNoPeriodAndConfigureTurnsItOn) {
  mp::testing::FakeClock clock;
  Rebalancer r(clock, {}, 0ms);
  EXPECT_FALSE(r.enabled());
  BalanceConfig spread;
  spread.mode = RebalanceMode::kSpread;
  r.Configure(spread, 200ms);
  EXPECT_TRUE(r.enabled());
  EXPECT_EQ(r.config().mode, RebalanceMode::kSpread);
  EXPECT_EQ(r.Evaluate(Idle(30), 10), BalanceState::kSource);  // spread: far over the mean
}

TEST(Rebalancer, TheCursorIsTheLastSessionMoved) {
  mp::testing::FakeClock clock;
  Rebalancer r(clock, {}, 1s);
  EXPECT_EQ(r.last_moved(), mp::kVaNone);
  r.Moved(0x00100404);
  EXPECT_EQ(r.last_moved(), 0x00100404u);
}

}  // namespace
}  // namespace dabs::farm
