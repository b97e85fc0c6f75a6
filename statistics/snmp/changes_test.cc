#include <gtest/gtest.h>

#include <dabs/snmp/changes.h>

namespace dabs::snmp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

DaspRow Dasp(uint32_t va, std::string state) {
  DaspRow d;
  d.va = va;
  d.app = "calc";
  d.server = "s1";
  d.state = std::move(state);
  return d;
}

ServerRow Server(std::string id, ServerState state) {
  ServerRow s;
  s.id = std::move(id);
  s.state = state;
  return s;
}

TEST(ChangeDetector, TheFirstSnapshotOnlyRecords) {
  ChangeDetector d(0ms);
  AgentSnapshot s;
  s.dasps = {Dasp(1, "ready")};
  s.servers = {Server("s1", ServerState::kAlive)};
  EXPECT_TRUE(d.Update(s, Clock::now()).empty());
  EXPECT_TRUE(d.Update(s, Clock::now()).empty()) << "nothing changed";
}

TEST(ChangeDetector, ADaspStateChangeIsReportedOnceWithItsNewState) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  AgentSnapshot s;
  s.dasps = {Dasp(1, "ready"), Dasp(2, "ready")};
  d.Update(s, t);
  s.dasps[1].state = "busy";
  auto n = d.Update(s, t + 1s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, NotificationKind::kDaspStateChange);
  EXPECT_EQ(n[0].dasp.va, 2u);
  EXPECT_EQ(n[0].dasp.state, "busy");
  EXPECT_TRUE(d.Update(s, t + 2s).empty());
}

TEST(ChangeDetector, ANewDaspAndAVanishedLiveOneAreReported) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  AgentSnapshot s;
  s.dasps = {Dasp(1, "ready"), Dasp(2, "failed")};
  d.Update(s, t);
  s.dasps = {Dasp(3, "starting")};
  auto n = d.Update(s, t + 1s);
  ASSERT_EQ(n.size(), 2u) << "3 appeared, 1 vanished; 2 had failed already";
  EXPECT_EQ(n[0].dasp.va, 3u);
  EXPECT_EQ(n[0].dasp.state, "starting");
  EXPECT_EQ(n[1].dasp.va, 1u);
  EXPECT_EQ(n[1].dasp.state, "stopped");
}

TEST(ChangeDetector, ServersJoinAndLeaveOnlyAfterTheGracePeriod) {
  ChangeDetector d(5s);
  const auto t = Clock::now();
  AgentSnapshot s;
  s.servers = {Server("s1", ServerState::kAlive)};
  d.Update(s, t);
  s.servers.push_back(Server("s2", ServerState::kAlive));
  EXPECT_TRUE(d.Update(s, t + 1s).empty()) << "learning the farm at start-up is no join";
  s.servers.push_back(Server("s3", ServerState::kAlive));
  auto n = d.Update(s, t + 6s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, NotificationKind::kServerJoined);
  EXPECT_EQ(n[0].server.id, "s3");
}

TEST(ChangeDetector, AServerLeavesWhenGoneAndRejoinsWhenAliveAgain) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  AgentSnapshot s;
  s.servers = {Server("s1", ServerState::kAlive), Server("s2", ServerState::kAlive)};
  d.Update(s, t);
  s.servers[1].state = ServerState::kSuspect;
  EXPECT_TRUE(d.Update(s, t + 1s).empty()) << "suspect is not gone";
  s.servers[1].state = ServerState::kGone;
  auto left = d.Update(s, t + 2s);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].kind, NotificationKind::kServerLeft);
  EXPECT_EQ(left[0].server.state, ServerState::kGone);
  s.servers[1].state = ServerState::kAlive;
  auto back = d.Update(s, t + 3s);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].kind, NotificationKind::kServerJoined);
  s.servers.pop_back();
  auto removed = d.Update(s, t + 4s);
  ASSERT_EQ(removed.size(), 1u) << "a server removed from the table while alive left";
  EXPECT_EQ(removed[0].kind, NotificationKind::kServerLeft);
}

MoveRow Move(uint64_t seq, std::string outcome = "moved") {
  MoveRow m;
  m.seq = seq;
  m.client_va = 0x00100400 + static_cast<uint32_t>(seq);
  m.app = "calc";
  m.from = "s1";
  m.to = "s2";
  m.why = "backlog";
  m.pause_us = 1500;
  m.outcome = std::move(outcome);
  return m;
}

// What dabs-lbd's "moves/dabs-lbd" record says: its counters and its last moves.
AgentSnapshot WithMoves(std::vector<MoveRow> moves) {
  AgentSnapshot s;
  for (const auto& m : moves) {
    if (Succeeded(m)) {
      ++s.farm.session_moves_out;
    } else {
      ++s.farm.session_move_failures;
    }
  }
  s.moves = std::move(moves);
  return s;
}

