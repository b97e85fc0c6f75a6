#include <gtest/gtest.h>

#include <dabs/farm/directory.h>
#include <dabs/mp/wire.h>

namespace dabs::farm {
namespace {

mp::DirectoryUpdate Instance(mp::Va va, const std::string& server, const std::string& app,
                             uint32_t sessions,
                             mp::wire::DaspState state = mp::wire::DaspState::kReady) {
  mp::DirectoryUpdate u;
  u.va = va;
  u.uri = "mp://f/" + app + "/" + std::to_string(va);
  u.kind = 1;
  u.server = server;
  u.udp = mp::Endpoint::Parse("127.0.0.1:" + std::to_string(40000 + (va & 0xFF))).value();
  u.local = "/tmp/dasp-" + std::to_string(va) + ".sock";
  u.pid = 1000 + va;
  u.app = app;
  u.state = static_cast<uint8_t>(state);
  u.sessions = sessions;
  return u;
}

TEST(Directory, AnUpdateIsFoundByVaAndByUriAndResolvesToItsLocation) {
  Directory d;
  const mp::Va va = mp::MakeVa(2, 7);
  EXPECT_TRUE(d.Apply(Instance(va, "s2", "echo", 3)));
  EXPECT_FALSE(d.Apply(Instance(va, "s2", "echo", 3)));  // nothing new
  ASSERT_TRUE(d.Find(va));
  ASSERT_TRUE(d.Find("mp://f/echo/" + std::to_string(va)));
  auto e = d.Lookup(mp::VaUri{"f", "echo", va});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location.host_id, "s2");
  ASSERT_TRUE(e->location.local);
  EXPECT_EQ(e->location.local->path(), "/tmp/dasp-" + std::to_string(va) + ".sock");
}

TEST(Directory, RemovalAndADepartedServersEntriesGo) {
  Directory d;
  d.Apply(Instance(mp::MakeVa(1, 1), "s1", "echo", 1));
  d.Apply(Instance(mp::MakeVa(2, 1), "s2", "echo", 2));
  d.Apply(Instance(mp::MakeVa(2, 2), "s2", "calc", 2));
  auto removed = Instance(mp::MakeVa(1, 1), "s1", "echo", 1);
  removed.removed = true;
  EXPECT_TRUE(d.Apply(removed));
  EXPECT_FALSE(d.Find(mp::MakeVa(1, 1)));
  EXPECT_EQ(d.DropServer("s2").size(), 2u);
  EXPECT_EQ(d.size(), 0u);
}

TEST(Directory, OnlyTheServerASessionLivesOnRemovesIt) {
  // A session moved from s1 to s2: s2 announced it there, then s1's removal comes late.
  Directory d;
  mp::DirectoryUpdate client;
  client.va = mp::MakeVa(1, 300);
  client.kind = 2;
  client.server = "s1";
  client.app = "counter";
  ASSERT_TRUE(d.Apply(client));
  client.server = "s2";
  ASSERT_TRUE(d.Apply(client));
  mp::DirectoryUpdate gone = client;
  gone.server = "s1";
  gone.removed = true;
  EXPECT_FALSE(d.Apply(gone));
  ASSERT_TRUE(d.Find(client.va));
  EXPECT_EQ(d.Find(client.va)->server, "s2");
  gone.server = "s2";
  EXPECT_TRUE(d.Apply(gone));
  EXPECT_FALSE(d.Find(client.va));
}

TEST(Directory, CountsLeaveOutStoppedAndFailedInstances) {
  Directory d;
  d.Apply(Instance(mp::MakeVa(1, 1), "s1", "echo", 5));
  d.Apply(Instance(mp::MakeVa(2, 1), "s2", "echo", 7));
  d.Apply(Instance(mp::MakeVa(2, 2), "s2", "echo", 0, mp::wire::DaspState::kStopped));
  auto c = d.CountsOf("echo");
  EXPECT_EQ(c.instances, 2u);
  EXPECT_EQ(c.sessions, 12u);
  EXPECT_EQ(d.Entries(1, "s2").size(), 2u);
}

TEST(Directory, CountsFollowEveryWayAnInstanceLeavesAndIgnoreClients) {
  Directory d;
  for (uint32_t i = 1; i <= 1000; ++i) {  // clients do not count, however many
    mp::DirectoryUpdate c;
    c.va = mp::MakeVa(3, 100 + i);
    c.kind = 2;
    c.server = "s3";
    c.app = "echo";
    c.dasp_va = mp::MakeVa(1, 1);
    d.Apply(c);
  }
  d.Apply(Instance(mp::MakeVa(1, 1), "s1", "echo", 5));
  d.Apply(Instance(mp::MakeVa(2, 1), "s2", "echo", 7));
  d.Apply(Instance(mp::MakeVa(2, 2), "s2", "echo", 1));
  d.Apply(Instance(mp::MakeVa(3, 1), "s3", "echo", 2));
  EXPECT_EQ(d.CountsOf("echo").instances, 4u);
  EXPECT_EQ(d.CountsOf("echo").sessions, 15u);

  auto removed = Instance(mp::MakeVa(1, 1), "s1", "echo", 5);
  removed.removed = true;
  d.Apply(removed);  // removed
  auto moved = Instance(mp::MakeVa(2, 3), "s2", "echo", 4);
  moved.uri = Instance(mp::MakeVa(2, 2), "s2", "echo", 1).uri;
  d.Apply(moved);      // 2.2's URI now names 2.3: 2.2 goes
  d.DropServer("s3");  // 3.1 goes with its server (and the clients)
  const auto c = d.CountsOf("echo");
  EXPECT_EQ(c.instances, 2u);
  EXPECT_EQ(c.sessions, 11u);  // 2.1 (7) + 2.3 (4)
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.CountsOf("calculator").instances, 0u);
}

TEST(Directory, AUriMovedToANewVaLeavesNoStaleHolder) {
  Directory d;
  auto a = Instance(mp::MakeVa(1, 1), "s1", "echo", 0);
  auto b = Instance(mp::MakeVa(1, 2), "s1", "echo", 0);
  b.uri = a.uri;
  d.Apply(a);
  d.Apply(b);
  EXPECT_EQ(d.Find(a.uri)->va, b.va);
  EXPECT_FALSE(d.Find(a.va));
}

TEST(VaSource, PersistsABlockAheadAndNeverRepeatsAfterARestart) {
  uint32_t stored = 0;
  int saves = 0;
  auto persist = [&](uint32_t limit) {
    stored = limit;
    ++saves;
    return true;
  };
  std::set<mp::Va> seen;
  {
    VaSource s(3, stored, persist, 1024);
    for (int i = 0; i < 1500; ++i) {
      auto va = s.Next();
      ASSERT_TRUE(va.ok());
      EXPECT_EQ(mp::ServerIndexOf(*va), 3);
      EXPECT_TRUE(seen.insert(*va).second);
    }
  }
  EXPECT_EQ(saves, 2);                       // 1500 VAs, blocks of 1024
  VaSource after(3, stored, persist, 1024);  // a crash: the rest of the block is skipped
  auto va = after.Next();
  ASSERT_TRUE(va.ok());
  EXPECT_FALSE(seen.count(*va));
  EXPECT_GE(mp::CounterOf(*va), 1024u + 1500u);
}

TEST(VaSource, ACounterThatCannotBeSavedIsNotHandedOut) {
  VaSource s(1, 0, [](uint32_t) { return false; });
  EXPECT_FALSE(s.Next().ok());
}

}  // namespace
}  // namespace dabs::farm
