// Moving a session between two instances, driven as dabs-lbd drives it (MIGRATE save, ADD_CLIENT
// with SAVED, local REDIRECT), with a plain MP node as the client: the state goes with the
// session, a message that comes while it is frozen is held and then NAKed with SHUTTING_DOWN
// (so the client sends it again there), and nothing is handled twice (D73).
#include <future>

#include <gtest/gtest.h>

#include <dabs/dasp/instance.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/migrate.h>
#include <dabs/mp/tlv.h>

#include "dasp_testing.h"

namespace dabs::dasp {
namespace {

using namespace std::chrono_literals;
using testing::FakeLbd;

// ADD n: adds to the session's total and replies it (u64). Saves and restores the total.
class Tally : public Server {
 public:
  struct Total {
    uint64_t n = 0;
  };
  void OnMessage(Session& session, Request& request) override {
    ++handled;
    std::vector<uint8_t> out(8);
    mp::PutU64(out.data(), session.State<Total>().n += mp::GetU64(request.payload().data()));
    (void)request.Reply(std::move(out));
  }
  bool SavesSessions() const override { return saves; }
  std::vector<uint8_t> SaveSession(Session& session) override {
    std::vector<uint8_t> out(8);
    mp::PutU64(out.data(), session.State<Total>().n);
    return out;
  }
  Status RestoreSession(Session& session, std::span<const uint8_t> saved) override {
    if (saved.size() != 8) return Error{make_error_code(mp::Errc::kMalformed), "8 bytes"};
    session.State<Total>().n = mp::GetU64(saved.data());
    return Status::Ok();
  }
  void OnClose(Session&) override { ++closed; }
  bool saves = true;
  std::atomic<int> handled{0}, closed{0};
};

std::vector<uint8_t> U64(uint64_t v) {
  std::vector<uint8_t> out(8);
  mp::PutU64(out.data(), v);
  return out;
}

class Migration : public ::testing::Test {
 protected:
  struct Side {
    InstanceConfig config;
    Tally* tally = nullptr;
    std::unique_ptr<Instance> instance;
  };

  Side Start(mp::Va va) {
    Side s;
    s.config = testing::Standalone();
    s.config.standalone = false;
    s.config.lbd = lbd_.endpoint();
    s.config.control = testing::TempSocket("dasp");
    s.config.va = va;
    auto server = std::make_unique<Tally>();
    s.tally = server.get();
    auto made = Instance::Create(io_.io(), s.config, std::move(server));
    EXPECT_TRUE(made.ok());
    s.instance = std::move(*made);
    s.instance->Start();
    return s;
  }
  // Restores a session of our client at `side` with `total` (ADD_CLIENT with SAVED): its id.
  uint8_t Restore(Side& side, uint64_t total) {
    mp::AddClient add;
    add.request = mp::OpenSessionRequest{"test", {}, "stb-1", {}}.Encode();
    add.client = *client_->udp_endpoint();
    add.client_va = kClientVa;
    add.instance_va = side.config.va;
    add.saved = U64(total);
    auto r = lbd_.node().SendSync(Control(side), 0, mp::wire::kAddClient, 0, add.Encode());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Message());
    if (!r) return 0;
    const uint8_t id = mp::TlvList::Parse(r->payload)->U8(mp::tag::kSession).value();
    client_->OpenSession(side.instance->udp_endpoint(), id);
    return id;
  }
  Result<uint64_t> Add(Side& side, uint8_t session, uint64_t n) {
    auto r =
        client_->SendSync(side.instance->udp_endpoint(), session, 0x0100, side.config.va, U64(n));
    if (!r) return r.error();
    return mp::GetU64(r->payload.data());
  }
  mp::Endpoint Control(const Side& side) { return mp::Endpoint::Local(side.config.control); }
  Result<mp::Message> Lbd(const Side& side, uint16_t command, std::vector<uint8_t> payload) {
    return lbd_.node().SendSync(Control(side), 0, command, side.config.va, std::move(payload));
  }

  static constexpr mp::Va kClientVa = 0x00100400;
  mp::IoThreads io_{2};
  FakeLbd lbd_{io_.io()};
  std::unique_ptr<mp::Node> client_ = [this] {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command == mp::wire::kRedirect) redirected_.set_value(m);
    };
    return mp::Node::Create(io_.io(), c, cb).value();
  }();
  std::promise<mp::Message> redirected_;
};

