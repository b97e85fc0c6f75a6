// The client against a fake DASP (a bare mp::Node) that the test drives: STARTED and its
// resends, STATUS, SHUTDOWN, CLOSE_SESSION, REDIRECT, ERROR_REPORT and the exit report, and
// routing of unsolicited messages by VA among several clients on one socket.
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include <dabs/dacp/client.h>
#include <dabs/mp/system_messages.h>

#include "dacp_testing.h"

namespace dabs::dacp {
namespace {

using namespace std::chrono_literals;
using testing::WaitUntil;

// Answers OPEN_SESSION like a standalone DASP (session ids from 1, client VAs from 0x1000),
// echoes application commands, and records everything.
class FakeDasp {
 public:
  explicit FakeDasp(boost::asio::io_context& io, mp::Va va) : va_(va) {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    c.udp_offload = false;
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) { OnMessage(std::move(m)); };
    node_ = mp::Node::Create(io, c, cb).value();
  }
  mp::Node& node() { return *node_; }
  mp::Endpoint endpoint() const { return *node_->udp_endpoint(); }
  mp::Va va() const { return va_; }
  void set_ignore_started(int n) { ignore_started_ = n; }
  // Application messages are held (ACKed, not answered) until NakHeld, as a DASP whose
  // session is being moved holds them (D73).
  void set_hold(bool on) { hold_ = on; }
  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void NakHeld(mp::Errc error) {
    std::vector<mp::Message> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (const auto& m : held)
      node_->Nak(m, error, "the session moved");
  }

  // Opens a session for `client` as a DASP taking over a session would (REDIRECT's target).
  uint8_t Adopt(const mp::Endpoint& client) {
    std::lock_guard lock(mu_);
    const uint8_t id = next_session_++;
    node_->OpenSession(client, id);
    return id;
  }
  std::vector<mp::Message> Received(uint16_t command) {
    std::lock_guard lock(mu_);
    std::vector<mp::Message> out;
    for (const auto& m : got_) {
      if (m.header.command == command) out.push_back(m);
    }
    return out;
  }
  struct Opened {
    mp::Endpoint client;
    uint8_t session;
    mp::Va client_va;
  };
  std::vector<Opened> opened() {
    std::lock_guard lock(mu_);
    return opened_;
  }

 private:
  void OnMessage(mp::Message&& m) {
    {
      std::lock_guard lock(mu_);
      got_.push_back(m);
    }
    switch (m.header.command) {
      case mp::wire::kOpenSession: {
        mp::OpenSessionReply rep;
        {
          std::lock_guard lock(mu_);
          rep.session = next_session_++;
          rep.client_va = next_client_va_++;
          opened_.push_back({m.peer, rep.session, rep.client_va});
        }
        rep.dasp_va = va_;
        rep.dasp_endpoint = endpoint();
        node_->OpenSession(m.peer, rep.session);
        node_->Reply(m, rep.Encode(), rep.client_va);
        return;
      }
      case mp::wire::kStarted:
        if (ignore_started_ > 0) {
          --ignore_started_;
          return;  // ACKed by the engine, never answered
        }
        return node_->Reply(m, {});
      case mp::wire::kErrorReport:
      case mp::wire::kPing:
        return node_->Reply(m, {});
      case mp::wire::kCloseSession:
        return;
      default:
        if (hold_) {
          std::lock_guard lock(mu_);
          held_.push_back(m);
          return;
        }
        return node_->Reply(m, m.payload);
    }
  }

  const mp::Va va_;
  std::unique_ptr<mp::Node> node_;
  std::mutex mu_;
  std::vector<mp::Message> got_;
  std::vector<Opened> opened_;
  uint8_t next_session_ = 1;
  mp::Va next_client_va_ = 0x1000;
  std::atomic<int> ignore_started_{0};
  std::atomic<bool> hold_{false};
  std::vector<mp::Message> held_;
};

class EventsTest : public ::testing::Test {
 protected:
  mp::IoThreads io{2};
  FakeDasp dasp{io.io(), mp::MakeVa(1, 7)};
  std::shared_ptr<Gateway> gateway = testing::LoopbackGateway(io.io());

