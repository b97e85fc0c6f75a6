// The client against real standalone echo-dasp processes on loopback: opening through a
// multicast group and directly, NAK 8, the open deadline and spec 4's resend schedule,
// synchronous and asynchronous calls, and the DASP's answers to STARTED and ERROR_REPORT.
#include <mutex>

#include <gtest/gtest.h>

#include <dabs/dacp/client.h>
#include <dabs/mp/system_messages.h>

#include "dacp_testing.h"

namespace dabs::dacp {
namespace {

using namespace std::chrono_literals;
using testing::WaitUntil;

class ClientTest : public ::testing::Test {
 protected:
  mp::IoThreads io{2};
};

TEST_F(ClientTest, OpensThroughAMulticastGroupAndCalls) {
  const auto group = testing::TestGroup();
  auto dasp = testing::StandaloneDasp::OnGroup(DABS_ECHO_DASP, group);
  ASSERT_TRUE(dasp->listening());
  auto gateway = testing::LoopbackGateway(io.io());
  auto client = Client::Create(gateway->TakeSeat().value(), testing::Config("echo", group));
  const Status opened = client->OpenSync();
  ASSERT_TRUE(opened.ok()) << opened.error().Message();
  auto s = client->session();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->dasp, dasp->endpoint());  // commands go to the DASP itself, not the group
  EXPECT_EQ(s->dasp_va, dasp->va());
  EXPECT_NE(s->client_va, mp::kVaNone);
  auto reply = client->CallSync(0x0100, {1, 2, 3});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  EXPECT_EQ(*reply, (std::vector<uint8_t>{1, 2, 3}));
  // The real DASP answers STARTED (dasp_framework/sessions.cc).
  EXPECT_TRUE(WaitUntil([&] { return client->stats().started_answered == 1; }));
}

TEST_F(ClientTest, SyncAndAsyncCallsGetTheirReplies) {
  testing::StandaloneDasp dasp(DABS_ECHO_DASP);
  ASSERT_TRUE(dasp.listening());
  auto gateway = testing::LoopbackGateway(io.io());
  auto client =
      Client::Create(gateway->TakeSeat().value(), testing::Config("echo", dasp.endpoint()));
  ASSERT_TRUE(client->OpenSync().ok());
  std::vector<uint8_t> big(10'000);  // multi-buffer both ways
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 31);
  auto sync = client->CallSync(0x0100, big);
  ASSERT_TRUE(sync.ok()) << sync.error().Message();
  EXPECT_EQ(*sync, big);

  constexpr int kCalls = 100;
  std::mutex mu;
  int right = 0, answered = 0;
  for (int i = 0; i < kCalls; ++i) {
    const std::vector<uint8_t> payload = {static_cast<uint8_t>(i), 0x55};
    client->Call(0x0100, payload, [&, payload](Result<std::vector<uint8_t>>&& r) {
      std::lock_guard lock(mu);
      ++answered;
      if (r.ok() && *r == payload) ++right;
    });
  }
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return answered == kCalls;
  }));
  EXPECT_EQ(right, kCalls);
  EXPECT_EQ(client->stats().calls, kCalls + 1u);
  EXPECT_EQ(client->stats().call_failures, 0u);
}

TEST_F(ClientTest, ARefusedCommandFailsWithTheDaspsNak) {
  testing::StandaloneDasp dasp(DABS_ECHO_DASP);
  ASSERT_TRUE(dasp.listening());
  auto gateway = testing::LoopbackGateway(io.io());
  auto client =
      Client::Create(gateway->TakeSeat().value(), testing::Config("echo", dasp.endpoint()));
  ASSERT_TRUE(client->OpenSync().ok());
  auto r = client->CallSync(0x0177, {1});  // echo knows 0x0100 only
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mp::Errc::kUnknownCommand);
  EXPECT_EQ(client->state(), ClientState::kOpen);  // a refusal is not a lost server
}

TEST_F(ClientTest, UnknownApplicationIsReportedAsNak8) {
  const auto group = testing::TestGroup();
  auto dasp = testing::StandaloneDasp::OnGroup(DABS_ECHO_DASP, group);
  ASSERT_TRUE(dasp->listening());
  auto gateway = testing::LoopbackGateway(io.io());
  for (const mp::Endpoint& farm : {group, dasp->endpoint()}) {
    auto client = Client::Create(gateway->TakeSeat().value(), testing::Config("nosuchapp", farm));
    const auto start = std::chrono::steady_clock::now();
    const Status s = client->OpenSync();
    ASSERT_FALSE(s.ok()) << farm.ToString();
    EXPECT_EQ(s.error().code, mp::Errc::kUnknownApplication) << s.error().Message();
    EXPECT_EQ(s.error().code.value(), 8);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // a NAK ends the resends at once
    EXPECT_EQ(client->state(), ClientState::kFailed);
    EXPECT_EQ(client->stats().open_failures, 1u);
  }
}

