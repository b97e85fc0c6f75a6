#include <gtest/gtest.h>

#include <dabs/mp/farm_messages.h>

namespace dabs::mp {
namespace {

Endpoint Ep(const char* s) {
  return Endpoint::Parse(s).value();
}

TEST(FarmMessages, HelloRoundTripsAndNeedsItsIdentity) {
  Hello h{"s2",
          2,
          Ep("10.0.0.2:7411"),
          Ep("10.0.0.2:7511"),
          std::nullopt,
          1000,
          0xABCDEF,
          17,
          4250,
          false,
          2,
          3,
          120,
          0,
          0,
          {}};
  auto d = Hello::Decode(h.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->instances, 3u);
  EXPECT_EQ(d->sessions, 120u);
  ASSERT_TRUE(d.ok()) << d.error().Message();
  EXPECT_EQ(d->server, "s2");
  EXPECT_EQ(d->index, 2);
  EXPECT_EQ(d->lbd, h.lbd);
  EXPECT_EQ(d->stats, h.stats);
  EXPECT_FALSE(d->config);
  EXPECT_EQ(d->lease_ms, 1000u);
  EXPECT_EQ(d->incarnation, 0xABCDEFu);
  EXPECT_EQ(d->config_version, 17u);
  EXPECT_EQ(d->load_x100, 4250u);
  EXPECT_FALSE(d->eligible);
  EXPECT_EQ(d->balance, 2);
  EXPECT_FALSE(Hello::Decode(Leave{"s2", 1}.Encode()).ok());
}

TEST(FarmMessages, BallotRoundTrips) {
  Ballot b{"10.1.1.1:4000/7/stb-1", "calculator", "s3",          3, 9,
           1'700'000'000'123'456,   true,         Abstain::kNone};
  auto d = Ballot::Decode(b.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->request_key, b.request_key);
  EXPECT_EQ(d->app, "calculator");
  EXPECT_EQ(d->votes, 9u);
  EXPECT_EQ(d->ballot_time_us, b.ballot_time_us);
  EXPECT_TRUE(d->has_instance);
  EXPECT_EQ(d->abstain, Abstain::kNone);
  b.votes = 0;
  b.abstain = Abstain::kLimit;
  EXPECT_EQ(Ballot::Decode(b.Encode())->abstain, Abstain::kLimit);
}

TEST(FarmMessages, DirectoryUpdateAndQueryRoundTrip) {
  DirectoryUpdate u{MakeVa(2, 7),
                    "mp://headend-a/calculator/7",
                    1,
                    "s2",
                    Ep("10.0.0.2:40000"),
                    "/run/dabs/dasp-7.sock",
                    4242,
                    false,
                    "calculator",
                    2,
                    17,
                    kVaNone,
                    0};
  auto d = DirectoryUpdate::Decode(u.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->app, "calculator");
  EXPECT_EQ(d->state, 2);
  EXPECT_EQ(d->sessions, 17u);
  // A client's entry: its endpoint, its DASP, when it opened.
  DirectoryUpdate c{MakeVa(2, 1030), "",           2, "s2", Ep("10.1.2.3:5000"), "",           0,
                    false,           "calculator", 0, 0,    MakeVa(2, 7),        1700000000123};
  auto dc = DirectoryUpdate::Decode(c.Encode());
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(dc->kind, 2);
  EXPECT_EQ(dc->dasp_va, MakeVa(2, 7));
  EXPECT_EQ(dc->opened_ms, 1700000000123u);
  EXPECT_EQ(dc->udp, c.udp);
  d = DirectoryUpdate::Decode(u.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->va, u.va);
  EXPECT_EQ(d->uri, u.uri);
  EXPECT_EQ(d->udp, u.udp);
  EXPECT_EQ(d->local, u.local);
  EXPECT_EQ(d->pid, 4242u);
  EXPECT_FALSE(d->removed);
  EXPECT_FALSE(DirectoryUpdate::Decode(VaQuery{kVaNone, "mp://a/b/1"}.Encode()).ok());
  auto q = VaQuery::Decode(VaQuery{kVaNone, "mp://a/b/1"}.Encode());
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->uri, "mp://a/b/1");
  EXPECT_FALSE(VaQuery::Decode({}).ok());
}

TEST(FarmMessages, ServerStatsCarryEveryFigure) {
  ServerStats s;
  s.server = "s1";
  s.index = 1;
  s.figures.values[server_stat::kCpuPctX100] = 1234;
  s.figures.values[server_stat::kFreeMemoryMb] = 5000;
  auto d = ServerStats::Decode(s.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->server, "s1");
  EXPECT_EQ(d->figures.values, s.figures.values);
}

FarmKey TestKey(uint8_t fill) {
  std::array<uint8_t, 32> b;
  b.fill(fill);
  return FarmKey::FromBytes(b);
}

TEST(FarmMessages, HelloCarriesTheKeyIdsItsServerHolds) {
  Hello h;
  h.server = "s1";
  h.index = 1;
  h.lbd = Ep("10.0.0.1:7411");
  h.lease_ms = 1000;
  h.incarnation = 5;
  h.keyring_version = 4;
  h.keyring_primary = TestKey(2).id;
  h.key_ids = {TestKey(1).id, TestKey(2).id};
  auto d = Hello::Decode(h.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->keyring_version, 4u);
  EXPECT_EQ(d->keyring_primary, TestKey(2).id);
  EXPECT_EQ(d->key_ids, h.key_ids);
}

TEST(FarmMessages, KeyringRoundTripsAndRefusesKeysThatDoNotMatchTheirIds) {
  KeyringMessage k{3, TestKey(1).id, {TestKey(1), TestKey(2)}, "s2"};
  auto d = KeyringMessage::Decode(k.Encode());
  ASSERT_TRUE(d.ok()) << d.error().Message();
  EXPECT_EQ(d->version, 3u);
  EXPECT_EQ(d->keys.size(), 2u);
  EXPECT_EQ(d->keys[1].bytes, TestKey(2).bytes);
  EXPECT_EQ(d->server, "s2");
  KeyringMessage bad = k;
  bad.keys[1].id ^= 1;
  EXPECT_FALSE(KeyringMessage::Decode(bad.Encode()).ok());
  KeyringMessage orphan = k;
  orphan.primary = TestKey(9).id;
  EXPECT_FALSE(KeyringMessage::Decode(orphan.Encode()).ok());
  KeyringMessage many{1, TestKey(1).id, {}, ""};
  for (uint8_t i = 1; i <= 9; ++i)
    many.keys.push_back(TestKey(i));
  EXPECT_FALSE(KeyringMessage::Decode(many.Encode()).ok());
}

TEST(FarmMessages, KeyringRequestsNameTheirKey) {
  KeyringRequest install{KeyringRequest::Op::kInstall, TestKey(4), 0, false};
  auto d = KeyringRequest::Decode(install.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key->id, TestKey(4).id);
  KeyringRequest use{KeyringRequest::Op::kUse, std::nullopt, TestKey(4).id, true};
  auto u = KeyringRequest::Decode(use.Encode());
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->force);
  EXPECT_EQ(u->key_id, TestKey(4).id);
  EXPECT_FALSE(
      KeyringRequest::Decode(KeyringRequest{KeyringRequest::Op::kRemove, {}, 0, false}.Encode())
          .ok());
}

}  // namespace
}  // namespace dabs::mp