  std::shared_ptr<Client> OpenClient(ClientConfig c = {}) {
    if (c.app.empty()) c = testing::Config("fake", dasp.endpoint());
    auto client = Client::Create(gateway->TakeSeat().value(), c);
    EXPECT_TRUE(client->OpenSync().ok());
    return client;
  }
  // Sends the client an unsolicited command on its session, as its DASP; the result.
  mp::SendResult ToClient(Client& client, uint16_t command, std::vector<uint8_t> payload,
                          bool expect_reply, FakeDasp* from = nullptr) {
    from = from ? from : &dasp;
    auto s = client.session().value();
    mp::SendOptions o;
    o.expect_reply = expect_reply;
    std::promise<mp::SendResult> p;
    from->node().Send(*gateway->endpoint(), s.session, command, s.client_va, std::move(payload), o,
                      [&p](mp::SendResult&& r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
};

TEST_F(EventsTest, StartedIsSentOnceOpenAndAnswered) {
  auto client = OpenClient();
  ASSERT_TRUE(WaitUntil([&] { return client->stats().started_answered == 1; }));
  const auto started = dasp.Received(mp::wire::kStarted);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].header.session, client->session()->session);
  EXPECT_EQ(started[0].header.va, dasp.va());
}

TEST_F(EventsTest, StartedIsResentUntilAnswered) {
  dasp.set_ignore_started(2);
  auto c = testing::Config("fake", dasp.endpoint());
  c.call_reply_timeout = 150ms;
  auto client = OpenClient(c);
  ASSERT_TRUE(WaitUntil([&] { return client->stats().started_answered == 1; }, 5000ms));
  EXPECT_EQ(dasp.Received(mp::wire::kStarted).size(), 3u);  // two unanswered, then answered
}

TEST_F(EventsTest, StatusIsAnsweredWithTheClientsState) {
  auto client = OpenClient();
  auto r = ToClient(*client, mp::wire::kStatus, {}, true);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(mp::DecodeU8(r.reply->payload), static_cast<uint8_t>(ClientState::kOpen));
  EXPECT_EQ(client->stats().status_answered, 1u);
}

TEST_F(EventsTest, UnsolicitedMessagesGoToTheClientWithThatVa) {
  auto a = OpenClient();
  auto b = OpenClient();
  ASSERT_NE(a->session()->client_va, b->session()->client_va);
  ASSERT_FALSE(ToClient(*b, mp::wire::kStatus, {}, true).error);
  EXPECT_EQ(a->stats().status_answered, 0u);
  EXPECT_EQ(b->stats().status_answered, 1u);
  // A VA that no client here has is refused, not misdelivered.
  mp::SendOptions o;
  std::promise<mp::SendResult> p;
  dasp.node().Send(*gateway->endpoint(), a->session()->session, mp::wire::kStatus, 0x0BADBAD, {}, o,
                   [&p](mp::SendResult&& r) { p.set_value(std::move(r)); });
  EXPECT_EQ(p.get_future().get().error, mp::Errc::kUnknownSession);
  EXPECT_EQ(gateway->Stats().unrouted, 1u);
}

TEST_F(EventsTest, ShutdownEndsTheSessionAndTellsTheApplication) {
  auto client = OpenClient();
  std::promise<SessionEnd> ended;
  ClientCallbacks cb;
  cb.on_session_end = [&ended](SessionEnd how, const std::string&) { ended.set_value(how); };
  client->SetCallbacks(cb);
  ASSERT_FALSE(
      ToClient(*client, mp::wire::kShutdown, mp::EncodeU8(mp::wire::kShutdownEmergency), false)
          .error);
  auto f = ended.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(f.get(), SessionEnd::kShutdownEmergency);
  EXPECT_EQ(client->state(), ClientState::kClosed);
  EXPECT_EQ(client->stats().shutdowns, 1u);
  // Without reopen_on_failure a call now fails; Reopen gets a new session.
  auto call = client->CallSync(0x0100, {1});
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, mp::Errc::kSessionClosed);
  std::promise<Status> reopened;
  client->Reopen([&reopened](Status s) { reopened.set_value(s); });
  ASSERT_TRUE(reopened.get_future().get().ok());
  EXPECT_EQ(dasp.opened().size(), 2u);
  EXPECT_TRUE(client->CallSync(0x0100, {1}).ok());
}

TEST_F(EventsTest, AfterShutdownACallReopensWhenReopenOnFailureIsSet) {
  auto c = testing::Config("fake", dasp.endpoint());
  c.reopen_on_failure = true;
  auto client = OpenClient(c);
  ASSERT_FALSE(
      ToClient(*client, mp::wire::kShutdown, mp::EncodeU8(mp::wire::kShutdownClean), false).error);
  ASSERT_TRUE(WaitUntil([&] { return client->state() == ClientState::kClosed; }));
  auto call = client->CallSync(0x0100, {4, 2});
  ASSERT_TRUE(call.ok()) << call.error().Message();
  EXPECT_EQ(*call, (std::vector<uint8_t>{4, 2}));
  EXPECT_EQ(dasp.opened().size(), 2u);
}

TEST_F(EventsTest, CloseSessionFromTheServerEndsTheSession) {
  auto client = OpenClient();
  ASSERT_FALSE(ToClient(*client, mp::wire::kCloseSession, {}, false).error);
  ASSERT_TRUE(WaitUntil([&] { return client->state() == ClientState::kClosed; }));
  EXPECT_FALSE(client->session().has_value());
}

TEST_F(EventsTest, RedirectIsFollowedToTheNewDasp) {
  FakeDasp second(io.io(), mp::MakeVa(2, 9));
  auto client = OpenClient();
  std::promise<SessionInfo> redirected;
  ClientCallbacks cb;
  cb.on_redirect = [&redirected](const SessionInfo& s) { redirected.set_value(s); };
  client->SetCallbacks(cb);
  const uint8_t there = second.Adopt(*gateway->endpoint());
  mp::RedirectPayload r{there, second.va(), second.endpoint(), mp::Va{0x2222}};
  ASSERT_FALSE(ToClient(*client, mp::wire::kRedirect, r.Encode(), false).error);
  auto f = redirected.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  const SessionInfo now = f.get();
  EXPECT_EQ(now.dasp, second.endpoint());
  EXPECT_EQ(now.session, there);
  EXPECT_EQ(now.dasp_va, second.va());
  EXPECT_EQ(now.client_va, 0x2222u);
  // The next call goes to the new DASP, with its VA and the new session id.
  auto call = client->CallSync(0x0100, {7});
  ASSERT_TRUE(call.ok()) << call.error().Message();
  const auto got = second.Received(0x0100);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header.session, there);
  EXPECT_EQ(got[0].header.va, second.va());
  EXPECT_TRUE(dasp.Received(0x0100).empty());
  // Unsolicited messages reach it under its new VA.
  auto status = ToClient(*client, mp::wire::kStatus, {}, true, &second);
  EXPECT_FALSE(status.error) << status.error.message();
  EXPECT_EQ(client->stats().redirects, 1u);
}

