// Guarded nodes over real loopback sockets: farm daemons talk sealed, group and unicast, a
// one-datagram farm message of the largest size still fits, and an outsider is answered only
// where the policy lets it in.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include <dabs/mp/farm_guard.h>
#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

namespace dabs::mp {
namespace {

using namespace std::chrono_literals;

Endpoint Ep(const std::string& s) {
  return Endpoint::Parse(s).value();
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class GuardedNodeTest : public ::testing::Test {
 protected:
  GuardedNodeTest() {
    std::array<uint8_t, 32> b;
    b.fill(0x42);
    const FarmKey k = FarmKey::FromBytes(b);
    keys_ = std::make_shared<FarmKeySet>("test-farm", std::vector<FarmKey>{k}, k.id);
  }
  // A farm daemon: echoes every message, records who sealed it.
  std::unique_ptr<Node> Daemon(uint16_t index, std::shared_ptr<FarmGuard>* guard_out = nullptr) {
    auto guard = std::make_shared<FarmGuard>(
        keys_, FarmSenderId(index, FarmRole::kLbd), FarmIncarnation(Now()),
        FarmGuardPolicy{{wire::kOpenSession}, {}}, nullptr, Now());
    if (guard_out) *guard_out = guard;
    NodeConfig c;
    c.udp = Ep("127.0.0.1:0");
    c.groups = {group_};
    c.multicast_interface = "127.0.0.1";
    c.farm_guard = guard;
    auto holder = std::make_shared<Node*>(nullptr);
    NodeCallbacks cb;
    cb.on_message = [this, holder](Message&& m) {
      sealed_by_.store(m.sealed_by);
      ++delivered_;
      if (!m.via_group || m.header.command == wire::kOpenSession) (*holder)->Reply(m, m.payload);
    };
    auto node = Node::Create(threads_.io(), c, cb).value();
    *holder = node.get();
    return node;
  }

  IoThreads threads_{2};
  std::shared_ptr<const FarmKeySet> keys_;
  const Endpoint group_ = Ep("239.255.78.1:" + std::to_string(21000 + ::getpid() % 20000));
  std::atomic<uint32_t> sealed_by_{0};
  std::atomic<int> delivered_{0};
};

TEST_F(GuardedNodeTest, TwoFarmDaemonsTalkSealedAndKnowWhoSealed) {
  auto a = Daemon(1);
  std::shared_ptr<FarmGuard> b_guard;
  auto b = Daemon(2, &b_guard);
  const std::vector<uint8_t> payload(700, 9);  // two buffers, each sealed on its own
  auto r = a->SendSync(*b->udp_endpoint(), 0, 0x0100, 0, payload);
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->sealed_by, FarmSenderId(2, FarmRole::kLbd)) << "the reply came sealed by b";
  EXPECT_EQ(sealed_by_.load(), FarmSenderId(1, FarmRole::kLbd));
  // Two request buffers, then a's ACK of the reply, which may land after SendSync returns.
  for (int i = 0; i < 100 && b_guard->Stats().sealed_in < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(b_guard->Stats().sealed_in, 3u);
  EXPECT_EQ(b_guard->Stats().rejected_total(), 0u);
}

TEST_F(GuardedNodeTest, AGroupMessageOfTheLargestFarmPayloadFitsOneSealedDatagram) {
  auto a = Daemon(1);
  std::shared_ptr<FarmGuard> b_guard;
  auto b = Daemon(2, &b_guard);
  SendOptions one_way;
  one_way.expect_reply = false;
  std::promise<SendResult> sent;
  a->Send(group_, 0, wire::kHello, kVaLbGroup, std::vector<uint8_t>(farm_seal::kMaxPayload, 1),
          one_way, [&](SendResult&& r) { sent.set_value(std::move(r)); });
  EXPECT_FALSE(sent.get_future().get().error);
  for (int i = 0; i < 200 && b_guard->Stats().sealed_in == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_GE(b_guard->Stats().sealed_in, 1u);
  std::promise<SendResult> too_big;
  a->Send(group_, 0, wire::kHello, kVaLbGroup, std::vector<uint8_t>(farm_seal::kMaxPayload + 1, 1),
          one_way, [&](SendResult&& r) { too_big.set_value(std::move(r)); });
  EXPECT_EQ(too_big.get_future().get().error, Errc::kMessageTooLarge)
      << "the engine keeps room for the seal";
}

TEST_F(GuardedNodeTest, AnOutsiderIsHeardOnlyWhereThePolicySaysAndAnsweredInPlaintext) {
  std::shared_ptr<FarmGuard> guard;
  auto d = Daemon(1, &guard);
  NodeConfig c;
  c.udp = Ep("127.0.0.1:0");
  c.multicast_interface = "127.0.0.1";
  c.engine.max_transmissions = 2;
  c.engine.rto.initial = 50ms;
  c.engine.group_initial_timeout = 50ms;
  auto outsider = Node::Create(threads_.io(), c, {}).value();
  auto open = outsider->SendSync(group_, 0, wire::kOpenSession, kVaLbGroup,
                                 OpenSessionRequest{"echo", {}, {}, {}}.Encode());
  ASSERT_TRUE(open.ok()) << open.error().Message();
  EXPECT_EQ(open->sealed_by, 0u);
  EXPECT_EQ(sealed_by_.load(), 0u) << "an outsider's message is marked as such";
  auto ping = outsider->SendSync(*d->udp_endpoint(), 0, wire::kPing, 0, {});
  EXPECT_FALSE(ping.ok()) << "PING is not on the outsiders' list: dropped without a reply";
  EXPECT_EQ(ping.code(), Errc::kTimedOut);
  EXPECT_GE(guard->Stats().rejected[static_cast<size_t>(FarmReject::kNotSealed)], 2u);
  EXPECT_GE(guard->Stats().open_in, 1u) << "the OPEN_SESSION (resent until answered)";
}

}  // namespace
}  // namespace dabs::mp