TEST_F(Migration, ASessionMovesWithItsStateAndAMessageHeldMeanwhileIsHandledOnceThere) {
  Side a = Start(0x00100001), b = Start(0x00100002);
  const uint8_t at_a = Restore(a, 0);
  ASSERT_NE(at_a, 0);
  ASSERT_EQ(Add(a, at_a, 1).value(), 1u);
  ASSERT_EQ(Add(a, at_a, 2).value(), 3u);

  // Freeze and save at A.
  auto saved =
      Lbd(a, mp::wire::kMigrate, mp::Migrate::Of(mp::MigrateOp::kSave, kClientVa).Encode());
  ASSERT_TRUE(saved.ok()) << saved.error().Message();
  auto state = mp::Migrate::Decode(saved->payload);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(mp::GetU64(state->state.data()), 3u);
  EXPECT_EQ(state->client, *client_->udp_endpoint());
  EXPECT_EQ(mp::OpenSessionRequest::Decode(state->request)->client_id, "stb-1");

  // A message while frozen: ACKed by the engine, held, not handled.
  std::promise<mp::SendResult> held;
  client_->Send(a.instance->udp_endpoint(), at_a, 0x0100, a.config.va, U64(10), {},
                [&held](mp::SendResult&& r) { held.set_value(std::move(r)); });
  auto held_result = held.get_future();
  EXPECT_EQ(held_result.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(a.tally->handled.load(), 2);

  // Restored at B, then A tells the client.
  const uint8_t at_b = Restore(b, mp::GetU64(state->state.data()));
  mp::Redirect commit{at_b, b.config.va, b.instance->udp_endpoint(), kClientVa};
  auto committed = Lbd(a, mp::wire::kRedirect, commit.Encode());
  ASSERT_TRUE(committed.ok()) << committed.error().Message();
  auto to_client = redirected_.get_future();
  ASSERT_EQ(to_client.wait_for(2s), std::future_status::ready);
  auto r = mp::RedirectPayload::Decode(to_client.get().payload);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->session, at_b);
  EXPECT_EQ(r->dasp_va, b.config.va);
  EXPECT_EQ(r->dasp_endpoint, b.instance->udp_endpoint());

  // The held message comes back NAKed SHUTTING_DOWN: never handled at A...
  ASSERT_EQ(held_result.wait_for(2s), std::future_status::ready);
  const mp::SendResult nak = held_result.get();
  EXPECT_EQ(nak.error, mp::Errc::kShuttingDown);
  EXPECT_EQ(a.tally->handled.load(), 2);
  // ...so the client sends it again at B, where the total goes on.
  EXPECT_EQ(Add(b, at_b, 10).value(), 13u);
  EXPECT_EQ(Add(b, at_b, 1).value(), 14u);
  // The session left A without OnClose (it goes on), and A takes nothing more on it.
  EXPECT_EQ(a.tally->closed.load(), 0);
  EXPECT_EQ(a.instance->session_count(), 0u);
  EXPECT_EQ(b.instance->session_count(), 1u);
  auto late = Add(a, at_a, 1);
  EXPECT_FALSE(late.ok());
}

TEST_F(Migration, AReleasedMoveHandlesTheHeldMessagesWhereTheSessionIs) {
  Side a = Start(0x00100001);
  const uint8_t at_a = Restore(a, 5);
  ASSERT_TRUE(
      Lbd(a, mp::wire::kMigrate, mp::Migrate::Of(mp::MigrateOp::kSave, kClientVa).Encode()).ok());
  std::promise<mp::SendResult> held;
  client_->Send(a.instance->udp_endpoint(), at_a, 0x0100, a.config.va, U64(1), {},
                [&held](mp::SendResult&& r) { held.set_value(std::move(r)); });
  auto result = held.get_future();
  EXPECT_EQ(result.wait_for(200ms), std::future_status::timeout);
  // The sink refused (say): dabs-lbd releases the session.
  ASSERT_TRUE(
      Lbd(a, mp::wire::kMigrate, mp::Migrate::Of(mp::MigrateOp::kRelease, kClientVa).Encode())
          .ok());
  ASSERT_EQ(result.wait_for(2s), std::future_status::ready);
  const mp::SendResult r = result.get();
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(mp::GetU64(r.reply->payload.data()), 6u);
}

TEST_F(Migration, AnApplicationThatDoesNotSaveSessionsIsNeverFrozen) {
  Side a = Start(0x00100001);
  a.tally->saves = false;
  const uint8_t at_a = Restore(a, 0);
  auto refused =
      Lbd(a, mp::wire::kMigrate, mp::Migrate::Of(mp::MigrateOp::kSave, kClientVa).Encode());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), mp::Errc::kUnknownCommand);
  EXPECT_EQ(Add(a, at_a, 2).value(), 2u);  // served at once, not held
  auto unknown =
      Lbd(a, mp::wire::kMigrate, mp::Migrate::Of(mp::MigrateOp::kSave, 0x00999999).Encode());
  EXPECT_EQ(unknown.code(), mp::Errc::kUnknownSession);
}

TEST_F(Migration, MigrateAndRedirectAreTakenFromTheLocalSocketOnly) {
  Side a = Start(0x00100001);
  const uint8_t at_a = Restore(a, 0);
  (void)at_a;
  // A set-top (UDP) may not freeze or move sessions.
  auto r = client_->SendSync(a.instance->udp_endpoint(), 0, mp::wire::kMigrate, a.config.va,
                             mp::Migrate::Of(mp::MigrateOp::kSave, kClientVa).Encode());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), mp::Errc::kUnknownCommand);
  mp::Redirect commit{1, 0x00100002, *client_->udp_endpoint(), kClientVa};
  r = client_->SendSync(a.instance->udp_endpoint(), 0, mp::wire::kRedirect, a.config.va,
                        commit.Encode());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), mp::Errc::kUnknownCommand);
  EXPECT_EQ(a.instance->session_count(), 1u);
}

}  // namespace
}  // namespace dabs::dasp
