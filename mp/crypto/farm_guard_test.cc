// The farm guard: what a farm daemon's node lets in and how it seals what it sends.
#include <gtest/gtest.h>

#include <dabs/mp/farm_guard.h>
#include <dabs/mp/header.h>

namespace dabs::mp {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

Endpoint Ep(const char* s) {
  return Endpoint::Parse(s).value();
}

std::vector<uint8_t> Datagram(Kind kind, uint16_t command, bool multi = false) {
  Header h;
  h.kind = kind;
  h.command = command;
  h.sent = SentTime::FromUnixMillis(kNow);
  h.crc = true;
  h.multi = multi;
  std::vector<uint8_t> out(512);
  out.resize(EncodeDatagram(h, std::vector<uint8_t>{1, 2, 3}, out).value());
  return out;
}

FarmGuardPolicy LbdPolicy() {
  return {{wire::kOpenSession, wire::kVaQuery}, {wire::kVaQuery}};
}

class FarmGuardTest : public ::testing::Test {
 protected:
  FarmGuardTest() {
    std::array<uint8_t, 32> b;
    b.fill(0x5A);
    key = FarmKey::FromBytes(b);
    keys = std::make_shared<FarmKeySet>("headend-a", std::vector<FarmKey>{key}, key.id);
  }
  std::unique_ptr<FarmGuard> Guard(uint16_t index, std::vector<std::string>* log = nullptr) {
    return std::make_unique<FarmGuard>(keys, FarmSenderId(index, FarmRole::kLbd), 1000 + index,
                                       LbdPolicy(), [log](const std::string& line) {
                                         if (log) log->push_back(line);
                                       });
  }
  FarmGuard::Verdict In(FarmGuard& g, const Endpoint& from, bool via_group,
                        const std::vector<uint8_t>& bytes, int64_t at = kNow) {
    uint32_t by = 0;
    return g.Inbound(from, via_group, bytes, at, opened, by);
  }

  FarmKey key;
  std::shared_ptr<const FarmKeySet> keys;
  std::vector<uint8_t> opened;
  const Endpoint group = Ep("239.192.10.1:7400");
  const Endpoint stb = Ep("10.1.0.7:40000");
  const Endpoint peer = Ep("10.0.0.2:7411");
};

TEST_F(FarmGuardTest, OutsidersMayOpenSessionsAndQueryVasOnTheGroupOnly) {
  auto g = Guard(1);
  EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kMessage, wire::kOpenSession)),
            FarmGuard::Verdict::kPlain);
  EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kMessage, wire::kVaQuery)),
            FarmGuard::Verdict::kPlain);
  for (uint16_t farm : {wire::kHello, wire::kLeave, wire::kBallot, wire::kVaUpdate,
                        wire::kServerStats, wire::kConfigSync, wire::kShutdown, wire::kPing}) {
    EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kMessage, farm)), FarmGuard::Verdict::kDrop)
        << CommandName(farm);
  }
  EXPECT_EQ(In(*g, stb, false, Datagram(Kind::kMessage, wire::kOpenSession)),
            FarmGuard::Verdict::kDrop)
      << "not on the unicast socket";
  EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kMessage, wire::kOpenSession, true)),
            FarmGuard::Verdict::kDrop)
      << "never as a multi-buffer message";
  EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kReply, wire::kOpenSession)),
            FarmGuard::Verdict::kDrop);
  EXPECT_EQ(g->Stats().rejected[static_cast<size_t>(FarmReject::kNotSealed)], 11u);
  EXPECT_EQ(g->Stats().open_in, 2u);
}

TEST_F(FarmGuardTest, OutsidersMayAnswerOnlyTheRepliesWeSentThem) {
  auto g = Guard(1);
  EXPECT_EQ(In(*g, stb, false, Datagram(Kind::kAck, wire::kVaQuery)), FarmGuard::Verdict::kPlain);
  EXPECT_EQ(In(*g, stb, false, Datagram(Kind::kNak, wire::kVaQuery)), FarmGuard::Verdict::kPlain);
  EXPECT_EQ(In(*g, stb, false, Datagram(Kind::kAck, wire::kHello)), FarmGuard::Verdict::kDrop);
  EXPECT_EQ(In(*g, stb, false, Datagram(Kind::kReply, wire::kVaQuery)), FarmGuard::Verdict::kDrop);
  EXPECT_EQ(In(*g, stb, true, Datagram(Kind::kAck, wire::kVaQuery)), FarmGuard::Verdict::kDrop);
}

TEST_F(FarmGuardTest, WhatGoesToTheGroupIsSealedAndAnotherMemberOpensIt) {
  auto a = Guard(1), b = Guard(2);
  const auto hello = Datagram(Kind::kMessage, wire::kHello);
  std::vector<uint8_t> sealed;
  auto out = a->Outbound(group, hello, kNow, sealed);
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out[wire::kOffSentTime] & wire::kTimeEncrypted);
  uint32_t by = 0;
  EXPECT_EQ(b->Inbound(peer, true, std::vector<uint8_t>(out.begin(), out.end()), kNow, opened, by),
            FarmGuard::Verdict::kOpened);
  EXPECT_EQ(by, FarmSenderId(1, FarmRole::kLbd));
  EXPECT_EQ(a->Stats().sealed_out, 1u);
  EXPECT_EQ(b->Stats().sealed_in, 1u);
}