std::vector<uint64_t> MovedSeqs(const std::vector<Notification>& notes) {
  std::vector<uint64_t> out;
  for (const auto& n : notes) {
    EXPECT_EQ(n.kind, NotificationKind::kSessionMoved);
    out.push_back(n.move.seq);
  }
  return out;
}

TEST(ChangeDetector, MovesAlreadyListedInTheFirstSnapshotAreNotReplayed) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  const AgentSnapshot s = WithMoves({Move(3), Move(4), Move(5, "the sink refused: full")});
  EXPECT_TRUE(d.Update(s, t).empty());
  EXPECT_TRUE(d.Update(s, t + 1s).empty()) << "no move is new";
}

TEST(ChangeDetector, EachNewSuccessfulMoveIsNotifiedOnceAndFailedMovesNever) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  d.Update(WithMoves({Move(3)}), t);
  // dabs-lbd moved two sessions and failed one (sequence numbers are shared with placement
  // decisions, so they have gaps).
  const AgentSnapshot s =
      WithMoves({Move(3), Move(7), Move(8, "REDIRECT not acknowledged"), Move(11)});
  const auto n = d.Update(s, t + 1s);
  EXPECT_EQ(MovedSeqs(n), (std::vector<uint64_t>{7, 11})) << "oldest first, without 3 or 8";
  ASSERT_FALSE(n.empty());
  EXPECT_EQ(n[0].move.client_va, 0x00100407u);
  EXPECT_EQ(n[0].move.app, "calc");
  EXPECT_EQ(n[0].move.from, "s1");
  EXPECT_EQ(n[0].move.to, "s2");
  EXPECT_EQ(n[0].move.why, "backlog");
  EXPECT_EQ(n[0].move.pause_us, 1500u);
  EXPECT_TRUE(d.Update(s, t + 2s).empty()) << "the same moves again are no news";

  // The list slides (dabs-lbd keeps its last 16): only what is past the highest seen counts.
  AgentSnapshot slid = WithMoves({Move(8, "failed"), Move(11), Move(12)});
  slid.farm.session_moves_out = 4;  // the counters run on while the list slides
  slid.farm.session_move_failures = 1;
  const auto later = d.Update(slid, t + 3s);
  EXPECT_EQ(MovedSeqs(later), (std::vector<uint64_t>{12}));
}

TEST(ChangeDetector, MovesAreReportedFromTheFirstSnapshotThatHasThemWhenItHadNone) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  d.Update(AgentSnapshot{}, t);  // no moves/dabs-lbd record yet
  EXPECT_EQ(MovedSeqs(d.Update(WithMoves({Move(1), Move(2, "failed")}), t + 1s)),
            (std::vector<uint64_t>{1}));
}

TEST(ChangeDetector, AfterDabsLbdRestartsItsMovesAreReportedFromItsNewSequence) {
  ChangeDetector d(0ms);
  const auto t = Clock::now();
  d.Update(WithMoves({Move(40), Move(41), Move(42)}), t);
  // dabs-lbd restarted: its record starts again with its counters at 0 and an empty list...
  EXPECT_TRUE(d.Update(AgentSnapshot{}, t + 1s).empty());
  // ...and its first moves are numbered from 1.
  EXPECT_EQ(MovedSeqs(d.Update(WithMoves({Move(2), Move(5)}), t + 2s)),
            (std::vector<uint64_t>{2, 5}));
  // Also when the restarted dabs-lbd moved before this dabs-statd looked (its newest sequence
  // number went down).
  ChangeDetector e(0ms);
  e.Update(WithMoves({Move(40), Move(41)}), t);
  AgentSnapshot restarted = WithMoves({Move(1), Move(3)});
  restarted.farm.session_moves_out = 5;  // not below: only the sequence shows the restart
  EXPECT_EQ(MovedSeqs(e.Update(restarted, t + 1s)), (std::vector<uint64_t>{1, 3}));
}

TEST(SnapshotBox, TheSubagentSeesEachSnapshotOnceAndABurstKeepsTheNewestNotifications) {
  SnapshotBox box;
  uint64_t seen = 0;
  EXPECT_EQ(box.TakeIfNewer(seen), nullptr);
  AgentSnapshot s;
  s.farm.name = "a";
  box.Publish(s);
  auto got = box.TakeIfNewer(seen);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->farm.name, "a");
  EXPECT_EQ(box.TakeIfNewer(seen), nullptr);

  std::vector<Notification> burst(kMaxQueuedNotifications + 10);
  for (size_t i = 0; i < burst.size(); ++i)
    burst[i].dasp.va = static_cast<uint32_t>(i);
  box.Notify(burst);
  auto taken = box.TakeNotifications();
  ASSERT_EQ(taken.size(), kMaxQueuedNotifications);
  EXPECT_EQ(taken.front().dasp.va, 10u);
  EXPECT_EQ(box.dropped(), 10u);
  EXPECT_TRUE(box.TakeNotifications().empty());
}

}  // namespace
}  // namespace dabs::snmp
