// The echo client app against a real standalone echo-dasp: every Act is verified, some are
// multi-buffer.
#include "echo_client.h"

#include <future>

#include <gtest/gtest.h>

#include "../../dacp_framework/testing_support.h"

namespace dabs::echo {
namespace {

TEST(EchoClientApp, EveryEchoComesBackTheSame) {
  dacp::testing::StandaloneDasp dasp(DABS_ECHO_DASP);
  ASSERT_TRUE(dasp.listening());
  mp::IoThreads io(2);
  auto gateway = dacp::testing::LoopbackGateway(io.io());
  auto client = dacp::Client::Create(gateway->TakeSeat().value(),
                                     dacp::testing::Config(kAppName, dasp.endpoint()));
  ASSERT_TRUE(client->OpenSync().ok());
  ASSERT_TRUE(RegisterClient().ok());
  const dacp::ClientAppFactory* f = dacp::FindClientApp("echo");
  ASSERT_NE(f, nullptr);
  auto app = f->make({}, client);
  constexpr int kActs = 64;
  int verified = 0;
  for (int i = 0; i < kActs; ++i) {
    std::promise<dacp::ActOutcome> p;
    app->Act(1234567ull * (i + 1), [&p](dacp::ActOutcome o) { p.set_value(o); });
    auto o = p.get_future().get();
    ASSERT_TRUE(o.status.ok()) << o.status.error().Message();
    EXPECT_TRUE(o.over_network);
    verified += o.verified;
  }
  EXPECT_EQ(verified, kActs);
  // Some actions were multi-buffer: more datagrams than two per action went out.
  EXPECT_GT(gateway->node().Stats().sent, 3u * kActs);
}

}  // namespace
}  // namespace dabs::echo
