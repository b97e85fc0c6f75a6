#include <gtest/gtest.h>

#include <dabs/farm/membership.h>
#include <dabs/mp/testing/fake_clock.h>

namespace dabs::farm {
namespace {

using std::chrono::milliseconds;

mp::Hello HelloFrom(const std::string& id, uint16_t index, uint64_t incarnation) {
  mp::Hello h;
  h.server = id;
  h.index = index;
  h.lbd = mp::Endpoint::Parse("127.0.0.1:" + std::to_string(7400 + index)).value();
  h.lease_ms = 1000;
  h.incarnation = incarnation;
  h.load_x100 = 100 * index;
  return h;
}

class MembershipTest : public ::testing::Test {
 protected:
  mp::testing::FakeClock clock_;
  Membership m_{
      Member{
          "s1", 1, mp::Endpoint::Parse("127.0.0.1:7401").value(), {}, {}, 77, milliseconds(1000)},
      milliseconds(250), clock_};
};

TEST_F(MembershipTest, AServerJoinsOnItsFirstHelloAndIsUsableAtOnce) {
  ASSERT_EQ(m_.Alive().size(), 1u);
  auto change = m_.OnHello(HelloFrom("s2", 2, 5));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->event, MemberEvent::kJoined);
  EXPECT_EQ(m_.Alive().size(), 2u);
  EXPECT_EQ(m_.StateOf("s2"), "alive");
  // Later HELLOs of the same life change nothing but refresh it.
  EXPECT_FALSE(m_.OnHello(HelloFrom("s2", 2, 5)));
}

TEST_F(MembershipTest, OurOwnHelloHeardBackIsIgnored) {
  EXPECT_FALSE(m_.OnHello(HelloFrom("s1", 1, 77)));
  EXPECT_EQ(m_.Alive().size(), 1u);
}

TEST_F(MembershipTest, ALargerIncarnationIsARestartAndASmallerOneALateHelloOfAPastLife) {
  ASSERT_TRUE(m_.OnHello(HelloFrom("s2", 2, 5)));
  auto restart = m_.OnHello(HelloFrom("s2", 2, 6));
  ASSERT_TRUE(restart);
  EXPECT_EQ(restart->event, MemberEvent::kRestarted);
  EXPECT_FALSE(m_.OnHello(HelloFrom("s2", 2, 5)));
  EXPECT_EQ(m_.Find("s2")->incarnation, 6u);
}

TEST_F(MembershipTest, ASilentServerTurnsSuspectThenLeavesWhenItsLeaseLapses) {
  ASSERT_TRUE(m_.OnHello(HelloFrom("s2", 2, 5)));
  clock_.Advance(milliseconds(600));
  EXPECT_TRUE(m_.Expire().empty());
  EXPECT_EQ(m_.StateOf("s2"), "suspect");
  clock_.Advance(milliseconds(401));  // 1001 ms > lease
  auto gone = m_.Expire();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].event, MemberEvent::kExpired);
  EXPECT_EQ(gone[0].member.id, "s2");
  EXPECT_EQ(m_.StateOf("s2"), "gone");
  EXPECT_EQ(m_.RecentlyGone().size(), 1u);
  // We never expire ourselves.
  EXPECT_NE(m_.Find("s1"), nullptr);
  // Coming back is a join.
  auto back = m_.OnHello(HelloFrom("s2", 2, 9));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->event, MemberEvent::kJoined);
  EXPECT_EQ(m_.StateOf("s2"), "alive");
}

TEST_F(MembershipTest, LeaveRemovesAtOnceButNotALeaveOfAPastLife) {
  ASSERT_TRUE(m_.OnHello(HelloFrom("s2", 2, 5)));
  EXPECT_FALSE(m_.OnLeave(mp::Leave{"s2", 4}));
  auto left = m_.OnLeave(mp::Leave{"s2", 5});
  ASSERT_TRUE(left);
  EXPECT_EQ(left->event, MemberEvent::kLeft);
  EXPECT_EQ(m_.Alive().size(), 1u);
}

TEST_F(MembershipTest, AliveIsOrderedByIndexAndSelfHelloSaysWhoWeAre) {
  m_.OnHello(HelloFrom("s3", 3, 1));
  m_.OnHello(HelloFrom("s2", 2, 1));
  auto alive = m_.Alive();
  ASSERT_EQ(alive.size(), 3u);
  EXPECT_EQ(alive[0]->id, "s1");
  EXPECT_EQ(alive[2]->id, "s3");
  m_.self().load_x100 = 4200;
  auto h = m_.SelfHello();
  EXPECT_EQ(h.server, "s1");
  EXPECT_EQ(h.incarnation, 77u);
  EXPECT_EQ(h.lease_ms, 1000u);
  EXPECT_EQ(h.load_x100, 4200u);
}

}  // namespace
}  // namespace dabs::farm
