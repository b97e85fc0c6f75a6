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
