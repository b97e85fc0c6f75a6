#include <map>

#include <gtest/gtest.h>

#include <dabs/farm/voting.h>
#include <dabs/mp/testing/fake_clock.h>

namespace dabs::farm {
namespace {

using std::chrono::milliseconds;

std::vector<Candidate> Three() {
  return {{"s1", 1, 1000, 0}, {"s2", 2, 3000, 0}, {"s3", 3, 6000, 0}};  // loads 10, 30, 60
}

uint32_t VotesOf(const std::string& self, bool has_instance, Policy p = Policy::kVote) {
  VoteInputs in;
  in.policy = p;
  in.eligible = Three();
  in.self = self;
  in.has_instance = has_instance;
  in.request_key = "k";
  return CastVotes(in);
}

mp::Ballot B(const std::string& server, uint16_t index, uint32_t votes, uint64_t t,
             mp::Abstain abstain = mp::Abstain::kNone) {
  mp::Ballot b;
  b.request_key = "req";
  b.app = "echo";
  b.server = server;
  b.index = index;
  b.votes = votes;
  b.ballot_time_us = t;
  b.abstain = abstain;
  return b;
}

TEST(Votes, ThreeServersCastTheSeedsTable3) {
  // With an available instance 10/9/8 by load rank, without 7/6/5 (seed 002 Table 3).
  EXPECT_EQ(VotesOf("s1", true), 10u);
  EXPECT_EQ(VotesOf("s2", true), 9u);
  EXPECT_EQ(VotesOf("s3", true), 8u);
  EXPECT_EQ(VotesOf("s1", false), 7u);
  EXPECT_EQ(VotesOf("s2", false), 6u);
  EXPECT_EQ(VotesOf("s3", false), 5u);
}

TEST(Votes, NServersCast2NPlus4MinusRankOrNPlus4MinusRank) {
  VoteInputs in;
  for (uint16_t i = 1; i <= 7; ++i)
    in.eligible.push_back({"s" + std::to_string(i), i, i * 1000u, 0});
  in.self = "s5";  // rank 4
  in.has_instance = true;
  EXPECT_EQ(CastVotes(in), 2 * 7 + 4 - 4u);
  in.has_instance = false;
  EXPECT_EQ(CastVotes(in), 7 + 4 - 4u);
}

TEST(Votes, LoadsWithinOneBandRankByFewerSessionsThenIndex) {
  std::vector<Candidate> c = {
      {"s1", 1, 1200, 40}, {"s2", 2, 1499, 10}, {"s3", 3, 1000, 40}, {"s4", 4, 1600, 0}};
  RankByLoad(c);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].id, "s2");  // band 2, fewest sessions
  EXPECT_EQ(c[1].id, "s1");  // band 2, 40 sessions, index 1
  EXPECT_EQ(c[2].id, "s3");
  EXPECT_EQ(c[3].id, "s4");  // band 3
}

TEST(Votes, TheBaselinePoliciesPickOneServerEach) {
  // least-loaded ignores instances; round-robin turns with the sequence; random and
  // two-choices depend on the request only, so every voter agrees on who should win.
  EXPECT_GT(VotesOf("s1", false, Policy::kLeastLoaded), VotesOf("s2", true, Policy::kLeastLoaded));
  std::map<std::string, int> wins;
  for (uint64_t seq = 0; seq < 9; ++seq) {
    std::string best;
    uint32_t top = 0;
    for (const char* s : {"s1", "s2", "s3"}) {
      VoteInputs in;
      in.policy = Policy::kRoundRobin;
      in.eligible = Three();
      in.self = s;
      in.sequence = seq;
      if (CastVotes(in) > top) top = CastVotes(in), best = s;
    }
    ++wins[best];
  }
  EXPECT_EQ(wins["s1"], 3);
  EXPECT_EQ(wins["s2"], 3);
  EXPECT_EQ(wins["s3"], 3);
  for (int r = 0; r < 50; ++r) {
    int positive = 0;
    for (const char* s : {"s1", "s2", "s3"}) {
      VoteInputs in;
      in.policy = Policy::kTwoChoices;
      in.eligible = Three();
      in.self = s;
      in.request_key = "req-" + std::to_string(r);
      positive += CastVotes(in) > 0;
    }
    EXPECT_EQ(positive, 2) << "two-choices draws exactly two servers";
  }
}

TEST(Decide, MostVotesWinThenTheEarliestBallotThenTheLowestIndex) {
  auto d = Decide({B("s1", 1, 7, 100), B("s2", 2, 9, 300), B("s3", 3, 9, 200)});
  ASSERT_EQ(d.outcome, Outcome::kPlaced);
  EXPECT_EQ(d.winner->server, "s3");  // 9 votes, earlier ballot
  d = Decide({B("s2", 2, 9, 200), B("s3", 3, 9, 200)});
  EXPECT_EQ(d.winner->server, "s2");  // same time: lower index
}

