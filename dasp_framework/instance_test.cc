// A DASP instance over real sockets on loopback, with a fake dabs-lbd on a local socket.
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include <dabs/dasp/instance.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/tlv.h>

#include "dasp_testing.h"

namespace dabs::dasp {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::FakeLbd;
using testing::Standalone;

// Echoes; checks that each session's requests come in order (payload: u32 sequence).
class OrderedEcho : public Server {
 public:
  struct Seen {
    int64_t last = -1;
  };
  void OnMessage(Session& session, Request& request) override {
    auto& seen = session.State<Seen>();
    const int64_t seq = request.payload().size() >= 4 ? mp::GetU32(request.payload().data()) : -1;
    if (seq != seen.last + 1) ++out_of_order;
    seen.last = seq;
    (void)request.Reply({request.payload().begin(), request.payload().end()});
  }
  void OnClose(Session&) override { ++closed; }
  std::atomic<int> out_of_order{0}, closed{0};
};

std::unique_ptr<Instance> Make(boost::asio::io_context& io, InstanceConfig c,
                               std::unique_ptr<Server> s) {
  auto i = Instance::Create(io, std::move(c), std::move(s));
  EXPECT_TRUE(i.ok()) << (i.ok() ? "" : i.error().Message());
  (*i)->Start();
  return std::move(*i);
}

std::vector<uint8_t> Seq(uint32_t n) {
  std::vector<uint8_t> v(4);
  mp::PutU32(v.data(), n);
  return v;
}

TEST(Instance, ThousandSessionsOfTwentyRequestsEachGetRightAnswersInOrder) {
  mp::IoThreads io(2);
  auto server = std::make_unique<OrderedEcho>();
  OrderedEcho* echo = server.get();
  auto c = Standalone();
  c.max_sessions = 2000;
  auto instance = Make(io.io(), c, std::move(server));
  const mp::Endpoint dasp = instance->udp_endpoint();
  constexpr int kSessions = 1000, kRequests = 20, kClients = 8;  // 125 sessions per endpoint
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<Client>(io.io()));
  struct Chain {
    Client* client;
    uint8_t session;
    uint32_t next = 0;
  };
  std::vector<Chain> chains;
  for (int s = 0; s < kSessions; ++s) {
    Client* client = clients[s % kClients].get();
    auto opened = client->Open(dasp);
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
    chains.push_back({client, opened->session});
  }
  EXPECT_EQ(instance->session_count(), static_cast<size_t>(kSessions));
  std::atomic<int> right{0}, wrong{0}, done{0};
  std::promise<void> all;
  // Every session sends its next request when the previous answer came: 1,000 in parallel.
  std::function<void(Chain&)> send = [&](Chain& ch) {
    const uint32_t n = ch.next++;
    ch.client->node().Send(dasp, ch.session, 0x0100, 0, Seq(n), {}, [&, n](mp::SendResult&& r) {
      (!r.error && r.reply && r.reply->payload == Seq(n)) ? ++right : ++wrong;
      if (ch.next < kRequests) return send(ch);
      if (++done == kSessions) all.set_value();
    });
  };
  for (auto& ch : chains)
    send(ch);
  ASSERT_EQ(all.get_future().wait_for(60s), std::future_status::ready);
  EXPECT_EQ(right, kSessions * kRequests);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(echo->out_of_order, 0);
}

class Slow : public Server {
 public:
  void OnMessage(Session&, Request& request) override {
    std::this_thread::sleep_for(2ms);
    (void)request.Reply({});
  }
};

