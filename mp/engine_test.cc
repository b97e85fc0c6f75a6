// The reliability engine under a fake clock and a fake link (spec 1.3-1.5, 2, 4).
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include <dabs/mp/engine.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/testing/fake_network.h>

namespace dabs::mp {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::FakeNetwork;

Endpoint Ep(const char* s) {
  return Endpoint::Parse(s).value();
}

struct TestNode : EngineHandler {
  TestNode(FakeNetwork& net, const FakeClock& clock, const Endpoint& ep,
           const EngineConfig& config = {}, uint64_t seed = 7)
      : port(net.AddPort(ep)), random(seed), engine(config, clock, random, port, *this) {
    port.Bind(&engine);
  }
  void OnMessage(Message&& m) override {
    received.push_back(m);
    if (echo) {
      Status s = engine.Reply(received.back(), received.back().payload);
      EXPECT_TRUE(s.ok()) << s.error().Message();
    }
  }
  void OnErrorReport(const ErrorReport& r) override { reports.push_back(r); }
  void OnSessionReopen(const Endpoint& p, uint8_t s) override { reopens.emplace_back(p, s); }

  const Endpoint& ep() const { return port.endpoint(); }

  FakeNetwork::Port& port;
  SeededRandom random;
  Engine engine;
  std::vector<Message> received;
  std::vector<ErrorReport> reports;
  std::vector<std::pair<Endpoint, uint8_t>> reopens;
  bool echo = false;
};

std::vector<uint8_t> Pattern(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 8));
  return v;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : net(clock, 42), a(net, clock, Ep("10.0.0.1:1000")), b(net, clock, Ep("10.0.0.2:2000")) {
    a.engine.OpenSession(b.ep(), 5);
    b.engine.OpenSession(a.ep(), 5);
    b.echo = true;
  }

  // Sends from a to b on session 5 and runs until the result is in.
  SendResult SendAndWait(std::vector<uint8_t> payload, SendOptions options = {},
                         Duration limit = milliseconds(60'000), uint16_t command = 0x0100) {
    std::optional<SendResult> result;
    a.engine.Send(b.ep(), 5, command, 0, std::move(payload), options,
                  [&](SendResult&& r) { result = std::move(r); });
    net.RunUntil([&] { return result.has_value(); }, limit);
    EXPECT_TRUE(result.has_value()) << "no result within the limit";
    if (result) return std::move(*result);
    SendResult none;
    none.error = Errc::kCancelled;
    return none;
  }

  FakeClock clock;
  FakeNetwork net;
  TestNode a, b;
};

TEST_F(EngineTest, RequestIsAckedRepliedAndTheReplyAcked) {
  auto r = SendAndWait({1, 2, 3});
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->payload, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(r.reply->header.kind, Kind::kReply);
  EXPECT_EQ(r.transmissions, 1);
  net.RunFor(milliseconds(100));
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.engine.stats().acks_sent, 1u);  // ACK on accept
  EXPECT_EQ(a.engine.stats().acks_sent, 1u);  // the reply is ACKed by the original sender
  EXPECT_EQ(b.engine.pending_count(), 0u);    // so b forgets its reply
  EXPECT_EQ(a.engine.pending_count(), 0u);
}

TEST_F(EngineTest, OneWayMessageCompletesOnItsAck) {
  b.echo = false;
  SendOptions one_way;
  one_way.expect_reply = false;
  auto r = SendAndWait({9}, one_way);
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(b.received.size(), 1u);
}

TEST_F(EngineTest, AsyncResultCarriesTheClientId) {
  SendOptions o;
  o.client_id = 0xC0FFEE;
  auto r = SendAndWait({1}, o);
  EXPECT_EQ(r.client_id, 0xC0FFEEu);
}

TEST_F(EngineTest, LostRequestIsResentAfterTheInitialRto) {
  int dropped = 0;
  std::vector<TimePoint> sends;
  net.SetObserver([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    if (from == a.ep() && PeekBasicHeader(bytes).kind == Kind::kMessage)
      sends.push_back(clock.Now());
  });
  net.SetDropFilter([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t>) {
    return from == a.ep() && dropped++ == 0;
  });
  auto r = SendAndWait({1});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.transmissions, 2);
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[1] - sends[0], milliseconds(250));
  EXPECT_EQ(b.received.size(), 1u);
}

