// The CONFIG_SYNC decisions under a fake clock: what a server sends when it hears an older,
// newer or equal configuration, and the rate limits.
#include "sync_policy.h"

#include <gtest/gtest.h>

namespace dabs::configd {
namespace {

// Always the same draw, so the answer delay is known: value % (max + 1) ms.
class FixedRandom final : public mp::Random {
 public:
  explicit FixedRandom(uint64_t value) : value_(value) {}
  uint64_t Next() override { return value_; }

 private:
  uint64_t value_;
};

TimePoint At(int ms) {
  return TimePoint{} + std::chrono::hours(1) + milliseconds(ms);
}

const ConfigId kV5{5, "s1", "aa"};
const ConfigId kV4{4, "s2", "bb"};
const ConfigId kV6{6, "s1", "cc"};

class Policy : public ::testing::Test {
 protected:
  // No answer delay unless a test sets one.
  explicit Policy(SyncTimings t = NoDelay(), uint64_t draw = 0)
      : random_(draw), policy_(t, random_) {}
  static SyncTimings NoDelay() {
    SyncTimings t;
    t.answer_delay_max = milliseconds(0);
    return t;
  }
  // Started at t=0 holding v5, its announcement sent.
  void StartAtV5() {
    Actions a = policy_.Start(kV5, false, At(0));
    ASSERT_TRUE(a.send_announce);
  }

  FixedRandom random_;
  SyncPolicy policy_;
};

bool Nothing(const Actions& a) {
  return !a.send_full && !a.send_announce && !a.adopt;
}

TEST(ConfigIdOrder, VersionThenOriginThenDigestWhenBothKnown) {
  EXPECT_GT(Compare({5, "s1", ""}, {4, "s9", ""}), 0);
  EXPECT_GT(Compare({5, "s2", ""}, {5, "s1", ""}), 0);
  EXPECT_GT(Compare({5, "s1", "bb"}, {5, "s1", "aa"}), 0);
  EXPECT_EQ(Compare({5, "s1", ""}, {5, "s1", "aa"}), 0);  // a sender without a digest
  EXPECT_EQ(Compare(kV5, kV5), 0);
}

TEST_F(Policy, StartAfterAnImportSendsTheConfigurationAtOnce) {
  Actions a = policy_.Start(kV5, true, At(0));
  EXPECT_TRUE(a.send_full);
  EXPECT_FALSE(a.send_announce);
}

TEST_F(Policy, StartWithAKeptConfigurationAnnouncesIt) {
  Actions a = policy_.Start(kV5, false, At(0));
  EXPECT_TRUE(a.send_announce);
  EXPECT_FALSE(a.send_full);
}

TEST_F(Policy, AnnouncesEverySecond) {
  StartAtV5();
  EXPECT_TRUE(Nothing(policy_.OnTick(At(999))));
  EXPECT_TRUE(policy_.OnTick(At(1000)).send_announce);
  EXPECT_TRUE(Nothing(policy_.OnTick(At(1500))));
  EXPECT_TRUE(policy_.OnTick(At(2000)).send_announce);
  EXPECT_EQ(policy_.NextDeadline(), At(3000));
}

TEST_F(Policy, AnEqualConfigurationAsksForNothing) {
  StartAtV5();
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV5, Heard::kAnnounce, At(10))));
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV5, Heard::kFull, At(20))));
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV5, Heard::kPart, At(30))));
  EXPECT_TRUE(Nothing(policy_.OnTick(At(999))));
}

TEST_F(Policy, AnOlderAnnouncementIsAnsweredWithTheFullConfiguration) {
  StartAtV5();
  Actions a = policy_.OnHeard(kV4, Heard::kAnnounce, At(10));
  EXPECT_TRUE(a.send_full);
  EXPECT_FALSE(a.adopt);
}

TEST_F(Policy, AnOlderFullConfigurationIsAnsweredWithOurs) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnHeard(kV4, Heard::kFull, At(10)).send_full);
}

TEST_F(Policy, AnswersToOlderConfigurationsAreRateLimited) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnHeard(kV4, Heard::kAnnounce, At(10)).send_full);
  // Five more older ones within 100 ms: one more full, at 110 ms.
  for (int t : {20, 40, 60, 80, 100})
    EXPECT_TRUE(Nothing(policy_.OnHeard(kV4, Heard::kAnnounce, At(t))));
  EXPECT_EQ(policy_.NextDeadline(), At(110));
  EXPECT_TRUE(Nothing(policy_.OnTick(At(109))));
  EXPECT_TRUE(policy_.OnTick(At(110)).send_full);
  EXPECT_TRUE(Nothing(policy_.OnTick(At(300))));
}

TEST_F(Policy, TheManyPartsOfAnOlderConfigurationDrawOneAnswer) {
  StartAtV5();
  int fulls = 0;
  for (int t = 10; t < 60; ++t)
    fulls += policy_.OnHeard(kV4, Heard::kPart, At(t)).send_full;
  EXPECT_EQ(fulls, 1);
}

