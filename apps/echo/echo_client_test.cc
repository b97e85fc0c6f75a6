// The echo client app against a real standalone echo-dasp: every Act is verified, some are
// multi-buffer.
#include "echo_client.h"

#include <future>

#include <gtest/gtest.h>

#include "dacp_testing.h"

namespace dabs::echo {
namespace {

constexpr int kActs = 64;

// Runs kActs actions of the echo app on a set-top with `caps`; returns the datagrams sent.
uint64_t ActAndCountDatagrams(uint32_t caps) {
  dacp::testing::StandaloneDasp dasp(DABS_ECHO_DASP);
  EXPECT_TRUE(dasp.listening());
  mp::IoThreads io(2);
  auto gateway = dacp::testing::LoopbackGateway(io.io());
  auto client = dacp::Client::Create(gateway->TakeSeat().value(),
                                     dacp::testing::Config(kAppName, dasp.endpoint()));
  EXPECT_TRUE(client->OpenSync().ok());
  EXPECT_TRUE(RegisterClient().ok());
  const dacp::ClientAppFactory* f = dacp::FindClientApp("echo");
  EXPECT_NE(f, nullptr);
  if (!f) return 0;
  dacp::SetTopProfile profile;
  profile.caps = caps;
  auto app = f->make(profile, client);
  const uint64_t before = gateway->node().Stats().sent;
  int verified = 0;
  for (int i = 0; i < kActs; ++i) {
    std::promise<dacp::ActOutcome> p;
    app->Act(1234567ull * (i + 1), [&p](dacp::ActOutcome o) { p.set_value(o); });
    auto o = p.get_future().get();
    EXPECT_TRUE(o.status.ok()) << o.status.error().Message();
    EXPECT_TRUE(o.over_network);
    verified += o.verified;
  }
  EXPECT_EQ(verified, kActs);
  return gateway->node().Stats().sent - before;
}

TEST(EchoClientApp, EveryEchoComesBackTheSameAndDocsisSetTopsSendSomeMultiBuffer) {
  // A request and the ACK of its reply are two datagrams; multi-buffer actions add more.
  EXPECT_GT(ActAndCountDatagrams(mp::caps::kDocsis | mp::caps::kOob), 3u * kActs);
}

TEST(EchoClientApp, NarrowBandSetTopsSendOneDatagramPerEcho) {
  // Per echo, the request and the ACK of the reply. A few more may belong to the session
  // (STARTED and its ACK go out after the open) or to a last ACK still on its way; one
  // multi-buffer action alone would add dozens.
  const uint64_t sent = ActAndCountDatagrams(mp::caps::kOob);
  EXPECT_GE(sent, 2u * kActs - 1);
  EXPECT_LE(sent, 2u * kActs + 4);
}

}  // namespace
}  // namespace dabs::echo
