#include <gtest/gtest.h>

#include <dabs/mp/local_messages.h>
#include <dabs/mp/migrate.h>
#include <dabs/mp/system_messages.h>

namespace dabs::mp {
namespace {

Endpoint Ep(const char* s) {
  return Endpoint::Parse(s).value();
}

TEST(AddClient, RoundTripsEveryField) {
  AddClient a;
  a.request = OpenSessionRequest{"calculator", caps::kOob, "00:11:22:33:44:55", {}}.Encode();
  a.client = Ep("10.1.2.3:40000");
  a.transaction = 200;
  a.client_va = MakeVa(2, 77);
  a.instance_va = MakeVa(2, 5);
  auto d = AddClient::Decode(a.Encode());
  ASSERT_TRUE(d.ok()) << d.error().Message();
  EXPECT_EQ(d->request, a.request);
  EXPECT_EQ(d->client, a.client);
  EXPECT_EQ(d->transaction, 200);
  EXPECT_EQ(d->client_va, a.client_va);
  EXPECT_EQ(d->instance_va, a.instance_va);
  EXPECT_FALSE(d->saved);  // an open, not a restore
}

TEST(AddClient, CarriesASavedSessionToRestore) {
  AddClient a;
  a.request = OpenSessionRequest{"counter", 0, "stb-9", {}}.Encode();
  a.client = Ep("10.1.2.3:40000");
  a.saved = std::vector<uint8_t>{0, 0, 0, 42};
  auto d = AddClient::Decode(a.Encode());
  ASSERT_TRUE(d.ok()) << d.error().Message();
  ASSERT_TRUE(d->saved);
  EXPECT_EQ(*d->saved, *a.saved);
  a.saved = std::vector<uint8_t>{};  // an application that saves nothing still restores
  d = AddClient::Decode(a.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->saved && d->saved->empty());
}

TEST(AddClient, WithoutTheRequestIsMalformed) {
  AddClient a;
  a.client = Ep("10.1.2.3:40000");
  auto bytes = a.Encode();
  bytes.erase(bytes.begin(), bytes.begin() + 3);  // drop the (empty) REQUEST TLV
  EXPECT_EQ(AddClient::Decode(bytes).code(), Errc::kMalformed);
}

TEST(Started, RoundTripsEveryField) {
  Started s{MakeVa(1, 9), Ep("127.0.0.1:7500"), "/run/dabs/dasp-9.sock", "echo", 4242, 1000, true};
  auto d = Started::Decode(s.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->va, s.va);
  EXPECT_EQ(d->udp, s.udp);
  EXPECT_EQ(d->control, s.control);
  EXPECT_EQ(d->app, "echo");
  EXPECT_EQ(d->pid, 4242u);
  EXPECT_EQ(d->max_sessions, 1000u);
  EXPECT_TRUE(d->movable);
  s.movable = false;  // absent: never moved
  EXPECT_FALSE(Started::Decode(s.Encode())->movable);
}

TEST(StateChange, FirstByteIsTheStateOfSpec7AndTheRestIsOptional) {
  StateChange s;
  s.state = wire::DaspState::kBusy;
  s.va = MakeVa(1, 3);
  s.reason = StateReason::kLockTimeout;
  s.resource_type = "disk";
  s.detail = "lock 'ledger' held past 50 ms";
  s.sessions = 12;
  const auto bytes = s.Encode();
  EXPECT_EQ(bytes[0], 3);  // busy
  auto d = StateChange::Decode(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, wire::DaspState::kBusy);
  EXPECT_EQ(d->reason, StateReason::kLockTimeout);
  EXPECT_EQ(d->resource_type, "disk");
  EXPECT_EQ(d->detail, s.detail);
  EXPECT_EQ(d->sessions, 12u);
  EXPECT_EQ(d->client_va, kVaNone);
  // A session's end names its client.
  s.reason = StateReason::kSessionClosed;
  s.client_va = MakeVa(1, 2000);
  EXPECT_EQ(StateChange::Decode(s.Encode())->client_va, MakeVa(1, 2000));
  // A bare spec-7 payload (one byte) decodes too.
  auto bare = StateChange::Decode(std::vector<uint8_t>{2});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->state, wire::DaspState::kReady);
  EXPECT_EQ(bare->reason, StateReason::kNone);
}

TEST(StateChange, StateOutsideOneToSixIsMalformed) {
  EXPECT_FALSE(StateChange::Decode(std::vector<uint8_t>{0}).ok());
  EXPECT_FALSE(StateChange::Decode(std::vector<uint8_t>{7}).ok());
  EXPECT_FALSE(StateChange::Decode({}).ok());
}

TEST(Statistics, RoundTripsU64Figures) {
  Statistics s;
  s.values[stat_tag::kSessions] = 1000;
  s.values[stat_tag::kResidentKb] = uint64_t{1} << 40;
  s.values[stat_tag::kFirstApplication] = 7;
  auto d = Statistics::Decode(s.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->values, s.values);
  EXPECT_EQ(d->Get(stat_tag::kQueueDepth), 0u);
}

TEST(Statistics, AFigureThatIsNotEightBytesIsMalformed) {
  const std::vector<uint8_t> bad = {stat_tag::kSessions, 0, 2, 0, 1};
  EXPECT_EQ(Statistics::Decode(bad).code(), Errc::kMalformed);
}

TEST(Redirect, RoundTripsAndNeedsEveryField) {
  Redirect r{4, MakeVa(3, 1), Ep("10.0.0.3:7400"), kVaNone};
  auto d = Redirect::Decode(r.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->session, 4);
  EXPECT_EQ(d->dasp_va, r.dasp_va);
  EXPECT_EQ(d->dasp_endpoint, r.dasp_endpoint);
  EXPECT_FALSE(Redirect::Decode(std::vector<uint8_t>{0x10, 0, 1, 4}).ok());
  EXPECT_EQ(d->client, kVaNone);
  r.client = MakeVa(2, 99);  // dabs-lbd to the source DASP: which client
  d = Redirect::Decode(r.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->client, r.client);
}

TEST(Migrate, RoundTripsEveryField) {
  Migrate m{MigrateOp::kPlace,
            MakeVa(2, 77),
            0x1234,
            Ep("10.1.2.3:40000"),
            OpenSessionRequest{"counter", 0, "stb-9", {}}.Encode(),
            std::vector<uint8_t>(3000, 7),
            2,
            "s1",
            "starving"};
  auto d = Migrate::Decode(m.Encode());
  ASSERT_TRUE(d.ok()) << d.error().Message();
  EXPECT_EQ(d->op, MigrateOp::kPlace);
  EXPECT_EQ(d->client_va, m.client_va);
  EXPECT_EQ(d->move_id, 0x1234u);
  EXPECT_EQ(d->client, m.client);
  EXPECT_EQ(d->request, m.request);
  EXPECT_EQ(d->state, m.state);
  EXPECT_EQ(d->moves, 2u);
  EXPECT_EQ(d->from, "s1");
  EXPECT_EQ(d->reason, "starving");
}

TEST(Migrate, NeedsAKnownOpAndTheClient) {
  EXPECT_EQ(Migrate::Decode(std::vector<uint8_t>{}).code(), Errc::kMalformed);
  Migrate m = Migrate::Of(MigrateOp::kSave, MakeVa(2, 1));
  auto bytes = m.Encode();
  bytes[3] = 9;  // OP's value
  EXPECT_EQ(Migrate::Decode(bytes).code(), Errc::kMalformed);
  EXPECT_STREQ(MigrateOpName(MigrateOp::kRelease), "release");
}

}  // namespace
}  // namespace dabs::mp