TEST(Instance, OverloadMakesTheReadTimerReportABacklogToLbd) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  c.control = testing::TempSocket("dasp");
  c.read_timer.backlog_reads = 16;
  auto instance = Make(io.io(), c, std::make_unique<Slow>());
  // Many sessions at once: every worker always finds work waiting (one busy session would
  // keep one worker busy while the other's reads time out: not an overload).
  std::atomic<int> answered{0};  // outlives the client, whose stop fails what is still pending
  Client client(io.io());
  for (int s = 0; s < 8; ++s) {
    auto opened = client.Open(instance->udp_endpoint());
    ASSERT_TRUE(opened.ok());
    for (int i = 0; i < 60; ++i) {
      client.node().Send(instance->udp_endpoint(), opened->session, 0x0100, 0, {}, {},
                         [&](mp::SendResult&&) { ++answered; });
    }
  }
  auto busy = lbd.WaitForState(mp::StateReason::kBacklog, 10s);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->state, mp::wire::DaspState::kBusy);
  EXPECT_EQ(busy->va, c.va);
  // Drained, the instance says it is ready again.
  auto ready = lbd.WaitFor(
      [](const mp::Message& m) {
        auto s = mp::StateChange::Decode(m.payload);
        return m.header.command == mp::wire::kStateChange && s &&
               s->state == mp::wire::DaspState::kReady && s->reason == mp::StateReason::kBacklog;
      },
      15s);
  EXPECT_TRUE(ready);
}

class Locker : public Server {
 public:
  void OnMessage(Session&, Request& request) override {
    auto guard = lock->Acquire();
    if (!guard) {
      (void)request.Refuse(mp::Errc::kLimitExceeded, guard.error().detail);
      return;
    }
    (void)request.Reply({});
  }
  std::shared_ptr<ResourceLock> lock;
};

TEST(Instance, AHeldLockTimesOutAndAsksLbdForAnotherInstanceWithItsResourceType) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  c.lock_timeout = 40ms;
  auto server = std::make_unique<Locker>();
  Locker* locker = server.get();
  auto instance = Make(io.io(), c, std::move(server));
  locker->lock = instance->MakeLock("ledger", "disk");
  auto held = locker->lock->Acquire();  // the test holds it
  ASSERT_TRUE(held.ok());
  Client client(io.io());
  auto opened = client.Open(instance->udp_endpoint());
  ASSERT_TRUE(opened.ok());
  auto answer = client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, {});
  EXPECT_EQ(answer.code(), mp::Errc::kLimitExceeded);
  auto request = lbd.WaitForState(mp::StateReason::kLockTimeout);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->resource_type, "disk");
  EXPECT_NE(request->detail.find("ledger"), std::string::npos);
  EXPECT_EQ(instance->Snapshot().Get(mp::stat_tag::kLockTimeouts), 1u);
}

// Replies after a while, from another thread, through a Responder.
class Deferred : public Server {
 public:
  void OnMessage(Session&, Request& request) override {
    std::thread([r = request.TakeResponder()] {
      std::this_thread::sleep_for(150ms);
      (void)r.Reply({0x42});
    }).detach();
  }
};

TEST(Instance, CleanShutdownTellsEveryClientWaitsForThemAndFinishesPendingWork) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  auto instance = Make(io.io(), c, std::make_unique<Deferred>());
  Client a(io.io()), b(io.io());
  auto sa = a.Open(instance->udp_endpoint());
  auto sb = b.Open(instance->udp_endpoint());
  ASSERT_TRUE(sa.ok() && sb.ok());
  // A request still being worked on when the shutdown starts.
  // Shared with the callback: the client's node outlives this frame's promise and fails the
  // abandoned send when it is destroyed at the end of the test.
  auto pending = std::make_shared<std::promise<mp::SendResult>>();
  a.node().Send(instance->udp_endpoint(), sa->session, 0x0100, 0, {}, {},
                [pending](mp::SendResult&& r) { pending->set_value(std::move(r)); });
  std::this_thread::sleep_for(30ms);
  std::promise<void> stopped;
  instance->Shutdown(ShutdownMode::kClean, [&] { stopped.set_value(); });
  ASSERT_TRUE(a.WaitUnsolicited(mp::wire::kShutdown));
  ASSERT_TRUE(b.WaitUnsolicited(mp::wire::kShutdown));
  EXPECT_EQ(a.Unsolicited()[0].payload, std::vector<uint8_t>{mp::wire::kShutdownClean});
  const auto r = pending->get_future().get();
  EXPECT_FALSE(r.error) << r.error.message();  // the pending transaction was finished
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(lbd.WaitForState(mp::StateReason::kShutdown));
  EXPECT_TRUE(lbd.WaitFor([](const mp::Message& m) {
    auto e = mp::ErrorReportPayload::Decode(m.payload);
    return m.header.command == mp::wire::kErrorReport && e && e->text == "exit: clean shutdown";
  }));
  EXPECT_EQ(instance->state(), mp::wire::DaspState::kStopped);
}