TEST_F(EngineTest, GivesUpAfterMaxTransmissionsWithAnErrorReport) {
  net.SetDropFilter(
      [&](const Endpoint&, const Endpoint& to, std::span<const uint8_t>) { return to == b.ep(); });
  const TimePoint start = clock.Now();
  auto r = SendAndWait({1});
  EXPECT_EQ(r.error, Errc::kTimedOut);
  EXPECT_EQ(r.transmissions, 6);
  // 250 ms doubled on every expiry: 250 + 500 + 1000 + 2000 + 4000 + 8000.
  EXPECT_EQ(clock.Now() - start, milliseconds(15'750));
  ASSERT_EQ(a.reports.size(), 1u);
  EXPECT_EQ(a.reports[0].error, Errc::kTimedOut);
  EXPECT_EQ(a.reports[0].peer, b.ep());
  EXPECT_EQ(a.reports[0].session, 5);
}

TEST_F(EngineTest, RtoFollowsTheMeasuredRoundTrip) {
  net.SetLatency(milliseconds(40));  // 80 ms round trip
  for (int i = 0; i < 20; ++i)
    ASSERT_FALSE(SendAndWait({1}).error);
  const Duration rto = a.engine.RtoFor(b.ep());
  EXPECT_GE(rto, milliseconds(80));
  EXPECT_LE(rto, milliseconds(120));
}

TEST_F(EngineTest, RtoNeverFallsBelowTheFloor) {
  net.SetLatency(std::chrono::microseconds(50));
  for (int i = 0; i < 20; ++i)
    ASSERT_FALSE(SendAndWait({1}).error);
  EXPECT_EQ(a.engine.RtoFor(b.ep()), milliseconds(20));
}

TEST_F(EngineTest, DuplicatedDatagramsDeliverEveryMessageOnce) {
  net.SetFaults({.duplicate = 1.0});
  for (int i = 0; i < 50; ++i) {
    auto r = SendAndWait({static_cast<uint8_t>(i)});
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.reply->payload[0], i);
  }
  net.RunFor(milliseconds(500));
  EXPECT_EQ(b.received.size(), 50u);
  EXPECT_GT(b.engine.stats().duplicates, 0u);
  EXPECT_GT(a.engine.stats().duplicates, 0u);  // duplicate replies re-ACKed, not delivered
}

TEST_F(EngineTest, LostAckMakesTheSenderResendAndTheReceiverAckAgainWithoutRedelivery) {
  b.echo = false;
  int acks = 0;
  net.SetDropFilter([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    return from == b.ep() && PeekBasicHeader(bytes).kind == Kind::kAck && acks++ == 0;
  });
  SendOptions one_way;
  one_way.expect_reply = false;
  auto r = SendAndWait({7}, one_way);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.transmissions, 2);
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.engine.stats().duplicates, 1u);
}

TEST_F(EngineTest, LostReplyIsRetransmittedByItsSender) {
  int replies = 0;
  net.SetDropFilter([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    return from == b.ep() && PeekBasicHeader(bytes).kind == Kind::kReply && replies++ == 0;
  });
  auto r = SendAndWait({3});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.reply->payload, std::vector<uint8_t>{3});
  EXPECT_EQ(b.received.size(), 1u);
}

