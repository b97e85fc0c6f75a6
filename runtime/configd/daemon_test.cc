// Two daemons in one process on loopback multicast: they settle on one configuration, and a
// change applied as an actor (the HTTP API's seam) reaches the other.
#include <thread>

#include <gtest/gtest.h>

#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/configd/daemon.h>

#include "process_harness.h"

namespace dabs::configd {
namespace {

using testing::Millis;
using testing::TestFarm;

class DaemonPair : public ::testing::Test {
 protected:
  DaemonPair() : farm_(std::string("pair-") + CurrentTest()) {}

  static const char* CurrentTest() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  void SetUp() override {
    farm_.WriteFarmFile(3);
    for (const char* s : {"s1", "s2"}) {
      auto adopted = config::AdoptFarmFile(farm_.StoreOf(s), farm_.farm_file(), s);
      ASSERT_TRUE(adopted.ok()) << adopted.error().Message();
      DaemonOptions o;
      o.server = s;
      o.store = &farm_.StoreOf(s);
      o.local_socket = farm_.state_dir(s) / "configd.sock";
      o.group = *mp::Endpoint::Parse(farm_.config_group());
      o.interface = "127.0.0.1";
      o.guard = farm_.Guard(static_cast<uint16_t>(s[1] - '0'));
      auto d = Daemon::Create(io_.io(), o);
      ASSERT_TRUE(d.ok()) << d.error().Message();
      daemons_.push_back(std::move(*d));
    }
    for (auto& d : daemons_)
      d->Start(true);
  }

  // Waits until `d`'s status satisfies `ok`.
  bool Until(Daemon& d, const std::function<bool(const DaemonStatus&)>& ok, Millis timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (ok(d.Status())) return true;
      std::this_thread::sleep_for(Millis(2));
    }
    return ok(d.Status());
  }

  TestFarm farm_;
  mp::IoThreads io_{1};
  std::vector<std::unique_ptr<Daemon>> daemons_;
};

TEST_F(DaemonPair, ServersThatEachImportedTheFileSettleOnTheGreaterOrigin) {
  for (auto& d : daemons_) {
    EXPECT_TRUE(Until(
        *d, [](const DaemonStatus& s) { return s.version == 1 && s.origin == "s2"; }, Millis(1000)))
        << Daemon::StatusJson(d->Status());
  }
  auto stored = config::LoadConfig(farm_.StoreOf("s1"));
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->origin, "s2");
}

TEST_F(DaemonPair, AChangeAppliedAsAnActorReachesTheOtherServer) {
  ASSERT_TRUE(Until(
      *daemons_[0], [](const DaemonStatus& s) { return s.origin == "s2"; }, Millis(1000)));
  config::Actor admin{"admin", "farm-admin", {}};
  std::vector<config::Problem> problems;
  auto changed = daemons_[0]->Apply({{"farm.heartbeat_ms", "300"}}, admin, &problems);
  ASSERT_TRUE(changed.ok()) << changed.error().Message();
  EXPECT_EQ(changed->version, 2u);
  EXPECT_EQ(changed->origin, "s1");
  auto took = farm_.WaitForVersion({"s2"}, 2, Millis(1000));
  ASSERT_TRUE(took) << Daemon::StatusJson(daemons_[1]->Status());
  std::printf("applied change reached s2 in %lld ms\n", static_cast<long long>(took->count()));
  auto stored = config::LoadConfig(farm_.StoreOf("s2"));
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->values.at("farm.heartbeat_ms"), "300");
  EXPECT_TRUE(Until(
      *daemons_[1], [](const DaemonStatus& s) { return s.counters.adopted >= 1; }, Millis(100)));
}

TEST_F(DaemonPair, ApplyRefusesAViewerAndChangesNothing) {
  ASSERT_TRUE(Until(
      *daemons_[0], [](const DaemonStatus& s) { return s.origin == "s2"; }, Millis(1000)));
  config::Actor viewer{"watcher", "viewer", {}};
  std::vector<config::Problem> problems;
  auto changed = daemons_[0]->Apply({{"farm.heartbeat_ms", "300"}}, viewer, &problems);
  EXPECT_FALSE(changed.ok());
  EXPECT_FALSE(problems.empty());
  EXPECT_EQ(farm_.Version("s1"), 1u);
  EXPECT_EQ(daemons_[0]->Status().counters.local_changes, 0u);
}

}  // namespace
}  // namespace dabs::configd