TEST(Decide, TheOrderBallotsArriveInDoesNotMatter) {
  std::vector<mp::Ballot> ballots = {B("s1", 1, 8, 5), B("s2", 2, 10, 9), B("s3", 3, 10, 9),
                                     B("s4", 4, 0, 1)};
  std::sort(ballots.begin(), ballots.end(), [](auto& a, auto& b) { return a.server < b.server; });
  const std::string first = Decide(ballots).winner->server;
  do {
    EXPECT_EQ(Decide(ballots).winner->server, first);
  } while (std::next_permutation(ballots.begin(), ballots.end(),
                                 [](auto& a, auto& b) { return a.server < b.server; }));
  EXPECT_EQ(first, "s2");
}

TEST(Decide, NobodyCanTakeItSoTheLowestIndexVoterNaksWithTheReason) {
  auto d = Decide(
      {B("s2", 2, 0, 1, mp::Abstain::kUnknownApp), B("s1", 1, 0, 1, mp::Abstain::kUnknownApp)});
  EXPECT_EQ(d.outcome, Outcome::kUnknownApp);
  EXPECT_EQ(d.naker, "s1");
  d = Decide({B("s2", 2, 0, 1, mp::Abstain::kLimit), B("s3", 3, 0, 1, mp::Abstain::kNotEligible)});
  EXPECT_EQ(d.outcome, Outcome::kLimit);
  EXPECT_EQ(d.naker, "s2");
  d = Decide({B("s3", 3, 0, 1, mp::Abstain::kNotEligible)});
  EXPECT_EQ(d.outcome, Outcome::kNoCapacity);
}

class BallotBoxTest : public ::testing::Test {
 protected:
  mp::testing::FakeClock clock_;
  BallotBox box_{BallotBoxConfig{milliseconds(10), std::chrono::seconds(30), 3, 100}, clock_};
  std::set<std::string> live_ = {"s1", "s2", "s3"};
};

TEST_F(BallotBoxTest, DecidesAsSoonAsEveryLiveMemberVoted) {
  ASSERT_TRUE(box_.Open("req", "echo"));
  box_.Add(B("s1", 1, 7, 1));
  box_.Add(B("s2", 2, 9, 2));
  EXPECT_TRUE(box_.Poll(live_).empty());
  box_.Add(B("s3", 3, 8, 3));
  auto d = box_.Poll(live_);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].all_voted);
  EXPECT_EQ(d[0].winner->server, "s2");
  EXPECT_EQ(d[0].waited, mp::Duration(0));
  ASSERT_NE(box_.Decided("req"), nullptr);
  EXPECT_FALSE(box_.IsOpen("req"));
}

TEST_F(BallotBoxTest, AMissingBallotCostsTheWindowAndLateBallotsChangeNothing) {
  box_.Open("req", "echo");
  box_.Add(B("s1", 1, 7, 1));
  clock_.Advance(milliseconds(9));
  EXPECT_TRUE(box_.Poll(live_).empty());
  EXPECT_EQ(box_.NextDeadline(), clock_.Now() + milliseconds(1));
  clock_.Advance(milliseconds(1));
  auto d = box_.Poll(live_);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].all_voted);
  EXPECT_EQ(d[0].winner->server, "s1");
  box_.Add(B("s2", 2, 10, 2));
  EXPECT_EQ(box_.stats().late_ballots, 1u);
  EXPECT_EQ(box_.Decided("req")->winner->server, "s1");
}

TEST_F(BallotBoxTest, BallotsBeforeTheRequestCountAndASecondBallotOfAServerDoesNot) {
  box_.Add(B("s2", 2, 9, 2));
  box_.Add(B("s2", 2, 1, 2));
  EXPECT_EQ(box_.stats().duplicate_ballots, 1u);
  EXPECT_TRUE(box_.Open("req", "echo"));
  box_.Add(B("s1", 1, 7, 1));
  box_.Add(B("s3", 3, 8, 3));
  auto d = box_.Poll(live_);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].winner->votes, 9u);
}

TEST_F(BallotBoxTest, OpenVotesAreBoundedAndDecisionsForgottenAfterTheirTime) {
  EXPECT_TRUE(box_.Open("a", "echo"));
  EXPECT_TRUE(box_.Open("b", "echo"));
  EXPECT_TRUE(box_.Open("c", "echo"));
  EXPECT_FALSE(box_.Open("d", "echo"));
  EXPECT_EQ(box_.stats().refused_full, 1u);
  box_.Add(B("s1", 1, 7, 1));  // for "req": also refused, the box is full
  for (const char* k : {"a", "b", "c"}) {
    auto b = B("s1", 1, 7, 1);
    b.request_key = k;
    box_.Add(b);
  }
  clock_.Advance(milliseconds(10));
  EXPECT_EQ(box_.Poll(live_).size(), 3u);
  EXPECT_TRUE(box_.Voted("a", "s1"));
  clock_.Advance(std::chrono::seconds(31));
  box_.Poll(live_);
  EXPECT_EQ(box_.Decided("a"), nullptr);
}

TEST_F(BallotBoxTest, ARequestNobodyVotedOnIsDroppedForTheClientToResend) {
  box_.Open("req", "echo");
  clock_.Advance(milliseconds(10));
  EXPECT_TRUE(box_.Poll(live_).empty());
  EXPECT_FALSE(box_.IsOpen("req"));
  EXPECT_EQ(box_.Decided("req"), nullptr);
}

}  // namespace
}  // namespace dabs::farm