TEST_F(EventsTest, ACallHeldByAMovedSessionIsSentAgainOnTheNewOneOnce) {
  // reopen_on_failure off: only the move's own rule may send a call again.
  FakeDasp second(io.io(), mp::MakeVa(2, 9));
  auto client = OpenClient();
  dasp.set_hold(true);
  std::promise<Result<std::vector<uint8_t>>> answered;
  client->Call(0x0100, {42},
               [&answered](Result<std::vector<uint8_t>>&& r) { answered.set_value(std::move(r)); });
  ASSERT_TRUE(WaitUntil([&] { return dasp.held() == 1; }, 2000ms));
  const uint8_t there = second.Adopt(*gateway->endpoint());
  mp::RedirectPayload r{there, second.va(), second.endpoint(), std::nullopt};
  ASSERT_FALSE(ToClient(*client, mp::wire::kRedirect, r.Encode(), false).error);
  dasp.NakHeld(mp::Errc::kShuttingDown);  // after the client ACKed the REDIRECT
  auto f = answered.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  auto result = f.get();
  ASSERT_TRUE(result.ok()) << result.error().Message();
  EXPECT_EQ(*result, std::vector<uint8_t>{42});
  EXPECT_EQ(second.Received(0x0100).size(), 1u);  // once, at the new DASP
  EXPECT_EQ(client->stats().rehomes, 0u);
  EXPECT_EQ(client->stats().call_failures, 0u);
}

TEST_F(EventsTest, ShuttingDownFromTheCurrentSessionIsNoMoveAndFailsTheCall) {
  auto client = OpenClient();  // reopen_on_failure off
  dasp.set_hold(true);
  std::promise<Result<std::vector<uint8_t>>> answered;
  client->Call(0x0100, {1},
               [&answered](Result<std::vector<uint8_t>>&& r) { answered.set_value(std::move(r)); });
  ASSERT_TRUE(WaitUntil([&] { return dasp.held() == 1; }, 2000ms));
  dasp.NakHeld(mp::Errc::kShuttingDown);  // no REDIRECT came: not a moved session
  auto f = answered.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(f.get().code(), mp::Errc::kShuttingDown);
}

TEST_F(EventsTest, ErrorsAndTheExitAreReportedToTheDasp) {
  auto client = OpenClient();
  client->ReportError(static_cast<uint16_t>(mp::Errc::kReplyTimeout), "the remote's key stuck");
  ASSERT_TRUE(WaitUntil([&] { return dasp.Received(mp::wire::kErrorReport).size() == 1; }));
  auto report = mp::ErrorReportPayload::Decode(dasp.Received(mp::wire::kErrorReport)[0].payload);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->error, static_cast<uint16_t>(mp::Errc::kReplyTimeout));
  EXPECT_EQ(report->text, "the remote's key stuck");

  std::promise<Status> closed;
  client->Close("viewer left", [&closed](Status s) { closed.set_value(s); });
  ASSERT_TRUE(closed.get_future().get().ok());
  const auto reports = dasp.Received(mp::wire::kErrorReport);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(mp::ErrorReportPayload::Decode(reports[1].payload)->text, "exit: viewer left");
  EXPECT_EQ(dasp.Received(mp::wire::kCloseSession).size(), 1u);
  EXPECT_EQ(client->state(), ClientState::kClosed);
}

}  // namespace
}  // namespace dabs::dacp
