// CALC_Client against a real standalone calculator-dasp: right answers and statuses whether
// a partition runs on the server or locally; local partitions send nothing; the ClientApp
// verifies every answer.
#include "calc_client.h"

#include <future>
#include <limits>

#include <gtest/gtest.h>

#include "dacp_testing.h"

namespace dabs::calculator {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

class CalcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dasp.listening());
    client = dacp::Client::Create(gateway->TakeSeat().value(),
                                  dacp::testing::Config(kAppName, dasp.endpoint()));
    ASSERT_TRUE(client->OpenSync().ok());
  }
  IntAnswer Int(CalcClient& calc, uint8_t op, int64_t a, int64_t b) {
    std::promise<Result<IntAnswer>> p;
    calc.Integer(op, a, b, [&p](Result<IntAnswer> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.error().Message();
    return r.ok() ? *r : IntAnswer{CalcStatus::kBadOp, -1};
  }
  FloatAnswer Float(CalcClient& calc, uint8_t op, double a, double b) {
    std::promise<Result<FloatAnswer>> p;
    calc.Float(op, a, b, [&p](Result<FloatAnswer> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.error().Message();
    return r.ok() ? *r : FloatAnswer{CalcStatus::kBadOp, -1};
  }
  uint64_t DatagramsSent() { return gateway->node().Stats().sent; }

  dacp::testing::StandaloneDasp dasp{DABS_CALCULATOR_DASP};
  mp::IoThreads io{2};
  std::shared_ptr<dacp::Gateway> gateway = dacp::testing::LoopbackGateway(io.io());
  std::shared_ptr<dacp::Client> client;
};

dacp::SetTopProfile Thin() {
  return {0, 16, "thin"};
}  // no FPU, no room for IntegerOps
dacp::SetTopProfile Rich() {
  return {mp::caps::kFloatingPoint, 1024, "rich"};
}

TEST_F(CalcClientTest, ThinSetTopsComputeOnTheServerWithTheRightAnswersAndStatuses) {
  CalcClient calc(Thin(), client);
  ASSERT_FALSE(calc.int_partition().is_local());
  ASSERT_FALSE(calc.float_partition().is_local());
  EXPECT_EQ(Int(calc, 1, 7, 5), (IntAnswer{CalcStatus::kOk, 12}));
  EXPECT_EQ(Int(calc, 5, -7, 3), (IntAnswer{CalcStatus::kOk, -1}));
  EXPECT_EQ(Int(calc, 4, 1, 0).status, CalcStatus::kDivisionByZero);
  EXPECT_EQ(Int(calc, 1, kMax, 1).status, CalcStatus::kOverflow);
  EXPECT_EQ(Float(calc, 4, 1.0, 4.0), (FloatAnswer{CalcStatus::kOk, 0.25}));
  EXPECT_EQ(Float(calc, 4, 1.0, 0.0).status, CalcStatus::kDivisionByZero);
  EXPECT_EQ(Float(calc, 3, 1e308, 10.0).status, CalcStatus::kOverflow);
  EXPECT_EQ(calc.int_partition().counters().messages_sent, 4u);
  EXPECT_EQ(calc.float_partition().counters().messages_sent, 3u);
}

TEST_F(CalcClientTest, RichSetTopsComputeLocallyAndSendNothing) {
  CalcClient calc(Rich(), client);
  ASSERT_TRUE(calc.int_partition().is_local());
  ASSERT_TRUE(calc.float_partition().is_local());
  ASSERT_TRUE(dacp::testing::WaitUntil([&] { return client->stats().started_answered == 1; }));
  std::this_thread::sleep_for(50ms);  // the last ACK of the open is out
  const uint64_t before = DatagramsSent();
  EXPECT_EQ(Int(calc, 3, -6, 7), (IntAnswer{CalcStatus::kOk, -42}));
  EXPECT_EQ(Int(calc, 5, 1, 0).status, CalcStatus::kDivisionByZero);
  EXPECT_EQ(Float(calc, 1, 0.5, 0.25), (FloatAnswer{CalcStatus::kOk, 0.75}));
  EXPECT_EQ(DatagramsSent(), before);
  EXPECT_EQ(calc.int_partition().counters().messages_sent, 0u);
  EXPECT_EQ(calc.int_partition().counters().local_calls, 2u);
  EXPECT_EQ(calc.float_partition().counters().local_calls, 1u);
}

TEST_F(CalcClientTest, AnFpuOnlySetTopSendsIntegersAndKeepsFloatsLocal) {
  CalcClient calc({mp::caps::kFloatingPoint, kIntegerOpsModuleKib - 1, "fpu"}, client);
  EXPECT_FALSE(calc.int_partition().is_local());
  EXPECT_TRUE(calc.float_partition().is_local());
}

TEST_F(CalcClientTest, TheClientAppVerifiesEveryAnswer) {
  ASSERT_TRUE(RegisterClient().ok());
  const dacp::ClientAppFactory* f = dacp::FindClientApp("calculator");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->app, kAppName);
  for (const auto& profile : {Thin(), Rich()}) {
    auto app = f->make(profile, client);
    int verified = 0, network = 0;
    constexpr int kActs = 200;
    for (int i = 0; i < kActs; ++i) {
      std::promise<dacp::ActOutcome> p;
      app->Act(0x9E3779B97F4A7C15ull * (i + 1), [&p](dacp::ActOutcome o) { p.set_value(o); });
      auto o = p.get_future().get();
      ASSERT_TRUE(o.status.ok()) << o.status.error().Message();
      verified += o.verified;
      network += o.over_network;
    }
    EXPECT_EQ(verified, kActs) << profile.client_id;
    EXPECT_EQ(network, profile.client_id == "thin" ? kActs : 0);
  }
}

}  // namespace
}  // namespace dabs::calculator