TEST(Instance, ClientsThatNeverAckShutdownAreCountedInOneReportNotOneEach) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  c.shutdown_timeout = 1s;
  auto instance = Make(io.io(), c, std::make_unique<Deferred>());
  Client a(io.io());
  auto gone1 = std::make_unique<Client>(io.io());
  auto gone2 = std::make_unique<Client>(io.io());
  ASSERT_TRUE(a.Open(instance->udp_endpoint()).ok());
  ASSERT_TRUE(gone1->Open(instance->udp_endpoint()).ok());
  ASSERT_TRUE(gone2->Open(instance->udp_endpoint()).ok());
  gone1.reset();  // two set-tops switched off without a word
  gone2.reset();
  std::promise<void> stopped;
  instance->Shutdown(ShutdownMode::kClean, [&] { stopped.set_value(); });
  ASSERT_TRUE(a.WaitUnsolicited(mp::wire::kShutdown));
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  auto text_of = [](const mp::Message& m) {
    auto e = mp::ErrorReportPayload::Decode(m.payload);
    return m.header.command == mp::wire::kErrorReport && e ? e->text : std::string();
  };
  EXPECT_TRUE(lbd.WaitFor([&](const mp::Message& m) {
    return text_of(m) == "2 of 3 clients did not acknowledge SHUTDOWN";
  }));
  EXPECT_TRUE(
      lbd.WaitFor([&](const mp::Message& m) { return text_of(m) == "exit: clean shutdown"; }));
  EXPECT_FALSE(lbd.WaitFor(
      [&](const mp::Message& m) { return text_of(m).rfind("SHUTDOWN to ", 0) == 0; }, 200ms))
      << "one report per client that did not answer";
}

TEST(Instance, EmergencyShutdownTellsClientsAndStopsAtOnce) {
  mp::IoThreads io(2);
  auto instance = Make(io.io(), Standalone(), std::make_unique<Deferred>());
  Client a(io.io());
  auto sa = a.Open(instance->udp_endpoint());
  ASSERT_TRUE(sa.ok());
  // Shared with the callback: the client's node outlives this frame's promise and fails the
  // abandoned send when it is destroyed at the end of the test.
  auto pending = std::make_shared<std::promise<mp::SendResult>>();
  a.node().Send(instance->udp_endpoint(), sa->session, 0x0100, 0, {}, {},
                [pending](mp::SendResult&& r) { pending->set_value(std::move(r)); });
  std::this_thread::sleep_for(30ms);
  std::promise<void> stopped;
  const auto start = std::chrono::steady_clock::now();
  instance->Shutdown(ShutdownMode::kEmergency, [&] { stopped.set_value(); });
  ASSERT_EQ(stopped.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);  // did not wait for anyone
  ASSERT_TRUE(a.WaitUnsolicited(mp::wire::kShutdown));
  EXPECT_EQ(a.Unsolicited()[0].payload, std::vector<uint8_t>{mp::wire::kShutdownEmergency});
  // The pending transaction was abandoned: no reply comes.
  EXPECT_EQ(pending->get_future().wait_for(400ms), std::future_status::timeout);
}

