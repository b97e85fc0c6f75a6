// Nodes over real sockets on loopback: UDP, multicast, local datagram sockets, in-process
// dispatch, proximity, and a lossy link.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

namespace dabs::mp {
namespace {

using namespace std::chrono_literals;

Endpoint Ep(const std::string& s) {
  return Endpoint::Parse(s).value();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("dabs-node-test-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// A node that echoes every message back as its reply.
std::unique_ptr<Node> EchoNode(boost::asio::io_context& io, NodeConfig config,
                               std::atomic<int>* delivered = nullptr) {
  auto holder = std::make_shared<Node*>(nullptr);
  NodeCallbacks cb;
  cb.on_message = [holder, delivered](Message&& m) {
    if (delivered) ++*delivered;
    (*holder)->Reply(m, m.payload);
  };
  auto node = Node::Create(io, std::move(config), cb);
  EXPECT_TRUE(node.ok()) << (node.ok() ? "" : node.error().Message());
  *holder = node->get();
  return std::move(*node);
}

NodeConfig Udp() {
  NodeConfig c;
  c.udp = Ep("127.0.0.1:0");
  return c;
}

class NodeTest : public ::testing::Test {
 protected:
  IoThreads threads{2};
};

TEST_F(NodeTest, SynchronousRequestGetsItsReplyOverUdp) {
  auto server = EchoNode(threads.io(), Udp());
  auto client = Node::Create(threads.io(), Udp(), {}).value();
  const Endpoint to = *server->udp_endpoint();
  EXPECT_EQ(to.ToString().rfind("127.0.0.1:", 0), 0u);
  auto reply = client->SendSync(to, 0, wire::kPing, 0, {1, 2, 3});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  EXPECT_EQ(reply->payload, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(reply->peer, to);
}

// A plant between the client and the farm: every datagram out waits `delay`; the first
// `drop_inbound` datagrams in are lost.
class TestShaper final : public LinkShaper {
 public:
  TestShaper(Duration delay, int drop_inbound) : delay_(delay), drop_inbound_(drop_inbound) {}
  FaultDecision Outbound(const Endpoint&, std::span<const uint8_t>, TimePoint) override {
    ++outbound;
    FaultDecision d;
    d.extra_delay = delay_;
    return d;
  }
  FaultDecision Inbound(const Endpoint&, std::span<const uint8_t>, TimePoint) override {
    ++inbound;
    FaultDecision d;
    if (drop_inbound_ > 0) {
      --drop_inbound_;
      d.copies = 0;
    }
    return d;
  }
  std::atomic<int> outbound{0}, inbound{0};

 private:
  Duration delay_;
  int drop_inbound_;
};

TEST_F(NodeTest, AShaperDelaysWhatTheNodeSendsAndLosesWhatItReceives) {
  auto server = EchoNode(threads.io(), Udp());
  NodeConfig cc = Udp();
  auto shaper = std::make_shared<TestShaper>(60ms, 1);
  cc.shaper = shaper;
  cc.engine.rto.initial = 100ms;
  auto client = Node::Create(threads.io(), cc, {}).value();
  const auto start = std::chrono::steady_clock::now();
  auto r = client->SendSync(*server->udp_endpoint(), 0, wire::kPing, 0, {7});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().Message();
  // The request was held 60 ms on its way out; the first datagram back was lost, and the
  // exchange still completed.
  EXPECT_GE(took, 60ms);
  EXPECT_GE(shaper->outbound.load(), 1);
  EXPECT_GE(shaper->inbound.load(), 2);
  EXPECT_EQ(client->Stats().fault_drops, 1u);
}

TEST_F(NodeTest, OneMebibyteMessageCrossesLoopbackBothWays) {
  auto server = EchoNode(threads.io(), Udp());
  auto client = Node::Create(threads.io(), Udp(), {}).value();
  const Endpoint to = *server->udp_endpoint();
  std::vector<uint8_t> big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 7 + (i >> 10));
  auto reply = client->SendSync(to, 0, 0x0100, 0, big);
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  EXPECT_EQ(reply->payload, big);
}

TEST_F(NodeTest, GroupRequestReachesEveryMemberAndOneReplyAnswersIt) {
  const Endpoint group = Ep("239.255.77.1:" + std::to_string(20000 + ::getpid() % 20000));
  std::atomic<int> delivered{0};
  NodeConfig member = Udp();
  member.groups = {group};
  member.multicast_interface = "127.0.0.1";
  auto m1 = EchoNode(threads.io(), member, &delivered);
  auto m2 = EchoNode(threads.io(), member, &delivered);
  NodeConfig cc = Udp();
  cc.multicast_interface = "127.0.0.1";
  auto client = Node::Create(threads.io(), cc, {}).value();
  auto reply = client->SendSync(group, 0, wire::kOpenSession, kVaLbGroup,
                                OpenSessionRequest{"echo", {}, {}, {}}.Encode());
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  const auto from = reply->peer;
  EXPECT_TRUE(from == *m1->udp_endpoint() || from == *m2->udp_endpoint());
  for (int i = 0; i < 100 && delivered < 2; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(delivered, 2);
  EXPECT_EQ(m1->Stats().engine.acks_sent + m2->Stats().engine.acks_sent, 0u);  // not ACKed
}

TEST_F(NodeTest, ANaksTextReachesTheSender) {
  // A refusal explains itself: the NAK's text is the error's detail (dabsctl prints it).
  auto holder = std::make_shared<Node*>(nullptr);
  NodeCallbacks cb;
  cb.on_message = [holder](Message&& m) { (*holder)->Nak(m, Errc::kNoCapacity, "no room on s1"); };
  auto server = Node::Create(threads.io(), Udp(), cb).value();
  *holder = server.get();
  auto client = Node::Create(threads.io(), Udp(), {}).value();
  auto reply = client->SendSync(*server->udp_endpoint(), 0, wire::kPing, 0, {});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, make_error_code(Errc::kNoCapacity));
  EXPECT_EQ(reply.error().detail, "no room on s1");
}

TEST_F(NodeTest, LocalSocketsCarryMessagesWithoutAcks) {
  NodeConfig sc, cc;
  sc.local_path = TempPath("server.sock");
  cc.local_path = TempPath("client.sock");
  auto server = EchoNode(threads.io(), sc);
  auto client = Node::Create(threads.io(), cc, {}).value();
  auto reply = client->SendSync(Endpoint::Local(*sc.local_path), 0, wire::kPing, 0, {9, 9});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  EXPECT_EQ(reply->payload, (std::vector<uint8_t>{9, 9}));
  EXPECT_EQ(server->Stats().engine.acks_sent, 0u);
  EXPECT_EQ(client->Stats().engine.acks_sent, 0u);
  client.reset();
  server.reset();
  threads.Stop();
  EXPECT_FALSE(std::filesystem::exists(*sc.local_path));  // cleaned up on close
}

TEST_F(NodeTest, ABurstOverLocalSocketsCompletesEvenWhenThePeersQueueFills) {
  // Linux queues only net.unix.max_dgram_qlen (often 10) datagrams per local socket, and never
  // says when there is room again: every request must still get its answer, none lost.
  NodeConfig sc, cc;
  sc.local_path = TempPath("burst-server.sock");
  cc.local_path = TempPath("burst-client.sock");
  IoThreads other(1);
  auto server = EchoNode(other.io(), sc);
  auto client = Node::Create(threads.io(), cc, {}).value();
  constexpr int kRequests = 20000, kWindow = 64;
  std::mutex mu;
  std::condition_variable cv;
  int sent = 0, done = 0, failed = 0;
  std::unique_lock lock(mu);
  while (done < kRequests) {
    while (sent < kRequests && sent - done < kWindow) {
      ++sent;
      lock.unlock();
      SendOptions o;
      o.reply_timeout = 2s;
      client->Send(Endpoint::Local(*sc.local_path), 0, wire::kPing, 0, {1, 2, 3}, o,
                   [&](SendResult&& r) {
                     std::lock_guard l(mu);
                     ++done;
                     failed += r.error ? 1 : 0;
                     cv.notify_all();
                   });
      lock.lock();
    }
    cv.wait_for(lock, 100ms);
  }
  EXPECT_EQ(failed, 0);
  std::printf("local retries: client %llu, server %llu\n",
              static_cast<unsigned long long>(client->Stats().local_retries),
              static_cast<unsigned long long>(server->Stats().local_retries));
}

TEST_F(NodeTest, LocalPeerThatNeverAnswersTimesOut) {
  NodeConfig sc, cc;
  sc.local_path = TempPath("mute.sock");
  cc.local_path = TempPath("asker.sock");
  auto mute = Node::Create(threads.io(), sc, {}).value();
  auto client = Node::Create(threads.io(), cc, {}).value();
  SendOptions o;
  o.reply_timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto reply = client->SendSync(Endpoint::Local(*sc.local_path), 0, wire::kPing, 0, {}, o);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), Errc::kReplyTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST_F(NodeTest, InProcessNodesReachEachOtherDirectly) {
  auto hub = std::make_shared<InProcessHub>();
  NodeConfig sc, cc;
  sc.hub = cc.hub = hub;
  sc.in_process_name = "server";
  cc.in_process_name = "client";
  auto server = EchoNode(threads.io(), sc);
  auto client = Node::Create(threads.io(), cc, {}).value();
  auto reply = client->SendSync(Endpoint::InProcess("server"), 0, wire::kPing, 0, {4});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  EXPECT_EQ(reply->payload, std::vector<uint8_t>{4});
  EXPECT_EQ(client->Stats().sent + server->Stats().sent, 0u);  // no socket involved
}

TEST_F(NodeTest, SendToVaPicksTheClosestTransport) {
  auto hub = std::make_shared<InProcessHub>();
  NodeConfig sc = Udp();
  sc.local_path = TempPath("va-server.sock");
  sc.hub = hub;
  sc.in_process_name = "va-server";
  std::atomic<int> delivered{0};
  auto server = EchoNode(threads.io(), sc, &delivered);
  auto resolver = std::make_shared<InMemoryResolver>();
  const Va va = MakeVa(1, 42);
  Location where;
  where.host_id = "host-a";
  where.pid = 100;
  where.udp = *server->udp_endpoint();
  where.local = *server->local_endpoint();
  where.in_process = *server->in_process_endpoint();
  resolver->Put({va, VaUri{"farm", "echo", 1}, where});

  struct Case {
    Self self;
    TransportKind expect;
  };
  for (const Case& c :
       {Case{{"host-a", 100}, TransportKind::kInProcess},
        Case{{"host-a", 200}, TransportKind::kLocal}, Case{{"host-b", 100}, TransportKind::kUdp}}) {
    NodeConfig cc = Udp();
    cc.local_path = TempPath("va-client-" + std::to_string(static_cast<int>(c.expect)));
    cc.hub = hub;
    cc.in_process_name = "va-client-" + std::to_string(static_cast<int>(c.expect));
    cc.resolver = resolver;
    cc.self = c.self;
    auto client = Node::Create(threads.io(), cc, {}).value();
    std::promise<SendResult> p;
    client->SendToVa(va, 0, wire::kPing, {1}, {},
                     [&](SendResult&& r) { p.set_value(std::move(r)); });
    SendResult r = p.get_future().get();
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.reply->peer.kind(), c.expect);
  }
  EXPECT_EQ(delivered, 3);
}

TEST_F(NodeTest, UnknownVaFailsWithNoRoute) {
  NodeConfig cc = Udp();
  cc.resolver = std::make_shared<InMemoryResolver>();
  auto client = Node::Create(threads.io(), cc, {}).value();
  std::promise<SendResult> p;
  client->SendToVa(MakeVa(3, 3), 0, wire::kPing, {}, {},
                   [&](SendResult&& r) { p.set_value(std::move(r)); });
  EXPECT_EQ(p.get_future().get().error, Errc::kNoRoute);
}

TEST_F(NodeTest, StoppingFailsPendingSendsWithCancelled) {
  auto client = Node::Create(threads.io(), Udp(), {}).value();
  std::promise<SendResult> p;
  // 192.0.2.1 (TEST-NET-1) never answers.
  client->Send(Ep("192.0.2.1:9"), 0, wire::kPing, 0, {}, {},
               [&](SendResult&& r) { p.set_value(std::move(r)); });
  std::this_thread::sleep_for(20ms);
  client->Stop();
  EXPECT_EQ(p.get_future().get().error, Errc::kCancelled);
}

TEST_F(NodeTest, LossyLinkStillDeliversEveryMessageOnce) {
  NodeConfig sc = Udp(), cc = Udp();
  sc.faults = cc.faults = {.loss = 0.1, .duplicate = 0.05, .reorder = 0.2, .corrupt = 0.01};
  sc.fault_seed = 11;
  cc.fault_seed = 12;
  sc.engine.max_transmissions = cc.engine.max_transmissions = 12;
  std::mutex mu;
  std::map<int, int> seen;
  auto holder = std::make_shared<Node*>(nullptr);
  NodeCallbacks cb;
  cb.on_message = [&, holder](Message&& m) {
    {
      std::lock_guard lock(mu);
      ++seen[m.payload[0] << 8 | m.payload[1]];
    }
    (*holder)->Reply(m, m.payload);
  };
  auto server = Node::Create(threads.io(), sc, cb).value();
  *holder = server.get();
  auto client = Node::Create(threads.io(), cc, {}).value();
  const Endpoint to = *server->udp_endpoint();
  client->OpenSession(to, 1);
  server->OpenSession(*client->udp_endpoint(), 1);
  constexpr int kMessages = 500;
  std::atomic<int> ok{0}, bad{0};
  std::promise<void> all;
  for (int i = 0; i < kMessages; ++i) {
    std::vector<uint8_t> p = {static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    client->Send(to, 1, 0x0100, 0, p, {}, [&, p](SendResult&& r) {
      (!r.error && r.reply && r.reply->payload == p) ? ++ok : ++bad;
      if (ok + bad == kMessages) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(60s), std::future_status::ready);
  EXPECT_EQ(ok, kMessages);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  for (auto& [i, n] : seen)
    EXPECT_EQ(n, 1) << "message " << i;
  EXPECT_GT(client->Stats().fault_drops, 0u);
}

// A client written from the spec alone, with a plain socket: it must be understood.
class RawClient {
 public:
  RawClient() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  void Send(const Endpoint& to, const std::vector<uint8_t>& bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(to.port());
    a.sin_addr.s_addr = htonl(to.v4());
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  std::vector<uint8_t> Receive() {
    std::vector<uint8_t> buf(2048);
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }

 private:
  int fd_;
};

TEST_F(NodeTest, UnsupportedVersionFromARawClientIsNakedWithError3) {
  auto server = EchoNode(threads.io(), Udp());
  RawClient raw;
  // Version 2 PING, session 0, transaction 9.
  raw.Send(*server->udp_endpoint(), {0x02, 0x00, 0x0B, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0});
  const auto bytes = raw.Receive();
  auto d = DecodeDatagram(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->header.kind, Kind::kNak);
  EXPECT_EQ(d->header.transaction, 9);
  EXPECT_EQ(NakPayload::Decode(d->payload)->error, Errc::kUnsupportedVersion);
}

TEST_F(NodeTest, OversizeDatagramIsCountedAndDropped) {
  auto server = EchoNode(threads.io(), Udp());
  RawClient raw;
  raw.Send(*server->udp_endpoint(), std::vector<uint8_t>(600, 0x01));
  for (int i = 0; i < 100 && server->Stats().oversize == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->Stats().oversize, 1u);
  EXPECT_EQ(server->Stats().engine.messages_delivered, 0u);
}

TEST_F(NodeTest, CoalescedSendsReachAPlainSocketAsSeparateDatagrams) {
  // 20 requests in a burst draw 20 ACKs and 20 replies, which leave as GSO runs; a plain
  // socket (no GRO) must still get 40 separate, valid datagrams.
  auto server = EchoNode(threads.io(), Udp());
  // A loaded machine may wake the server once per datagram (no runs to coalesce): up to five
  // bursts, until one went out as GSO runs. A socket per burst: the replies are never ACKed,
  // and their retransmissions go to the previous one.
  for (int round = 0; round < 5 && server->Stats().offload_sends == 0; ++round) {
    RawClient raw;
    for (uint8_t t = 0; t < 20; ++t) {
      const auto id = static_cast<uint8_t>(round * 20 + t);
      raw.Send(*server->udp_endpoint(),
               {0x01, 0x00, 0x0B, 0x00, id, 0, 0, 0, 0, 0, 0, 0, 'x', 'y'});
    }
    int acks = 0, replies = 0;
    for (int i = 0; i < 40; ++i) {
      const auto bytes = raw.Receive();
      auto d = DecodeDatagram(bytes);
      ASSERT_TRUE(d.ok()) << "datagram " << i << " of " << bytes.size() << " bytes";
      (d->header.kind == Kind::kAck ? acks : replies)++;
    }
    EXPECT_EQ(acks, 20);
    EXPECT_EQ(replies, 20);
  }
  EXPECT_GT(server->Stats().offload_sends, 0u);
}

TEST_F(NodeTest, PlainSpecClientPingIsAckedAndReplied) {
  auto server = EchoNode(threads.io(), Udp());
  RawClient raw;
  // PING, no CRC, session 0, transaction 3, payload "hi".
  raw.Send(*server->udp_endpoint(), {0x01, 0x00, 0x0B, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 'h', 'i'});
  const auto first = raw.Receive(), second = raw.Receive();
  auto ack = DecodeDatagram(first);
  auto reply = DecodeDatagram(second);
  ASSERT_TRUE(ack.ok() && reply.ok());
  EXPECT_EQ(ack->header.kind, Kind::kAck);
  EXPECT_EQ(reply->header.kind, Kind::kReply);
  EXPECT_EQ(reply->header.transaction, 3);
  EXPECT_EQ(std::string(reply->payload.begin(), reply->payload.end()), "hi");
}

}  // namespace
}  // namespace dabs::mp