TEST_F(EngineTest, MessageOnAnUnknownSessionIsNakedAndThreeNaksAskForAReopen) {
  a.engine.OpenSession(b.ep(), 9);  // b knows nothing of session 9
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 9, 0x0100, 0, {1}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(10'000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kRejected);
  EXPECT_EQ(b.engine.stats().unknown_session, 3u);
  ASSERT_EQ(a.reopens.size(), 1u);
  EXPECT_EQ(a.reopens[0].first, b.ep());
  EXPECT_EQ(a.reopens[0].second, 9);
  EXPECT_TRUE(b.received.empty());
}

TEST_F(EngineTest, ReservedSystemCommandIsNakedWithUnknownCommand) {
  auto r = SendAndWait({}, {}, milliseconds(5000), /*command=*/0x00EE);
  EXPECT_EQ(r.error, Errc::kUnknownCommand);
  EXPECT_TRUE(b.received.empty());
}

// Spec 1.6: the C bit belongs to each datagram. A client that puts a CRC on one datagram
// and none on the next (only its noisy return path gets one) is served; it used to draw
// NAK 1 for every datagram after its first CRC.
TEST_F(EngineTest, ACrcOnSomeDatagramsOnlyIsServed) {
  std::vector<uint8_t> with_crc(512), without_crc(512);
  Header h;
  h.kind = Kind::kMessage;
  h.command = 0x0100;
  h.session = 5;
  h.sent = clock.SentTimeNow();
  h.crc = true;
  h.transaction = 0;
  const std::vector<uint8_t> payload{7, 7, 7};
  auto n1 = EncodeDatagram(h, payload, with_crc);
  ASSERT_TRUE(n1.ok());
  h.crc = false;
  h.transaction = 1;
  auto n2 = EncodeDatagram(h, payload, without_crc);
  ASSERT_TRUE(n2.ok());
  b.echo = false;
  b.engine.OnDatagram(a.ep(), std::span(with_crc).first(*n1));
  b.engine.OnDatagram(a.ep(), std::span(without_crc).first(*n2));
  ASSERT_EQ(b.received.size(), 2u);
  EXPECT_EQ(b.received[1].payload, payload);
  EXPECT_EQ(b.engine.stats().bad_crc, 0u);
  EXPECT_EQ(b.engine.stats().naks_sent, 0u);
}

// The other face of spec 1.6: the C bit is not covered by the CRC, so a datagram whose C bit
// was lost on the way reads as one sent without a CRC, its CRC byte as payload. No receiver
// can do better; applications that need integrity use encryption (spec 6).
TEST_F(EngineTest, ACrcBitLostOnTheWayGoesUnseen) {
  std::vector<uint8_t> bytes(512);
  Header h;
  h.kind = Kind::kMessage;
  h.command = 0x0100;
  h.session = 5;
  h.sent = clock.SentTimeNow();
  h.crc = true;
  auto n = EncodeDatagram(h, std::vector<uint8_t>{1, 2}, bytes);
  ASSERT_TRUE(n.ok());
  bytes[wire::kOffSentTime] &= static_cast<uint8_t>(~wire::kTimeCrc);
  b.echo = false;
  b.engine.OnDatagram(a.ep(), std::span(bytes).first(*n));
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].payload.size(), 3u);  // 1, 2 and the CRC byte
}