TEST(Instance, TheStatisticsReplyCarriesRealFigures) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  c.control = testing::TempSocket("dasp");
  auto instance = Make(io.io(), c, std::make_unique<OrderedEcho>());
  instance->OnStatisticsRequest([](mp::Statistics& s) { s.values[0x90] = 1234; });
  Client client(io.io());
  auto opened = client.Open(instance->udp_endpoint());
  ASSERT_TRUE(opened.ok());
  for (uint32_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, Seq(i)).ok());
  }
  auto reply =
      lbd.node().SendSync(mp::Endpoint::Local(c.control), 0, mp::wire::kGetStatistics, 0, {});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  auto s = mp::Statistics::Decode(reply->payload);
  ASSERT_TRUE(s.ok());
  using namespace mp::stat_tag;
  EXPECT_EQ(s->Get(kSessions), 1u);
  EXPECT_EQ(s->Get(kMessagesTotal), 50u);
  EXPECT_EQ(s->Get(kVa), c.va);
  EXPECT_EQ(s->Get(kState), static_cast<uint64_t>(mp::wire::DaspState::kReady));
  EXPECT_GT(s->Get(kResidentKb), 1000u);  // a real process is megabytes
  EXPECT_GT(s->Get(kReadsNotTimedOut), 0u);
  EXPECT_EQ(s->Get(0x90), 1234u);  // the application's own figure
}

TEST(Instance, StartedAndReadyAreReportedToLbd) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.lbd = lbd.endpoint();
  c.control = testing::TempSocket("dasp");
  auto instance = Make(io.io(), c, std::make_unique<OrderedEcho>());
  auto started =
      lbd.WaitFor([](const mp::Message& m) { return m.header.command == mp::wire::kStarted; });
  ASSERT_TRUE(started);
  auto s = mp::Started::Decode(started->payload);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->va, c.va);
  EXPECT_EQ(s->udp, instance->udp_endpoint());
  EXPECT_EQ(s->control, c.control);
  EXPECT_EQ(s->app, "test");
  EXPECT_EQ(s->pid, static_cast<uint32_t>(::getpid()));
  EXPECT_TRUE(lbd.WaitFor([](const mp::Message& m) {
    return m.header.command == mp::wire::kStateChange && !m.payload.empty() &&
           m.payload[0] == static_cast<uint8_t>(mp::wire::DaspState::kReady);
  }));
}

TEST(Instance, AddClientOpensASessionWhoseReplyComesFromTheInstanceAndARetransmissionGetsTheSame) {
  mp::IoThreads io(2);
  FakeLbd lbd(io.io());
  auto c = Standalone();
  c.standalone = false;
  c.lbd = lbd.endpoint();
  c.control = testing::TempSocket("dasp");
  c.server_id = "s1";
  auto instance = Make(io.io(), c, std::make_unique<OrderedEcho>());
  // A client whose OPEN_SESSION reached the farm (not the instance) with transaction 9.
  std::promise<mp::Message> reply_to_client;
  mp::NodeConfig cc;
  cc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  mp::NodeCallbacks cb;
  auto client = mp::Node::Create(io.io(), cc, cb).value();
  mp::AddClient add;
  add.request = mp::OpenSessionRequest{"test", {}, "stb-1", {}}.Encode();
  add.client = *client->udp_endpoint();
  add.transaction = 9;
  add.client_va = mp::MakeVa(1, 5000);
  add.instance_va = c.va;
  // The client waits for its reply as if it had sent transaction 9 to a group.
  auto first =
      lbd.node().SendSync(mp::Endpoint::Local(c.control), 0, mp::wire::kAddClient, 0, add.Encode());
  ASSERT_TRUE(first.ok()) << first.error().Message();
  auto t = mp::TlvList::Parse(first->payload);
  ASSERT_TRUE(t.ok());
  const uint8_t session = t->U8(mp::tag::kSession).value();
  EXPECT_EQ(t->U32(mp::tag::kDaspVa), c.va);
  EXPECT_EQ(instance->session_count(), 1u);
  auto again =
      lbd.node().SendSync(mp::Endpoint::Local(c.control), 0, mp::wire::kAddClient, 0, add.Encode());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(mp::TlvList::Parse(again->payload)->U8(mp::tag::kSession), session);
  EXPECT_EQ(instance->session_count(), 1u);  // never a second session
}