// Records when each OPEN_SESSION leaves for the group; nothing is answered there.
class GroupSendTimes final : public mp::LinkShaper {
 public:
  explicit GroupSendTimes(mp::Endpoint group) : group_(std::move(group)) {}
  mp::FaultDecision Outbound(const mp::Endpoint& to, std::span<const uint8_t>,
                             mp::TimePoint now) override {
    if (to == group_) {
      std::lock_guard lock(mu_);
      times_.push_back(now);
    }
    return {};
  }
  mp::FaultDecision Inbound(const mp::Endpoint&, std::span<const uint8_t>, mp::TimePoint) override {
    return {};
  }
  std::vector<mp::TimePoint> times() {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  mp::Endpoint group_;
  std::mutex mu_;
  std::vector<mp::TimePoint> times_;
};

TEST_F(ClientTest, OpenThroughASilentGroupBacksOffAsBootpAndGivesUpAtTheDeadline) {
  const auto group = testing::TestGroup();  // nobody listens
  auto shaper = std::make_shared<GroupSendTimes>(group);
  auto gateway = testing::LoopbackGateway(io.io(), 200, shaper);
  auto c = testing::Config("echo", group);
  c.open_timeout = 3500ms;
  auto client = Client::Create(gateway->TakeSeat().value(), c);
  const auto start = std::chrono::steady_clock::now();
  const Status s = client->OpenSync();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, mp::Errc::kTimedOut);
  EXPECT_NE(s.error().detail.find("within 3500 ms"), std::string::npos) << s.error().detail;
  EXPECT_NE(s.error().detail.find(group.ToString()), std::string::npos) << s.error().detail;
  EXPECT_GE(took, 3400ms);
  EXPECT_LT(took, 4000ms);
  // Spec 4: 250 ms doubling (to at most 8 s), each with up to 25% jitter.
  const auto times = shaper->times();
  ASSERT_GE(times.size(), 4u);  // sent at 0, ~250, ~750, ~1750 (and ~3750 is past the deadline)
  const double nominal[] = {250, 500, 1000};
  for (int i = 0; i < 3; ++i) {
    const double gap = std::chrono::duration<double, std::milli>(times[i + 1] - times[i]).count();
    EXPECT_GE(gap, nominal[i] * 0.75 - 5) << i;
    EXPECT_LE(gap, nominal[i] * 1.25 + 20) << i;
  }
  EXPECT_EQ(client->state(), ClientState::kFailed);
}

TEST_F(ClientTest, TheDaspAnswersStartedAndErrorReportOnASessionOnly) {
  testing::StandaloneDasp dasp(DABS_ECHO_DASP);
  ASSERT_TRUE(dasp.listening());
  mp::NodeConfig nc;
  nc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  auto node = mp::Node::Create(io.io(), nc, {}).value();
  auto opened = node->SendSync(dasp.endpoint(), 0, mp::wire::kOpenSession, 0,
                               mp::OpenSessionRequest{"echo", {}, "raw", {}}.Encode());
  ASSERT_TRUE(opened.ok());
  auto rep = mp::OpenSessionReply::Decode(opened->payload).value();
  node->OpenSession(dasp.endpoint(), rep.session);
  EXPECT_TRUE(
      node->SendSync(dasp.endpoint(), rep.session, mp::wire::kStarted, rep.dasp_va, {}).ok());
  EXPECT_TRUE(node->SendSync(dasp.endpoint(), rep.session, mp::wire::kErrorReport, rep.dasp_va,
                             mp::ErrorReportPayload{0, "exit: test"}.Encode())
                  .ok());
  auto bad = node->SendSync(dasp.endpoint(), rep.session, mp::wire::kErrorReport, rep.dasp_va, {1});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, mp::Errc::kMalformed);
  auto no_session = node->SendSync(dasp.endpoint(), 0, mp::wire::kStarted, rep.dasp_va, {});
  ASSERT_FALSE(no_session.ok());
  EXPECT_EQ(no_session.error().code, mp::Errc::kUnknownSession);
}

}  // namespace
}  // namespace dabs::dacp