TEST_F(EngineTest, CorruptedDatagramIsNakedWithBadCrcAndResent) {
  int corrupted = 0;
  net.SetObserver(nullptr);
  // Corrupt a's first message by routing it through a custom drop filter that re-injects
  // a damaged copy.
  net.SetDropFilter([&](const Endpoint& from, const Endpoint& to, std::span<const uint8_t> bytes) {
    if (from != a.ep() || PeekBasicHeader(bytes).kind != Kind::kMessage || corrupted++)
      return false;
    std::vector<uint8_t> bad(bytes.begin(), bytes.end());
    bad[bad.size() - 2] ^= 0x01;
    b.engine.OnDatagram(from, bad);
    (void)to;
    return true;
  });
  auto r = SendAndWait({1, 2, 3, 4});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(b.engine.stats().bad_crc, 1u);
  EXPECT_EQ(b.engine.stats().naks_sent, 1u);
  EXPECT_EQ(a.engine.stats().naks_received, 1u);
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].payload, (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST_F(EngineTest, AtMost128MessagesOfASessionAreInFlight) {
  net.SetDropFilter([&](const Endpoint&, const Endpoint& to, std::span<const uint8_t>) {
    return to == b.ep();  // nothing gets through, so nothing completes
  });
  std::set<uint8_t> transactions_on_wire;
  net.SetObserver([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    if (from == a.ep()) transactions_on_wire.insert(PeekBasicHeader(bytes).transaction);
  });
  int results = 0;
  for (int i = 0; i < 300; ++i) {
    a.engine.Send(b.ep(), 5, 0x0100, 0, {1}, {}, [&](SendResult&&) { ++results; });
  }
  EXPECT_EQ(a.engine.pending_count(), 128u);
  EXPECT_EQ(transactions_on_wire.size(), 128u);
  EXPECT_EQ(results, 0);
}

TEST(EngineLimits, SendsBeyondTheQueueLimitFailWithQueueFull) {
  FakeClock clock;
  FakeNetwork net(clock, 1);
  EngineConfig config;
  config.send_queue_limit = 10;
  TestNode a(net, clock, Ep("10.0.0.1:1000"), config);
  a.engine.OpenSession(Ep("10.0.0.9:9"), 1);
  std::map<int, std::error_code> errors;
  for (int i = 0; i < 140; ++i) {
    a.engine.Send(Ep("10.0.0.9:9"), 1, 0x0100, 0, {1}, {},
                  [&, i](SendResult&& r) { errors[i] = r.error; });
  }
  EXPECT_EQ(errors.size(), 2u);  // 128 in flight + 10 queued; the last two refused
  EXPECT_EQ(errors[138], Errc::kQueueFull);
  EXPECT_EQ(errors[139], Errc::kQueueFull);
}

TEST_F(EngineTest, QueuedMessagesGoOutAsRoomFrees) {
  std::vector<int> done;
  for (int i = 0; i < 400; ++i) {
    a.engine.Send(b.ep(), 5, 0x0100, 0, {static_cast<uint8_t>(i)}, {}, [&, i](SendResult&& r) {
      EXPECT_FALSE(r.error);
      done.push_back(i);
    });
  }
  net.RunUntil([&] { return done.size() == 400; }, milliseconds(10'000));
  EXPECT_EQ(done.size(), 400u);
  EXPECT_EQ(b.received.size(), 400u);
}

// Exactly-once delivery while a pipelined session wraps its 8-bit transaction ids many
// times over a link that loses, duplicates, reorders and corrupts (see ReuseGuard).
class EngineWrapTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EngineWrapTest, EveryMessageIsDeliveredAndAnsweredExactlyOnce) {
  FakeClock clock;
  FakeNetwork net(clock, GetParam());
  // With 10% loss each way a round fails one time in five; ten transmissions make giving up
  // (which is reported, and tested elsewhere) a one-in-ten-million event.
  EngineConfig config;
  config.max_transmissions = 10;
  TestNode a(net, clock, Ep("10.0.0.1:1000"), config, GetParam() + 1);
  TestNode b(net, clock, Ep("10.0.0.2:2000"), config, GetParam() + 2);
  a.engine.OpenSession(b.ep(), 5);
  b.engine.OpenSession(a.ep(), 5);
  b.echo = true;
  net.SetFaults({.loss = 0.1, .duplicate = 0.05, .reorder = 0.3, .corrupt = 0.01});
  constexpr int kMessages = 3000;
  int ok = 0, failed = 0;
  for (int i = 0; i < kMessages; ++i) {
    std::vector<uint8_t> p = {static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    a.engine.Send(b.ep(), 5, 0x0100, 0, p, {}, [&, p](SendResult&& r) {
      if (r.error) {
        ++failed;
        ADD_FAILURE() << "message " << (p[0] << 8 | p[1]) << ": " << r.error.message();
      } else {
        EXPECT_EQ(r.reply->payload, p);
        ++ok;
      }
    });
  }
  net.RunUntil([&] { return ok + failed == kMessages; }, milliseconds(600'000));
  EXPECT_EQ(ok, kMessages);
  std::vector<int> seen(kMessages, 0);
  for (const auto& m : b.received)
    ++seen[(m.payload[0] << 8) | m.payload[1]];
  for (int i = 0; i < kMessages; ++i)
    EXPECT_EQ(seen[i], 1) << "message " << i;
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineWrapTest, ::testing::Range<uint64_t>(1, 17));

// ---------------------------------------------------------------------------- multi-buffer

TEST_F(EngineTest, LargeMessageIsSplitReassembledAndEchoedWhole) {
  const auto payload = Pattern(100'000);
  std::set<uint16_t> totals;
  net.SetObserver([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    auto d = DecodeDatagram(bytes);
    if (from == a.ep() && d && d->header.multi) totals.insert(d->header.buffers);
  });
  net.SetFaults({.reorder = 0.5, .reorder_delay = milliseconds(3)});
  auto r = SendAndWait(payload);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.reply->payload, payload);
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].payload, payload);
  // 512 - 12 - 4 - 1 (CRC) = 495 bytes per buffer.
  EXPECT_EQ(totals, (std::set<uint16_t>{static_cast<uint16_t>((100'000 + 494) / 495)}));
  EXPECT_EQ(b.engine.stats().acks_sent, 1u);  // ACKed once, when complete
}

TEST_F(EngineTest, LossInALargeMessageIsRepairedBySelectiveResend) {
  net.SetFaults({.loss = 0.1});
  const auto payload = Pattern(300'000, 9);
  uint64_t sent_before = net.datagrams_sent();
  auto r = SendAndWait(payload);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.reply->payload, payload);
  EXPECT_GT(b.engine.stats().missing_buffer_naks_sent, 0u);
  EXPECT_GT(a.engine.stats().missing_buffer_naks_sent, 0u);
  // Two directions of ~607 buffers each; resending everything on each loss would cost far
  // more than this.
  EXPECT_LT(net.datagrams_sent() - sent_before, 2u * 607 * 14 / 10);
}

TEST(EngineMultiBuffer, MessageOverTheLimitIsNakedWithTooLargeAndNothingAllocated) {
  FakeClock clock;
  FakeNetwork net(clock, 3);
  EngineConfig small;
  small.reassembly.max_message_bytes = 64 * 1024;
  TestNode a(net, clock, Ep("10.0.0.1:1000"));
  TestNode b(net, clock, Ep("10.0.0.2:2000"), small);
  a.engine.OpenSession(b.ep(), 1);
  b.engine.OpenSession(a.ep(), 1);
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 1, 0x0100, 0, Pattern(100'000), {}, [&](SendResult&& r) { result = r; });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(5000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kMessageTooLarge);
  EXPECT_EQ(b.engine.stats().naks_sent, 1u);  // once, on the first buffer
  EXPECT_TRUE(b.received.empty());
}

TEST(EngineMultiBuffer, PartialMessageTimesOutWithNak12) {
  FakeClock clock;
  FakeNetwork net(clock, 3);
  TestNode b(net, clock, Ep("10.0.0.2:2000"));
  const Endpoint a = Ep("10.0.0.1:1000");
  FakeNetwork::Port& a_port = net.AddPort(a);  // no engine: we craft datagrams by hand
  (void)a_port;
  b.engine.OpenSession(a, 1);
  std::vector<NakPayload> naks;
  net.SetObserver([&](const Endpoint& from, const Endpoint&, std::span<const uint8_t> bytes) {
    auto d = DecodeDatagram(bytes);
    if (from == b.ep() && d && d->header.kind == Kind::kNak) {
      naks.push_back(NakPayload::Decode(d->payload).value());
    }
  });
  Header h;
  h.command = 0x0100;
  h.session = 1;
  h.transaction = 0;
  h.multi = true;
  h.buffer = 0;
  h.buffers = 3;
  std::vector<uint8_t> chunk(496);  // no CRC: 512 - 16
  std::vector<uint8_t> out(512);
  auto n = EncodeDatagram(h, chunk, out);
  ASSERT_TRUE(n.ok());
  b.engine.OnDatagram(a, std::span(out).first(*n));
  net.RunFor(milliseconds(6000));
  ASSERT_FALSE(naks.empty());
  EXPECT_EQ(naks.front().error, Errc::kMissingBuffers);  // prompted first
  EXPECT_EQ(naks.front().missing, (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(naks.back().error, Errc::kReassemblyTimeout);  // then given up
  EXPECT_EQ(b.engine.stats().reassembly_timeouts, 1u);
  EXPECT_TRUE(b.received.empty());
}

// ---------------------------------------------------------------------------- groups

TEST(EngineGroup, GroupRequestIsNotAckedAndTheFirstReplyWins) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  const Endpoint group = Ep("239.192.10.1:7400");
  TestNode client(net, clock, Ep("10.0.0.1:1000"));
  TestNode s1(net, clock, Ep("10.0.0.2:2000"));
  TestNode s2(net, clock, Ep("10.0.0.3:3000"));
  net.JoinGroup(group, s1.port);
  net.JoinGroup(group, s2.port);
  s1.echo = true;
  s2.echo = true;
  net.SetLatency(milliseconds(1));
  std::optional<SendResult> result;
  OpenSessionRequest req{"calculator", caps::kOob, "00:11:22:33:44:55", std::nullopt};
  client.engine.Send(group, 0, wire::kOpenSession, kVaLbGroup, req.Encode(), {},
                     [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(1000));
  ASSERT_TRUE(result);
  ASSERT_FALSE(result->error);
  EXPECT_EQ(s1.received.size(), 1u);
  EXPECT_EQ(s2.received.size(), 1u);
  EXPECT_TRUE(s1.received[0].via_group);
  EXPECT_EQ(s1.engine.stats().acks_sent, 0u);  // group messages are not ACKed
  EXPECT_EQ(s2.engine.stats().acks_sent, 0u);
  // Only the winning reply is ACKed; the other replier gives up on its reply (spec 4.4).
  net.RunFor(milliseconds(30'000));
  EXPECT_EQ(client.engine.stats().acks_sent, 1u);
  EXPECT_EQ(s1.reports.size() + s2.reports.size(), 1u);
  const auto& loser = s1.reports.empty() ? s2.reports : s1.reports;
  EXPECT_TRUE(loser[0].was_reply);
  EXPECT_EQ(loser[0].error, Errc::kTimedOut);
}

TEST(EngineGroup, GroupRequestIsResentOnABootpScheduleUntilAnswered) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  const Endpoint group = Ep("239.192.10.1:7400");
  TestNode client(net, clock, Ep("10.0.0.1:1000"));
  TestNode server(net, clock, Ep("10.0.0.2:2000"));
  net.JoinGroup(group, server.port);
  server.echo = true;
  std::vector<TimePoint> sends;
  net.SetObserver([&](const Endpoint& from, const Endpoint& to, std::span<const uint8_t>) {
    if (from == client.ep() && to == group) sends.push_back(clock.Now());
  });
  int dropped = 0;
  net.SetDropFilter([&](const Endpoint&, const Endpoint& to, std::span<const uint8_t>) {
    return to == group && dropped++ < 3;
  });
  std::optional<SendResult> result;
  client.engine.Send(group, 0, wire::kOpenSession, kVaLbGroup,
                     OpenSessionRequest{"echo", {}, {}, {}}.Encode(), {},
                     [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(10'000));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->error);
  ASSERT_EQ(sends.size(), 4u);
  const double nominal[] = {250, 500, 1000};
  for (int i = 0; i < 3; ++i) {
    const double gap = std::chrono::duration<double, std::milli>(sends[i + 1] - sends[i]).count();
    EXPECT_GE(gap, nominal[i] * 0.75) << i;
    EXPECT_LE(gap, nominal[i] * 1.25) << i;
  }
  EXPECT_EQ(server.received.size(), 1u);  // resent requests are recognised, not redelivered
}

TEST(EngineGroup, NakFromTheFarmEndsAGroupRequest) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  const Endpoint group = Ep("239.192.10.1:7400");
  TestNode client(net, clock, Ep("10.0.0.1:1000"));
  TestNode lb(net, clock, Ep("10.0.0.2:2000"));
  net.JoinGroup(group, lb.port);
  std::optional<SendResult> result;
  client.engine.Send(group, 0, wire::kOpenSession, kVaLbGroup,
                     OpenSessionRequest{"nosuchapp", {}, {}, {}}.Encode(), {},
                     [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return !lb.received.empty(); }, milliseconds(1000));
  ASSERT_EQ(lb.received.size(), 1u);
  lb.engine.Nak(lb.received[0].peer, lb.received[0].header, Errc::kUnknownApplication);
  net.RunUntil([&] { return result.has_value(); }, milliseconds(1000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kUnknownApplication);
}

TEST_F(EngineTest, ApplicationNakAfterTheAckEndsTheSendWithItsError) {
  b.echo = false;
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 5, 0x0100, 0, {1}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return !b.received.empty(); }, milliseconds(1000));
  net.RunFor(milliseconds(50));  // the ACK is back: a is waiting for the reply
  b.engine.Nak(b.received[0].peer, b.received[0].header, Errc::kNoCapacity, "full");
  net.RunUntil([&] { return result.has_value(); }, milliseconds(1000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kNoCapacity);
}

TEST_F(EngineTest, RetryableNakAfterTheAckIsIgnored) {
  b.echo = false;
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 5, 0x0100, 0, {1}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return !b.received.empty(); }, milliseconds(1000));
  net.RunFor(milliseconds(50));
  const uint64_t sent = a.engine.stats().datagrams_out;
  b.engine.Nak(b.received[0].peer, b.received[0].header, Errc::kBadCrc);  // a damaged copy's
  net.RunFor(milliseconds(50));
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(a.engine.stats().datagrams_out, sent);  // nothing resent
  ASSERT_TRUE(b.engine.Reply(b.received[0], {2}).ok());
  net.RunUntil([&] { return result.has_value(); }, milliseconds(1000));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->error);
}

// ---------------------------------------------------------------------------- local links

TEST(EngineLocal, LocalLinksSendNoAcksButStillTimeTheReply) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  TestNode a(net, clock, Endpoint::Local("/run/a.sock"));
  TestNode b(net, clock, Endpoint::Local("/run/b.sock"));
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 0, wire::kPing, 0, {}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(10'000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kReplyTimeout);  // b never replies
  EXPECT_EQ(result->transmissions, 1);            // and nothing is resent
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.engine.stats().acks_sent, 0u);
  b.echo = true;
  result.reset();
  a.engine.Send(b.ep(), 0, wire::kPing, 0, {}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(10'000));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->error);
  EXPECT_EQ(a.engine.stats().acks_sent + b.engine.stats().acks_sent, 0u);
}

// ---------------------------------------------------------------------------- encryption seam

// A toy cipher: xor with a key byte and a one-byte tag. Enough to show the seam is used.
class XorCipher final : public SessionCipher {
 public:
  explicit XorCipher(uint8_t key) : key_(key) {}
  size_t Overhead() const override { return 1; }
  bool Seal(std::span<const uint8_t> header, std::span<const uint8_t> plain,
            std::vector<uint8_t>& out) override {
    out.clear();
    uint8_t tag = Tag(header);
    for (uint8_t b : plain) {
      out.push_back(b ^ key_);
      tag ^= b;
    }
    out.push_back(tag);
    return true;
  }
  Opened Open(std::span<const uint8_t> header, std::span<const uint8_t> sealed,
              std::vector<uint8_t>& out) override {
    if (sealed.empty()) return Opened::kForged;
    out.clear();
    uint8_t tag = Tag(header);
    for (size_t i = 0; i + 1 < sealed.size(); ++i) {
      out.push_back(sealed[i] ^ key_);
      tag ^= out.back();
    }
    return tag == sealed.back() ? Opened::kOk : Opened::kForged;
  }

 private:
  uint8_t Tag(std::span<const uint8_t> header) const {
    return static_cast<uint8_t>(std::accumulate(header.begin(), header.end(), 0));
  }
  uint8_t key_;
};

TEST(EngineCipher, EncryptedSessionSealsEveryDatagramAndOpensItOnReceipt) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  TestNode a(net, clock, Ep("10.0.0.1:1000"));
  TestNode b(net, clock, Ep("10.0.0.2:2000"));
  b.echo = true;
  a.engine.OpenSession(b.ep(), 3, {std::make_shared<XorCipher>(0x5A)});
  b.engine.OpenSession(a.ep(), 3, {std::make_shared<XorCipher>(0x5A)});
  int encrypted = 0;
  net.SetObserver([&](const Endpoint&, const Endpoint&, std::span<const uint8_t> bytes) {
    auto d = DecodeDatagram(bytes);
    if (d && (d->header.kind == Kind::kMessage || d->header.kind == Kind::kReply)) {
      EXPECT_TRUE(d->header.encrypted);
      ++encrypted;
    }
  });
  const auto payload = Pattern(2000);
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 3, 0x0100, 0, payload, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(5000));
  ASSERT_TRUE(result);
  ASSERT_FALSE(result->error);
  EXPECT_EQ(result->reply->payload, payload);
  EXPECT_EQ(b.received.at(0).payload, payload);
  EXPECT_GE(encrypted, 2 * 5);  // 2000 bytes in 494-byte sealed buffers, both ways
}

TEST(EngineCipher, PlaintextOnAnEncryptedSessionIsNakedWithCrypto) {
  FakeClock clock;
  FakeNetwork net(clock, 5);
  TestNode a(net, clock, Ep("10.0.0.1:1000"));
  TestNode b(net, clock, Ep("10.0.0.2:2000"));
  a.engine.OpenSession(b.ep(), 3);
  b.engine.OpenSession(a.ep(), 3, {std::make_shared<XorCipher>(0x5A)});
  std::optional<SendResult> result;
  a.engine.Send(b.ep(), 3, 0x0100, 0, {1}, {}, [&](SendResult&& r) { result = std::move(r); });
  net.RunUntil([&] { return result.has_value(); }, milliseconds(5000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, Errc::kCrypto);
  EXPECT_EQ(b.engine.stats().crypto_failures, 1u);
  EXPECT_TRUE(b.received.empty());
}

// ---------------------------------------------------------------------------- latency

TEST_F(EngineTest, DeliveredMessagesCarryTheirLatency) {
  net.SetLatency(milliseconds(30));
  b.echo = false;
  SendOptions one_way;
  one_way.expect_reply = false;
  ASSERT_FALSE(SendAndWait({1}, one_way).error);
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].latency.millis, 30u);
  EXPECT_FALSE(b.received[0].latency.clock_skew);
}

}  // namespace
}  // namespace dabs::mp
