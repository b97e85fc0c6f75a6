// Real dabs-statd processes on loopback multicast: a farm of three exchanges SERVER_STATS and
// each stores everyone's figures; a SIGKILLed dabs-statd restarts with its history intact and
// is heard again; resources under placement.min_free and latency over high water reach a
// (fake) dabs-lbd, also when a new stored configuration moves the marks; the command line
// answers as the contract says.
#include <gtest/gtest.h>

#include <dabs/config/load.h>
#include <dabs/config/persist.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/statd/server_figures.h>

#include "testing/statd_fixture.h"

namespace dabs::statd {
namespace {

using namespace testing;

// Everyone's store holds a current record of every server newer than `since_ms`.
bool AllHeard(std::vector<std::unique_ptr<StoreView>>& stores, const std::vector<std::string>& ids,
              int64_t since_ms) {
  for (auto& s : stores) {
    auto current = s->Current();
    for (const auto& id : ids) {
      auto it = current.find(id);
      if (it == current.end() || it->second.sampled_ms <= since_ms) return false;
    }
  }
  return true;
}

TEST(StatdFarm, ThreeServersStoreEachOthersFiguresAndAKilledOneKeepsItsHistoryAndRejoins) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const auto farm = WriteFarmFile(dir.path(), {});
  const std::vector<std::string> ids = {"s1", "s2", "s3"};
  std::vector<std::unique_ptr<StatdProcess>> statd;
  for (const auto& id : ids) {
    statd.push_back(std::make_unique<StatdProcess>(
        farm, id, dir.path() / id,
        std::vector<std::string>{"--agentx-socket", "none", "--sample-ms", "500"}));
    ASSERT_TRUE(statd.back()->Start()) << id << " did not start";
  }
  std::vector<std::unique_ptr<StoreView>> stores;
  for (const auto& id : ids) {
    stores.push_back(std::make_unique<StoreView>(dir.path() / id));
    ASSERT_TRUE(stores.back()->ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return AllHeard(stores, ids, 0); }, 30s))
      << "every store should hold every server's figures";
  // The figures are the machine's, not placeholders.
  for (auto& s : stores) {
    for (const auto& [id, r] : s->Current()) {
      EXPECT_GT(FigureOr(r, figure::kMemoryPct), 0) << id;
      EXPECT_LE(FigureOr(r, figure::kMemoryPct), 100) << id;
      EXPECT_GE(FigureOr(r, figure::kCpuPct), 0) << id;
      EXPECT_LE(FigureOr(r, figure::kCpuPct), 100) << id;
      EXPECT_GT(FigureOr(r, figure::kFreeDiskMb), 0) << id;
    }
  }

  // s2's own ring, a few samples long, then SIGKILL.
  ASSERT_TRUE(WaitUntil([&] { return stores[1]->History("s2").size() >= 4; }, 30s));
  statd[1]->Kill();
  const auto before = stores[1]->History("s2");
  ASSERT_GE(before.size(), 4u);
  const int64_t killed_ms = UnixMillisNow();

  ASSERT_TRUE(statd[1]->Start()) << "s2 did not restart";
  ASSERT_TRUE(WaitUntil([&] { return AllHeard(stores, ids, killed_ms); }, 30s))
      << "the restarted s2 hears the others and they hear it";
  const auto after = stores[1]->History("s2");
  ASSERT_GT(after.size(), before.size());
  for (const auto& old : before) {
    const bool kept = std::any_of(after.begin(), after.end(),
                                  [&](const auto& r) { return r.sampled_ms == old.sampled_ms; });
    EXPECT_TRUE(kept) << "sample of " << old.sampled_ms << " lost across the restart";
  }
  EXPECT_GT(after.back().sampled_ms, killed_ms);
  // The others keep a ring of s2 too.
  EXPECT_GE(stores[0]->History("s2").size(), before.size());
}