TEST_F(Policy, ANewerAnnouncementIsAnsweredWithOurAnnouncement) {
  StartAtV5();
  Actions a = policy_.OnHeard(kV6, Heard::kAnnounce, At(200));
  EXPECT_TRUE(a.send_announce);
  EXPECT_FALSE(a.send_full);
  EXPECT_FALSE(a.adopt);
}

TEST_F(Policy, AnswersToNewerAnnouncementsAreRateLimited) {
  StartAtV5();  // announced at 0
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kAnnounce, At(50))));
  EXPECT_EQ(policy_.NextDeadline(), At(100));
  EXPECT_TRUE(policy_.OnTick(At(100)).send_announce);
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kAnnounce, At(150))));
  EXPECT_TRUE(policy_.OnTick(At(200)).send_announce);
}

TEST_F(Policy, ANewerFullConfigurationIsAdoptedAndNotSentAgain) {
  StartAtV5();
  Actions a = policy_.OnHeard(kV6, Heard::kFull, At(10));
  EXPECT_TRUE(a.adopt);
  EXPECT_FALSE(a.send_full);
  // Every member heard it: adopting it sends nothing.
  EXPECT_TRUE(Nothing(policy_.OnLocalChange(kV6, false, At(11))));
  EXPECT_EQ(policy_.local(), kV6);
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kFull, At(12))));
}

TEST_F(Policy, PartsOfANewerConfigurationAreWantedButAskForNothing) {
  StartAtV5();
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kPart, At(10))));
  EXPECT_TRUE(policy_.Wants(kV6));
  EXPECT_FALSE(policy_.Wants(kV5));
  EXPECT_FALSE(policy_.Wants(kV4));
}

TEST_F(Policy, ARefusedConfigurationAsksForNothingWhenHeardAgain) {
  StartAtV5();
  ASSERT_TRUE(policy_.OnHeard(kV6, Heard::kFull, At(10)).adopt);
  policy_.OnRefused(kV6);
  EXPECT_FALSE(policy_.Wants(kV6));
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kFull, At(500))));
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV6, Heard::kAnnounce, At(600))));
  // A still newer one is taken as usual.
  EXPECT_TRUE(policy_.OnHeard({7, "s1", "dd"}, Heard::kFull, At(700)).adopt);
}

TEST_F(Policy, AChangeMadeHereIsSentAtOnce) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnLocalChange(kV6, true, At(300)).send_full);
  EXPECT_EQ(policy_.local(), kV6);
}

TEST_F(Policy, ChangesMadeHereInQuickSuccessionAreSentAtMostEvery100Ms) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnLocalChange(kV6, true, At(300)).send_full);
  EXPECT_TRUE(Nothing(policy_.OnLocalChange({7, "s1", "dd"}, true, At(330))));
  EXPECT_TRUE(policy_.OnTick(At(400)).send_full);
}

TEST_F(Policy, AFullConfigurationPostponesThePeriodicAnnouncement) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnLocalChange(kV6, true, At(800)).send_full);
  EXPECT_TRUE(Nothing(policy_.OnTick(At(1000))));
  EXPECT_TRUE(policy_.OnTick(At(1800)).send_announce);
}

TEST_F(Policy, AdoptingCancelsAnAnswerAboutTheConfigurationWeHad) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnHeard(kV4, Heard::kAnnounce, At(10)).send_full);
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV4, Heard::kAnnounce, At(20))));  // pending for 110
  EXPECT_TRUE(Nothing(policy_.OnLocalChange(kV6, false, At(50))));
  EXPECT_TRUE(Nothing(policy_.OnTick(At(110))));
}

class DelayedPolicy : public Policy {
 protected:
  DelayedPolicy() : Policy(Delay20(), 13) {}  // every answer waits 13 ms
  static SyncTimings Delay20() {
    SyncTimings t;
    t.answer_delay_max = milliseconds(20);
    return t;
  }
};

TEST_F(DelayedPolicy, AnAnswerWaitsItsRandomDelay) {
  StartAtV5();
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV4, Heard::kAnnounce, At(100))));
  EXPECT_EQ(policy_.NextDeadline(), At(113));
  EXPECT_TRUE(policy_.OnTick(At(113)).send_full);
}

TEST_F(DelayedPolicy, AnAnswerIsDroppedWhenAnotherServerSendsOursFirst) {
  StartAtV5();
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV4, Heard::kAnnounce, At(100))));
  EXPECT_TRUE(Nothing(policy_.OnHeard(kV5, Heard::kPart, At(105))));
  EXPECT_TRUE(Nothing(policy_.OnTick(At(113))));
  EXPECT_TRUE(Nothing(policy_.OnTick(At(500))));
}

TEST_F(DelayedPolicy, AChangeMadeHereIsNotDelayed) {
  StartAtV5();
  EXPECT_TRUE(policy_.OnLocalChange(kV6, true, At(300)).send_full);
}

}  // namespace
}  // namespace dabs::configd