TEST_F(FarmGuardTest, AMemberIsAnsweredSealedAndItsPlaintextIsRefused) {
  auto a = Guard(1), b = Guard(2);
  std::vector<uint8_t> sealed;
  auto out = a->Outbound(group, Datagram(Kind::kMessage, wire::kVaQuery), kNow, sealed);
  ASSERT_EQ(In(*b, peer, true, std::vector<uint8_t>(out.begin(), out.end())),
            FarmGuard::Verdict::kOpened);
  // b's reply to a's endpoint goes sealed, since a proved to be a member.
  const auto reply = Datagram(Kind::kReply, wire::kVaQuery);
  std::vector<uint8_t> back;
  auto r = b->Outbound(peer, reply, kNow, back);
  EXPECT_TRUE(r[wire::kOffSentTime] & wire::kTimeEncrypted);
  // Plaintext claiming to be a member is a spoof: even what an outsider may send.
  EXPECT_EQ(In(*b, peer, true, Datagram(Kind::kMessage, wire::kOpenSession)),
            FarmGuard::Verdict::kDrop);
  EXPECT_EQ(b->Stats().rejected[static_cast<size_t>(FarmReject::kMemberPlain)], 1u);
  // An outsider is answered in plaintext, and only answered: what we start is sealed.
  std::vector<uint8_t> plain_out;
  auto p = b->Outbound(stb, reply, kNow, plain_out);
  EXPECT_FALSE(p[wire::kOffSentTime] & wire::kTimeEncrypted);
  EXPECT_EQ(b->Stats().open_out, 1u);
  auto own = b->Outbound(stb, Datagram(Kind::kMessage, wire::kVaQuery), kNow, plain_out);
  EXPECT_TRUE(own[wire::kOffSentTime] & wire::kTimeEncrypted);
  auto ack = b->Outbound(stb, Datagram(Kind::kAck, wire::kOpenSession), kNow, plain_out);
  EXPECT_TRUE(ack[wire::kOffSentTime] & wire::kTimeEncrypted);
}

TEST_F(FarmGuardTest, LocalLinksAreNeverSealed) {
  auto g = Guard(1);
  std::vector<uint8_t> sealed;
  const auto d = Datagram(Kind::kMessage, wire::kShutdown);
  auto out = g->Outbound(Endpoint::Local("/tmp/x.sock"), d, kNow, sealed);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.end()), d);
}

TEST_F(FarmGuardTest, RejectionsAreLoggedOncePerSourceEveryTenSeconds) {
  std::vector<std::string> log;
  auto g = Guard(1, &log);
  for (int i = 0; i < 100; ++i)
    In(*g, stb, true, Datagram(Kind::kMessage, wire::kLeave), kNow + i);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("10.1.0.7:40000"), std::string::npos) << log[0];
  EXPECT_NE(log[0].find("not_sealed"), std::string::npos) << log[0];
  In(*g, Ep("10.1.0.8:1"), true, Datagram(Kind::kMessage, wire::kLeave), kNow + 200);
  EXPECT_EQ(log.size(), 2u) << "another source has its own budget";
  In(*g, stb, true, Datagram(Kind::kMessage, wire::kLeave), kNow + FarmGuard::kLogPeriodMs + 1);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[2].find("99 more"), std::string::npos) << log[2];
  EXPECT_EQ(g->Stats().rejected_total(), 102u);
}

TEST_F(FarmGuardTest, ANewKeySetSealsWithItsPrimaryAtOnce) {
  auto a = Guard(1), b = Guard(2);
  std::array<uint8_t, 32> nb;
  nb.fill(0x77);
  const FarmKey next = FarmKey::FromBytes(nb);
  auto both = std::make_shared<FarmKeySet>("headend-a", std::vector<FarmKey>{key, next}, next.id);
  a->SetKeys(both);
  std::vector<uint8_t> sealed;
  auto out = a->Outbound(group, Datagram(Kind::kMessage, wire::kHello), kNow, sealed);
  auto h = FarmSealHeader::Peek(out);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->key_id, next.id);
  EXPECT_EQ(In(*b, peer, true, std::vector<uint8_t>(out.begin(), out.end())),
            FarmGuard::Verdict::kDrop);
  EXPECT_EQ(b->Stats().rejected[static_cast<size_t>(FarmReject::kUnknownKey)], 1u);
  b->SetKeys(both);
  auto again = a->Outbound(group, Datagram(Kind::kMessage, wire::kHello), kNow, sealed);
  EXPECT_EQ(In(*b, peer, true, std::vector<uint8_t>(again.begin(), again.end())),
            FarmGuard::Verdict::kOpened);
}

}  // namespace
}  // namespace dabs::mp
