// Gateways and pools: seats per socket, more than 255 clients of one DASP through one pool,
// and re-homing through the group when the serving DASP is killed.
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>

#include "dacp_testing.h"

namespace dabs::dacp {
namespace {

using namespace std::chrono_literals;
using testing::WaitUntil;

TEST(Gateway, HandsOutNoMoreSeatsThanItsLimit) {
  mp::IoThreads io(1);
  auto gateway = testing::LoopbackGateway(io.io(), 2);
  auto a = gateway->TakeSeat();
  auto b = gateway->TakeSeat();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = gateway->TakeSeat();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, mp::Errc::kLimitExceeded);
  { GatewaySeat released = std::move(a).value(); }
  EXPECT_EQ(gateway->seated(), 1u);
  EXPECT_TRUE(gateway->TakeSeat().ok());
}

TEST(Gateway, RefusesMoreThan255ClientsPerSocket) {
  mp::IoThreads io(1);
  GatewayConfig gc;
  gc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  gc.max_clients = 256;
  auto g = Gateway::Create(io.io(), gc);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().detail.find("255"), std::string::npos);
}

TEST(GatewayPool, OpensMoreThan255SessionsWithOneDaspOverSeveralSockets) {
  testing::StandaloneDasp dasp(DABS_ECHO_DASP, {"--max-sessions", "2000"});
  ASSERT_TRUE(dasp.listening());
  mp::IoThreads io(2);
  GatewayPoolConfig pc;
  pc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  pc.node.udp_offload = false;
  pc.clients_per_socket = 200;
  GatewayPool pool(io.io(), pc);
  constexpr int kClients = 600;
  std::vector<std::shared_ptr<Client>> clients;
  std::atomic<int> opened{0}, failed{0};
  for (int i = 0; i < kClients; ++i) {
    auto c = testing::Config("echo", dasp.endpoint());
    c.client_id = "stb-" + std::to_string(i);
    clients.push_back(Client::Create(pool.Acquire().value(), c));
    clients.back()->Open([&](Status s) { ++(s.ok() ? opened : failed); });
  }
  ASSERT_TRUE(WaitUntil([&] { return opened + failed == kClients; }, 20'000ms));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(pool.sockets(), 3u);
  for (const auto& g : pool.gateways())
    EXPECT_LE(g->seated(), 200u);
  // Every client has its own (socket, session id) with the one DASP.
  std::set<std::pair<std::string, uint8_t>> seen;
  for (const auto& c : clients) {
    ASSERT_EQ(c->session()->dasp, dasp.endpoint());
    seen.emplace(c->gateway().endpoint()->ToString(), c->session()->session);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kClients));
  std::atomic<int> right{0}, answered{0};
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::vector<uint8_t> p = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
    clients[i]->Call(0x0100, p, [&, p](Result<std::vector<uint8_t>>&& r) {
      if (r.ok() && *r == p) ++right;
      ++answered;
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return answered == kClients; }, 20'000ms));
  EXPECT_EQ(right, kClients);
  // Seats come back as clients go.
  clients.resize(100);
  EXPECT_EQ(pool.clients(), 100u);
}

TEST(Rehome, ClientsReopenThroughTheGroupWhenTheirDaspIsKilledAndLoseNoRequest) {
  const auto group = testing::TestGroup();
  auto first = testing::StandaloneDasp::OnGroup(DABS_ECHO_DASP, group);
  auto second = testing::StandaloneDasp::OnGroup(DABS_ECHO_DASP, group);
  ASSERT_TRUE(first->listening() && second->listening());
  mp::IoThreads io(2);
  auto gateway = testing::LoopbackGateway(io.io());
  constexpr int kClients = 20;
  std::vector<std::shared_ptr<Client>> clients;
  std::atomic<int> lost{0}, reopened{0};
  for (int i = 0; i < kClients; ++i) {
    auto c = testing::Config("echo", group);
    c.client_id = "stb-" + std::to_string(i);
    c.reopen_on_failure = true;
    c.call_transmissions = 4;  // notice a dead server sooner
    auto client = Client::Create(gateway->TakeSeat().value(), c);
    ClientCallbacks cb;
    cb.on_session_end = [&lost](SessionEnd how, const std::string&) {
      if (how == SessionEnd::kServerLost) ++lost;
    };
    cb.on_reopened = [&reopened](const SessionInfo&) { ++reopened; };
    client->SetCallbacks(cb);
    ASSERT_TRUE(client->OpenSync().ok());
    clients.push_back(client);
  }
  // Kill the DASP serving the first client; the others it serves are re-homed too.
  testing::StandaloneDasp* victim =
      clients[0]->session()->dasp == first->endpoint() ? first.get() : second.get();
  testing::StandaloneDasp* survivor = victim == first.get() ? second.get() : first.get();
  int on_victim = 0;
  for (const auto& c : clients)
    on_victim += c->session()->dasp == victim->endpoint();
  victim->Kill();
  std::atomic<int> right{0}, answered{0};
  for (int i = 0; i < kClients; ++i) {
    const std::vector<uint8_t> p = {static_cast<uint8_t>(i), 0xEE};
    clients[i]->Call(0x0100, p, [&, p](Result<std::vector<uint8_t>>&& r) {
      if (r.ok() && *r == p) ++right;
      ++answered;
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return answered == kClients; }, 30'000ms));
  EXPECT_EQ(right, kClients) << "a request was lost when its server died";
  EXPECT_EQ(lost, on_victim);
  EXPECT_EQ(reopened, on_victim);
  uint64_t retried = 0;
  for (const auto& c : clients) {
    ASSERT_TRUE(c->session().has_value());
    EXPECT_EQ(c->session()->dasp, survivor->endpoint());
    retried += c->stats().retried_calls;
  }
  EXPECT_EQ(retried, static_cast<uint64_t>(on_victim));
}

}  // namespace
}  // namespace dabs::dacp