TEST(StatdLbd, ResourcesUnderTheMinimumAndLatencyOverHighWaterAreToldToDabsLbd) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  FarmFile f;
  f.servers = {"s1"};
  f.min_free_memory_mb = 4'000'000'000;  // more than any machine has: below at once
  const auto farm = WriteFarmFile(dir.path(), f);
  const fs::path state = dir.path() / "s1";
  fs::create_directories(state);
  mp::IoThreads io(1);
  LocalPeer lbd(io.io(), LbdSocketPath(state));
  mp::Statistics slow;  // a DASP instance whose clients wait 600 ms (high water 250)
  slow.values = {{mp::stat_tag::kSessions, 12}, {mp::stat_tag::kLatencyP99Ms, 600}};
  LocalPeer dasp(io.io(), state / "dasp.sock", slow);

  StatdProcess s1(farm, "s1", state, {"--agentx-socket", "none"});
  ASSERT_TRUE(s1.Start());
  auto below = lbd.WaitStats(
      [](const mp::ServerStats& s) {
        return (s.figures.Get(mp::server_stat::kBelowMinimums) & 2) != 0;
      },
      20s);
  ASSERT_TRUE(below.has_value()) << "dabs-lbd should hear that memory is below the minimum";
  EXPECT_EQ(below->server, "s1");
  EXPECT_GT(below->figures.Get(mp::server_stat::kFreeMemoryMb), 0u);

  // An instance appears in the dasps database (as dabs-lbd's supervisor writes it).
  StoreView view(state);
  ASSERT_TRUE(view.ok());
  store::DaspRecord r;
  r.va = 0x00100001;
  r.app = "calc";
  r.server = "s1";
  r.state = "ready";
  r.control = (state / "dasp.sock").string();
  ASSERT_TRUE(view.store()
                  .Write([&](store::WriteTxn& txn) {
                    return txn.Put(store::Database::kDasps, store::VaKey(r.va), store::ToJson(r));
                  })
                  .ok());
  auto high = lbd.WaitStats(
      [](const mp::ServerStats& s) { return s.figures.Get(mp::server_stat::kLatencyHigh) == 1; },
      20s);
  ASSERT_TRUE(high.has_value()) << "dabs-lbd should hear that latency went over high water";
  EXPECT_EQ(high->figures.Get(mp::server_stat::kLatencyP99Ms), 600u);
  EXPECT_EQ(high->figures.Get(mp::server_stat::kInstances), 1u);
  EXPECT_EQ(high->figures.Get(mp::server_stat::kSessions), 12u);
  EXPECT_GT(dasp.Count(mp::wire::kGetStatistics), 0u);
  // Crossings are told once each, not every second.
  const size_t told = lbd.Count(mp::wire::kServerStats);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(lbd.Count(mp::wire::kServerStats), told);
  // dabs-configd raises the high-water mark: dabs-statd follows the stored configuration's
  // version, and dabs-lbd hears that the latency is no longer high.
  auto records = config::LoadFarmFile(farm);
  ASSERT_TRUE(records.ok()) << records.error().Message();
  records->records.values["latency.high_water_ms"] = "1000";
  records->records.values["latency.low_water_ms"] = "800";
  records->records.version = 2;
  records->records.origin = "s1";
  ASSERT_TRUE(config::SaveConfig(view.store(), records->records, "test").ok());
  auto normal = lbd.WaitStats(
      [](const mp::ServerStats& s) {
        return s.figures.Get(mp::server_stat::kLatencyHigh) == 0 &&
               s.figures.Get(mp::server_stat::kLatencyP99Ms) == 600;
      },
      20s);
  ASSERT_TRUE(normal.has_value()) << "a new high-water mark over the latency ends the crossing";
  EXPECT_NE(normal->figures.Get(mp::server_stat::kBelowMinimums) & 2, 0u) << "memory still below";
  // And the store has the same figures for everyone to read.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto c = view.Current();
        return c.count("s1") && FigureOr(c.at("s1"), figure::kLatencyP99Ms) == 600;
      },
      10s));
}

// Runs dabs-statd with `args` under sh, its stderr in a file; answers (exit status, stderr).
std::pair<int, std::string> RunStatd(const fs::path& dir, const std::string& args) {
  const fs::path err = dir / "stderr.txt";
  dabs::testing::Subprocess p(
      {"/bin/sh", "-c", std::string("exec ") + DABS_STATD + " " + args + " 2>" + err.string()});
  while (p.ReadLine(60s)) {
  }
  const int status = p.Wait();
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

TEST(StatdCommandLine, HelpBadArgumentsAndABadFarmFileAnswerAsTheContractSays) {
  TempDir dir;
  auto [help, help_err] = RunStatd(dir.path(), "--help");
  EXPECT_EQ(help, 0);
  auto [missing, missing_err] = RunStatd(dir.path(), "--farm x.yaml");
  EXPECT_EQ(missing, 2);
  EXPECT_EQ(std::count(missing_err.begin(), missing_err.end(), '\n'), 1) << missing_err;
  EXPECT_NE(missing_err.find("--server"), std::string::npos) << missing_err;
  auto [period, period_err] =
      RunStatd(dir.path(), "--farm x --server s1 --state-dir d --sample-ms 5");
  EXPECT_EQ(period, 2) << period_err;
  std::ofstream(dir.path() / "bad.yaml") << "farm:\n  name: x\n  heartbeat_ms: -1\n";
  auto [bad, bad_err] =
      RunStatd(dir.path(), "--farm " + (dir.path() / "bad.yaml").string() +
                               " --server s1 --state-dir " + (dir.path() / "s").string());
  EXPECT_EQ(bad, 1);
  EXPECT_NE(bad_err.find("bad.yaml"), std::string::npos)
      << "the problem names the file: " << bad_err;
}

TEST(StatdCommandLine, SigtermStopsItCleanly) {
  TempDir dir;
  FarmFile f;
  f.servers = {"s1"};
  const auto farm = WriteFarmFile(dir.path(), f);
  StatdProcess s1(farm, "s1", dir.path() / "s1", {"--agentx-socket", "none"});
  ASSERT_TRUE(s1.Start());
  s1.process().Signal(SIGTERM);
  const int status = s1.process().Wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace dabs::statd
