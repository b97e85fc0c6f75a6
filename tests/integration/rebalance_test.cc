// Starvation avoidance end to end (issue 10, seeds 000 and 004): real daemons started by
// dabs-farm, each server in its own network namespace, set-tops in the root namespace running
// the counter application through the DACP framework. A server is starved by a fault the test
// injects (DABS_FAULT_HANDLER_DELAY: its DASPs take 30 ms per message); the farm must move its
// sessions away one per period until it no longer starves, each once before any twice, with
// every ADD counted exactly once across the moves (the counter's session total goes on where
// it was).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/faults.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

#include "counting_client.h"
#include "farm_process.h"
#include "store_reads.h"

namespace dabs::farm::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool WaitUntil(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

using Counting = dabs::testing::CountingClient;

// Loss and duplication both ways on the set-tops' link, from one seeded stream.
class LossyLink final : public mp::LinkShaper {
 public:
  LossyLink(const mp::FaultProfile& profile, uint64_t seed)
      : random_(seed), faults_(profile, random_) {}
  mp::FaultDecision Outbound(const mp::Endpoint&, std::span<const uint8_t> b,
                             mp::TimePoint) override {
    return faults_.Decide(b.size());
  }
  mp::FaultDecision Inbound(const mp::Endpoint&, std::span<const uint8_t> b,
                            mp::TimePoint) override {
    return faults_.Decide(b.size());
  }

 private:
  mp::SeededRandom random_;
  mp::FaultInjector faults_;
};

class RebalanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("drb-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    farm_ = UniqueFarm();
    TestApp counter;
    counter.name = "counter";
    counter.dasp = (fs::path(DABS_BIN_DIR) / "counter-dasp").string();
    farm_.apps.push_back(counter);
  }
  void TearDown() override {
    for (auto& c : counting_)
      c->Stop();
    for (auto& c : counting_)
      WaitUntil(5s, [&] { return c->idle.load(); });
    counting_.clear();
    gateway_.reset();
    stores_.clear();
    if (process_) {
      const int status = process_->Stop();
      // dabs-farm exits 1 when a daemon it started ended on its own (a test stopped it).
      if (!stopped_a_daemon_) {
        EXPECT_EQ(status, 0) << "dabs-farm should stop cleanly";
      }
    }
    process_.reset();
    ::unsetenv("DABS_FAULT_HANDLER_DELAY");
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // `link`: the set-tops' link (loss, duplication); none: loopback as it is.
  void StartFarm(std::shared_ptr<mp::LinkShaper> link = nullptr) {
    FarmProcess::Options o;
    o.dabs_farm = fs::path(DABS_BIN_DIR) / "dabs-farm";
    o.farm_file = WriteFarmFile(farm_, dir_);
    o.state_dir = dir_ / "farm";
    o.servers = 3;
    o.netns = true;
    o.daemons = {"dabs-lbd"};
    auto p = FarmProcess::Start(o);
    ASSERT_TRUE(p.ok()) << p.error().Message();
    process_ = std::move(*p);
    dacp::GatewayConfig gc;
    gc.node.udp = mp::Endpoint::Parse(process_->client_address() + ":0").value();
    gc.node.multicast_interface = process_->client_address();
    gc.node.udp_offload = false;
    if (link) {
      gc.node.shaper = std::move(link);
      // A lost ADD must be resent, never given up: a call that fails leaves its total unknown.
      gc.node.engine.max_transmissions = 12;
      gc.node.engine.rto.ceiling = 1s;
    }
    gateway_ = dacp::Gateway::Create(io_.io(), gc).value();
  }

  // Opens `n` counting set-tops (opened one after another, as a channel change would).
  void OpenCounting(int n) {
    const auto group =
        mp::Endpoint::Parse(farm_.group_prefix + "1:" + std::to_string(farm_.port)).value();
    for (int i = 0; i < n; ++i) {
      auto c = Counting::Open(*gateway_, io_.io(), group, "stb-" + std::to_string(i), 2ms);
      ASSERT_TRUE(c.ok()) << c.error().Message();
      counting_.push_back(std::move(*c));
    }
    for (auto& c : counting_)
      c->Start();
  }

  store::Store& StoreOf(const std::string& server) {
    auto& s = stores_[server];
    if (!s) s = store::Store::Open(process_->server_dir(server) / "store").value();
    return *s;
  }
  // The server each set-top's session is on now, from its DASP's address.
  std::map<std::string, int> SessionsPerServer() {
    std::map<std::string, std::string> by_address;
    for (const auto& [id, r] : ServerRecords(StoreOf("s2"))) {
      by_address[r.lbd.substr(0, r.lbd.rfind(':'))] = id;
    }
    std::map<std::string, int> per;
    for (const auto& c : counting_) {
      auto s = c->client->session();
      if (!s) continue;
      const std::string address = s->dasp.ToString();
      ++per[by_address[address.substr(0, address.rfind(':'))]];
    }
    return per;
  }
  // The BALANCE a server announces, as it records itself.
  std::string Balance(const std::string& server) {
    auto all = ServerRecords(StoreOf(server));
    return all.count(server) ? all.at(server).balance : "";
  }
  std::vector<store::MoveRecord> Moves(const std::string& server) {
    return MoveRecords(StoreOf(server));
  }

  fs::path dir_;
  TestFarm farm_;
  std::unique_ptr<FarmProcess> process_;
  mp::IoThreads io_{1};
  std::shared_ptr<dacp::Gateway> gateway_;
  std::vector<std::shared_ptr<Counting>> counting_;
  std::map<std::string, std::unique_ptr<store::Store>> stores_;
  bool stopped_a_daemon_ = false;
};

TEST_F(RebalanceTest, AStarvingServerIsRelievedOneSessionAtATimeAndEveryAddCountsOnce) {
  ::setenv("DABS_FAULT_HANDLER_DELAY", "s1:30", 1);  // s1's DASPs: 30 ms per message
  farm_.rebalance_period_ms = 300;
  farm_.min_free_cpu_pct = 0;  // a busy test machine must not make every server ineligible
  StartFarm();
  OpenCounting(24);
  const auto before = SessionsPerServer();
  ASSERT_GT(before.count("s1") ? before.at("s1") : 0, 2) << "the vote put too few sessions on s1";
  std::printf("before: s1 %d, s2 %d, s3 %d sessions\n", before.count("s1") ? before.at("s1") : 0,
              before.count("s2") ? before.at("s2") : 0, before.count("s3") ? before.at("s3") : 0);

  // s1 starves (its queue never empties: a backlog), becomes a source and gives sessions
  // away one per period; with fewer sessions its queue keeps up and it is a source no more.
  const auto start = Clock::now();
  ASSERT_TRUE(WaitUntil(20s, [&] { return Balance("s1") == "source"; }))
      << "s1 never became a source";
  const auto became = Clock::now();
  EXPECT_TRUE(WaitUntil(40s, [&] { return Balance("s1") != "source"; }))
      << "s1 still a source with " << SessionsPerServer()["s1"] << " sessions";
  const auto relieved = Clock::now();
  std::printf("s1 a source after %lld ms, relieved %lld ms later\n",
              static_cast<long long>((became - start) / 1ms),
              static_cast<long long>((relieved - became) / 1ms));
  std::this_thread::sleep_for(2s);  // the counting goes on on the sinks
  const auto after = SessionsPerServer();
  for (auto& c : counting_)
    c->Stop();
  for (auto& c : counting_)
    ASSERT_TRUE(WaitUntil(10s, [&] { return c->idle.load(); }));

  // Every move is recorded by its source, one at a time, each session once.
  auto moves = Moves("s1");
  std::set<uint32_t> moved;
  int done = 0;
  int64_t last_at = 0;
  for (const auto& m : moves) {
    if (m.outcome != "moved") {
      std::printf("move of 0x%08x failed: %s\n", m.client_va, m.outcome.c_str());
      continue;
    }
    ++done;
    EXPECT_TRUE(moved.insert(m.client_va).second) << "moved twice: " << m.client_va;
    EXPECT_EQ(m.from, "s1");
    EXPECT_NE(m.to, "s1");
    EXPECT_EQ(m.why, "backlog");
    EXPECT_GE(m.at_ms, last_at);
    last_at = m.at_ms;
    EXPECT_LT(m.pause_us, 2'000'000u) << "a move froze its session for over 2 s";
  }
  EXPECT_GE(done, 1);
  EXPECT_EQ(after.count("s1") ? after.at("s1") : 0, before.at("s1") - done)
      << "s1 holds its sessions less those it moved";
  for (const char* sink : {"s2", "s3"}) {
    for (const auto& m : Moves(sink))
      EXPECT_NE(m.outcome, "moved") << sink << " moved " << m.client_va << " to " << m.to;
  }
  // Exactly once: every reply carried the count of the ADDs answered before it, plus one.
  uint64_t adds = 0, redirects = 0;
  for (const auto& c : counting_) {
    EXPECT_EQ(c->wrong_totals.load(), 0u) << c->client->session()->client_va;
    EXPECT_EQ(c->failures.load(), 0u) << c->first_failure();
    EXPECT_EQ(c->client->stats().rehomes, 0u) << "a moved session must not need re-homing";
    adds += c->answered;
    redirects += c->client->stats().redirects;
  }
  EXPECT_GE(redirects, static_cast<uint64_t>(done));  // a move may still be on its way
  EXPECT_LE(redirects, static_cast<uint64_t>(done) + 1);
  std::printf("%d moves, %llu ADDs counted exactly once\n", done,
              static_cast<unsigned long long>(adds));
}

TEST_F(RebalanceTest, UnderSpreadAnOnDemandApplicationEndsBalancedAndNothingComesBack) {
  // Started on demand, the first server to start an instance used to collect every session
  // (its instance earns the most votes): 427 / 947 / 444 in the issue. Under spread a server
  // over the mean by more than spread_pct gives sessions away and votes for none.
  farm_.rebalance = "spread";
  farm_.spread_pct = 10;
  farm_.rebalance_period_ms = 200;
  farm_.min_free_cpu_pct = 0;
  farm_.apps[0].start_at_init = 0;
  StartFarm();
  OpenCounting(30);
  auto ratio = [&] {
    auto per = SessionsPerServer();
    int max = 0, sum = 0;
    for (const auto& [id, n] : per) {
      max = std::max(max, n);
      sum += n;
    }
    return sum ? max / (sum / 3.0) : 0.0;
  };
  EXPECT_TRUE(WaitUntil(30s, [&] { return ratio() <= 1.10; }))
      << "max/mean " << ratio() << ": s1 " << SessionsPerServer()["s1"] << ", s2 "
      << SessionsPerServer()["s2"] << ", s3 " << SessionsPerServer()["s3"];
  std::this_thread::sleep_for(2s);  // at the edge: nothing more should move
  for (auto& c : counting_)
    c->Stop();
  for (auto& c : counting_)
    ASSERT_TRUE(WaitUntil(10s, [&] { return c->idle.load(); }));
  EXPECT_LE(ratio(), 1.10);
  // No session went back where it came from, and none moved twice while another had not moved.
  std::map<uint32_t, std::vector<std::pair<std::string, std::string>>> path;
  for (const char* s : {"s1", "s2", "s3"}) {
    for (const auto& m : Moves(s)) {
      // A sink may have turned since the HELLO the plan used and refuse: nothing moves then.
      if (m.outcome == "moved") path[m.client_va].push_back({m.from, m.to});
    }
  }
  for (const auto& [va, hops] : path) {
    for (size_t i = 1; i < hops.size(); ++i)
      EXPECT_NE(hops[i].second, hops[i - 1].first) << va << " came back";
  }
  for (const auto& c : counting_) {
    EXPECT_EQ(c->wrong_totals.load(), 0u);
    EXPECT_EQ(c->failures.load(), 0u) << c->first_failure();
  }
  std::printf("%zu sessions moved to even out the farm\n", path.size());
}

TEST_F(RebalanceTest, UnderTenPercentLossAndDuplicationMovesLoseAndRepeatNothing) {
  // Lost REDIRECTs and ACKs are resent, duplicated ones change nothing; held ADDs come back
  // NAKed and go again to the new instance, once.
  ::setenv("DABS_FAULT_HANDLER_DELAY", "s1:30", 1);
  farm_.rebalance_period_ms = 300;
  farm_.min_free_cpu_pct = 0;
  mp::FaultProfile lossy;
  lossy.loss = 0.10;
  lossy.duplicate = 0.05;
  StartFarm(std::make_shared<LossyLink>(lossy, 2026));
  OpenCounting(24);
  ASSERT_TRUE(WaitUntil(20s, [&] { return Balance("s1") == "source"; }));
  EXPECT_TRUE(WaitUntil(40s, [&] {
    int moved = 0;
    for (const auto& m : Moves("s1"))
      moved += m.outcome == "moved";
    return moved >= 3;
  })) << "fewer than 3 moves under loss";
  std::this_thread::sleep_for(1s);
  for (auto& c : counting_)
    c->Stop();
  for (auto& c : counting_)
    ASSERT_TRUE(WaitUntil(20s, [&] { return c->idle.load(); }));
  uint64_t adds = 0, redirects = 0;
  for (const auto& c : counting_) {
    EXPECT_EQ(c->wrong_totals.load(), 0u);
    EXPECT_EQ(c->failures.load(), 0u) << c->first_failure();
    EXPECT_EQ(c->client->stats().rehomes, 0u);
    adds += c->answered;
    redirects += c->client->stats().redirects;
  }
  int moved = 0;
  for (const auto& m : Moves("s1"))
    moved += m.outcome == "moved";
  // One REDIRECT followed per move, no more (a move may still be on its way as we count).
  EXPECT_GE(redirects, static_cast<uint64_t>(moved));
  EXPECT_LE(redirects, static_cast<uint64_t>(moved) + 1);
  std::printf("%d moves under 10%% loss, %llu ADDs counted exactly once\n", moved,
              static_cast<unsigned long long>(adds));
}

TEST_F(RebalanceTest, ACleanStopHandsTheServersSessionsToTheOthersInsteadOfShuttingThemDown) {
  farm_.rebalance_period_ms = 300;
  farm_.min_free_cpu_pct = 0;
  StartFarm();
  OpenCounting(18);
  const int on_s1 = SessionsPerServer()["s1"];
  ASSERT_GT(on_s1, 0);
  std::this_thread::sleep_for(500ms);
  // SIGTERM to s1's dabs-lbd: it moves its sessions away, then stops its DASPs and leaves.
  stopped_a_daemon_ = true;
  const pid_t lbd = process_->DaemonPid("s1", "dabs-lbd");
  ASSERT_GT(lbd, 0);
  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(lbd, SIGTERM), 0);
  EXPECT_TRUE(WaitUntil(15s, [&] { return ::kill(lbd, 0) != 0; })) << "s1's dabs-lbd still runs";
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  std::this_thread::sleep_for(1s);  // the counting goes on elsewhere
  for (auto& c : counting_)
    c->Stop();
  for (auto& c : counting_)
    ASSERT_TRUE(WaitUntil(10s, [&] { return c->idle.load(); }));
  int moved = 0;
  for (const auto& m : Moves("s1")) {
    EXPECT_EQ(m.why, "drain");
    moved += m.outcome == "moved";
  }
  EXPECT_EQ(moved, on_s1) << "every session of s1 moved before it left";
  EXPECT_EQ(SessionsPerServer()["s1"], 0);
  for (const auto& c : counting_) {
    EXPECT_EQ(c->wrong_totals.load(), 0u);
    EXPECT_EQ(c->failures.load(), 0u) << c->first_failure();
    EXPECT_EQ(c->client->stats().rehomes, 0u) << "moved, not shut down and re-homed";
    EXPECT_EQ(c->client->stats().shutdowns, 0u);
  }
  std::printf("s1 handed %d sessions over and left in %lld ms\n", moved,
              static_cast<long long>(took.count()));
}

}  // namespace
}  // namespace dabs::farm::testing