TEST(Instance, AnOpenReplyTheClientNeverAcksDropsTheSession) {
  mp::IoThreads io(2);
  auto c = Standalone();
  c.engine.max_transmissions = 2;
  c.engine.rto.initial = 20ms;
  auto instance = Make(io.io(), c, std::make_unique<OrderedEcho>());
  // A raw socket sends OPEN_SESSION and never ACKs the reply.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(instance->udp_endpoint().port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  mp::Header h;
  h.command = mp::wire::kOpenSession;
  h.transaction = 3;
  std::vector<uint8_t> out(512);
  const auto n =
      mp::EncodeDatagram(h, mp::OpenSessionRequest{"test", {}, "raw", {}}.Encode(), out).value();
  ::sendto(fd, out.data(), n, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  for (int i = 0; i < 100 && instance->session_count() == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(instance->session_count(), 1u);
  for (int i = 0; i < 200 && instance->session_count() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(instance->session_count(), 0u);
  ::close(fd);
}

class Refusing : public Server {
 public:
  Status OnOpen(Session&, const mp::OpenSessionRequest& r) override {
    if (r.client_id == "banned")
      return Error{make_error_code(mp::Errc::kLimitExceeded), "not today"};
    return Status::Ok();
  }
  void OnMessage(Session&, Request& request) override {
    if (request.payload().empty()) throw std::runtime_error("empty");
    (void)request.Reply({});
  }
};

TEST(Instance, OpensAreRefusedWithTheRightNak) {
  mp::IoThreads io(2);
  auto c = Standalone();
  c.max_sessions = 1;
  auto instance = Make(io.io(), c, std::make_unique<Refusing>());
  Client client(io.io());
  EXPECT_EQ(client.Open(instance->udp_endpoint(), "other").code(), mp::Errc::kUnknownApplication);
  auto banned = client.node().SendSync(instance->udp_endpoint(), 0, mp::wire::kOpenSession, 0,
                                       mp::OpenSessionRequest{"test", {}, "banned", {}}.Encode());
  EXPECT_EQ(banned.code(), mp::Errc::kLimitExceeded);
  ASSERT_TRUE(client.Open(instance->udp_endpoint()).ok());
  EXPECT_EQ(client.Open(instance->udp_endpoint()).code(), mp::Errc::kNoCapacity);  // max_sessions 1
}

TEST(Instance, AThrowingHandlerRefusesTheRequestAndReportsAnError) {
  mp::IoThreads io(2);
  auto instance = Make(io.io(), Standalone(), std::make_unique<Refusing>());
  Client client(io.io());
  auto opened = client.Open(instance->udp_endpoint());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, {}).code(),
            mp::Errc::kNoCapacity);
  EXPECT_TRUE(
      client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, {1}).ok());
  EXPECT_EQ(instance->Snapshot().Get(mp::stat_tag::kErrors), 1u);
}

// Sends an unsolicited message to the client when it says hello, and counts closes.
class Talker : public OrderedEcho {
 public:
  void OnMessage(Session& session, Request& request) override {
    session.Send(0x0200, {7}, mp::SendOptions{.expect_reply = false}, [](mp::SendResult&&) {});
    OrderedEcho::OnMessage(session, request);
  }
};

TEST(Instance, UnsolicitedSendsReachTheClientAndAClosedSessionIsForgotten) {
  mp::IoThreads io(2);
  auto server = std::make_unique<Talker>();
  Talker* talker = server.get();
  auto instance = Make(io.io(), Standalone(), std::move(server));
  Client client(io.io());
  auto opened = client.Open(instance->udp_endpoint());
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(
      client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, Seq(0)).ok());
  ASSERT_TRUE(client.WaitUnsolicited(0x0200));
  mp::SendOptions one_way;
  one_way.expect_reply = false;
  ASSERT_TRUE(client.node()
                  .SendSync(instance->udp_endpoint(), opened->session, mp::wire::kCloseSession, 0,
                            {}, one_way)
                  .ok());
  for (int i = 0; i < 100 && talker->closed == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(talker->closed, 1);
  EXPECT_EQ(instance->session_count(), 0u);
  // The client kept its side open: NAK 2 three times, then it is told to reopen (spec 2).
  EXPECT_EQ(
      client.node().SendSync(instance->udp_endpoint(), opened->session, 0x0100, 0, Seq(1)).code(),
      mp::Errc::kRejected);
}

}  // namespace
}  // namespace dabs::dasp
