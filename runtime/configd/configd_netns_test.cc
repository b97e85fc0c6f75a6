// dabs-configd across network namespaces (NOTES.md): three servers with their own
// addresses on one bridge converge, and a server cut off during changes catches up once
// its link is back. Needs root and iproute2: without them the test fails, naming why.
#include <thread>

#include <gtest/gtest.h>

#include "process_harness.h"

namespace dabs::configd {
namespace {

using testing::ConfigdProcess;
using testing::Millis;
using testing::Namespaces;
using testing::TestFarm;

void NextHeartbeat(config::Records& r) {
  const int now = std::stoi(r.Effective("farm.heartbeat_ms").value_or("250"));
  r.values["farm.heartbeat_ms"] = std::to_string(now + 1);
}

TEST(ConfigdNetns, ServersInTheirOwnNamespacesConvergeAndHealAfterAPartition) {
  std::string error;
  std::unique_ptr<Namespaces> ns = Namespaces::Create(3, &error);
  ASSERT_TRUE(ns) << "network namespaces are not available (root and iproute2 needed): " << error;
  TestFarm farm(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::string servers = "servers:\n";
  for (int i = 1; i <= 3; ++i) {
    servers += "  - id: s" + std::to_string(i) + "\n    address: " + ns->address(i) + "\n";
  }
  farm.WriteFarmFile(40, "0.0.0.0", servers);

  std::map<std::string, std::unique_ptr<ConfigdProcess>> procs;
  auto logs = [&] {
    std::string out;
    for (auto& [s, p] : procs)
      out += "---- " + s + "\n" + p->Log();
    return out;
  };
  for (int i = 1; i <= 3; ++i) {
    const std::string s = "s" + std::to_string(i);
    procs[s] = farm.Start(s, ns->Exec(i));
  }
  for (const char* s : {"s1", "s2", "s3"})
    ASSERT_TRUE(farm.WaitReady(s)) << logs();
  auto ping = farm.Ping("s2");
  ASSERT_TRUE(ping);
  EXPECT_EQ((*ping)["udp"].get<std::string>().rfind("10.77.0.2:", 0), 0u) << *ping;

  // A change reaches the other namespaces within a second.
  const uint64_t v = farm.Change("s1", NextHeartbeat);
  auto took = farm.WaitForVersion({"s2", "s3"}, v, Millis(1000));
  ASSERT_TRUE(took) << logs();
  std::printf("netns: version %llu on s2 and s3 after %lld ms\n",
              static_cast<unsigned long long>(v), static_cast<long long>(took->count()));

  // s3 cut off while s1 and s2 change the configuration.
  ASSERT_TRUE(ns->SetLink(3, false));
  uint64_t latest = farm.Change("s1", NextHeartbeat);
  ASSERT_TRUE(farm.WaitForVersion({"s2"}, latest, Millis(1000))) << logs();
  latest = farm.Change("s2", NextHeartbeat);
  ASSERT_TRUE(farm.WaitForVersion({"s1"}, latest, Millis(1000))) << logs();
  std::this_thread::sleep_for(Millis(1200));
  EXPECT_LT(farm.Version("s3"), latest) << "the partition did not cut s3 off";

  // Healed: the announcements bring s3 up to date.
  ASSERT_TRUE(ns->SetLink(3, true));
  took = farm.WaitForVersion({"s3"}, latest, Millis(2500));
  ASSERT_TRUE(took) << logs();
  std::printf("netns: s3 caught up with version %llu %lld ms after its link came back\n",
              static_cast<unsigned long long>(latest), static_cast<long long>(took->count()));
}

}  // namespace
}  // namespace dabs::configd
