// Farm seals (docs/spec/farm-seal.md): what a farm member accepts, and every way an outsider
// or a replay is refused without changing anything.
#include <random>
#include <set>

#include <gtest/gtest.h>

#include <dabs/mp/coding.h>
#include <dabs/mp/farm_seal.h>
#include <dabs/mp/header.h>

namespace dabs::mp {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;  // Unix ms, 2027

FarmKey KeyOf(uint8_t fill) {
  std::array<uint8_t, 32> b;
  b.fill(fill);
  return FarmKey::FromBytes(b);
}

std::shared_ptr<const FarmKeySet> Keys(std::vector<FarmKey> keys, FarmKeyId primary,
                                       std::string farm = "headend-a") {
  return std::make_shared<FarmKeySet>(std::move(farm), std::move(keys), primary);
}

std::vector<uint8_t> Datagram(uint16_t command, std::vector<uint8_t> payload, bool crc = true,
                              uint8_t transaction = 9) {
  Header h;
  h.command = command;
  h.transaction = transaction;
  h.sent = SentTime::FromUnixMillis(kNow);
  h.crc = crc;
  h.va = 1;
  std::vector<uint8_t> out(512);
  out.resize(EncodeDatagram(h, payload, out).value());
  return out;
}

class FarmSealTest : public ::testing::Test {
 protected:
  FarmKey key = KeyOf(0x11);
  std::shared_ptr<const FarmKeySet> keys = Keys({key}, key.id);
  FarmSealer sealer{FarmSenderId(3, FarmRole::kLbd), 0xABCD0001};
  FarmOpener opener;

  std::vector<uint8_t> Seal(const std::vector<uint8_t>& plain, int64_t at = kNow) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(sealer.Seal(*keys, plain, at, out).ok());
    return out;
  }
  Result<FarmSealed> Open(const std::vector<uint8_t>& sealed, int64_t at = kNow) {
    std::vector<uint8_t> out;
    return opener.Open(*keys, sealed, at, out);
  }
};

TEST_F(FarmSealTest, OpeningRestoresTheDatagramWithoutItsCrcAndNamesTheSender) {
  const auto plain = Datagram(0x0010, {1, 2, 3, 4, 5});
  const auto sealed = Seal(plain);
  EXPECT_EQ(sealed.size(), plain.size() - 1 + farm_seal::kOverhead);
  EXPECT_TRUE(sealed[wire::kOffSentTime] & wire::kTimeEncrypted);
  EXPECT_FALSE(sealed[wire::kOffSentTime] & wire::kTimeCrc);
  std::vector<uint8_t> out;
  auto r = opener.Open(*keys, sealed, kNow, out);
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(r->sender, FarmSenderId(3, FarmRole::kLbd));
  EXPECT_EQ(r->key_id, key.id);
  auto d = DecodeDatagram(out);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->header.encrypted);
  EXPECT_FALSE(d->header.crc);
  EXPECT_EQ(d->header.command, 0x0010);
  EXPECT_EQ(std::vector<uint8_t>(d->payload.begin(), d->payload.end()),
            (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST_F(FarmSealTest, ThePayloadTravelsEncrypted) {
  const std::vector<uint8_t> secret{'a', 'p', 'p', 's', '/', 'e', 'c', 'h', 'o'};
  const auto sealed = Seal(Datagram(0x0040, secret));
  auto it = std::search(sealed.begin(), sealed.end(), secret.begin(), secret.end());
  EXPECT_EQ(it, sealed.end());
}

TEST_F(FarmSealTest, EveryDamagedByteIsRefusedAndTheGenuineDatagramStillOpens) {
  const auto sealed = Seal(Datagram(0x0011, {9, 8, 7, 6}));
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
      auto bad = sealed;
      bad[i] ^= mask;
      EXPECT_FALSE(Open(bad).ok()) << "byte " << i << " mask " << int(mask);
    }
  }
  EXPECT_TRUE(Open(sealed).ok()) << "a refused datagram must change nothing";
}

TEST_F(FarmSealTest, ADatagramWithoutItsSealOrCutShortIsMalformed) {
  const auto sealed = Seal(Datagram(0x0011, {1}));
  auto plain = Datagram(0x0011, {1});
  EXPECT_EQ(Open(plain).code(), CryptoErrc::kMalformed);
  auto cut = sealed;
  cut.resize(wire::kHeaderSize + farm_seal::kOverhead - 1);
  EXPECT_EQ(Open(cut).code(), CryptoErrc::kMalformed);
}

TEST_F(FarmSealTest, AReplayIsRefusedAndALateFirstDeliveryIsNot) {
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 5; ++i)
    sent.push_back(Seal(Datagram(0x0020, {static_cast<uint8_t>(i)})));
  EXPECT_TRUE(Open(sent[0]).ok());
  EXPECT_TRUE(Open(sent[3]).ok());
  EXPECT_TRUE(Open(sent[1]).ok()) << "reordered, never seen: accepted";
  EXPECT_EQ(Open(sent[0]).code(), CryptoErrc::kReplay);
  EXPECT_EQ(Open(sent[3]).code(), CryptoErrc::kReplay);
  EXPECT_EQ(Open(sent[1]).code(), CryptoErrc::kReplay);
  EXPECT_TRUE(Open(sent[2]).ok());
  EXPECT_TRUE(Open(sent[4]).ok());
}

TEST_F(FarmSealTest, ADatagramOlderThanTheWindowIsRefused) {
  const auto first = Seal(Datagram(0x0020, {0}));
  for (uint64_t i = 0; i < farm_seal::kReplayWindow; ++i)
    (void)Seal(Datagram(0x0020, {1}));
  const auto last = Seal(Datagram(0x0020, {2}));
  EXPECT_TRUE(Open(last).ok());
  EXPECT_EQ(Open(first).code(), CryptoErrc::kReplay);
}

// The window against a plain set: random orders of arrival within and beyond its reach.
TEST_F(FarmSealTest, TheReplayWindowAgreesWithARecordOfEverythingSeen) {
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 3000; ++i)
    sent.push_back(Seal(Datagram(0x0020, {static_cast<uint8_t>(i)})));
  std::mt19937 rng(5);
  std::set<size_t> accepted;
  size_t highest = 0;
  for (int round = 0; round < 12000; ++round) {
    // Mostly forward, sometimes far back.
    const long at = round / 4 + static_cast<long>(rng() % 1200) - 1100;
    const size_t i = static_cast<size_t>(std::clamp<long>(at, 0, long(sent.size()) - 1));
    const bool should = !accepted.count(i) &&
                        (accepted.empty() || i > highest || highest - i < farm_seal::kReplayWindow);
    const bool did = Open(sent[i]).ok();
    ASSERT_EQ(did, should) << "round " << round << " sequence " << i << " highest " << highest;
    if (did) {
      accepted.insert(i);
      highest = std::max(highest, i);
    }
  }
}

TEST_F(FarmSealTest, ForgedDatagramsLeaveTheWindowWhereItWas) {
  auto genuine = Seal(Datagram(0x0010, {1}));
  auto next = Seal(Datagram(0x0010, {2}));
  ASSERT_TRUE(Open(genuine).ok());
  // A forgery claiming a far-ahead sequence number: refused, and it must not push the
  // window past the genuine datagrams still to come.
  auto forged = next;
  PutU64(forged.data() + wire::kHeaderSize + farm_seal::kOffSequence, 1'000'000);
  EXPECT_EQ(Open(forged).code(), CryptoErrc::kAuthentication);
  EXPECT_TRUE(Open(next).ok());
}

TEST_F(FarmSealTest, AnotherFarmWithTheSameKeyNeverAcceptsOurs) {
  const auto sealed = Seal(Datagram(0x0010, {1}));
  auto other = Keys({key}, key.id, "headend-b");
  std::vector<uint8_t> out;
  EXPECT_EQ(opener.Open(*other, sealed, kNow, out).code(), CryptoErrc::kAuthentication);
}

TEST_F(FarmSealTest, AKeyWeDoNotHoldIsNamedAndAnAcceptedKeyOpens) {
  const FarmKey next = KeyOf(0x22);
  auto rotated = Keys({key, next}, next.id);  // the new key primary, the old one accepted
  std::vector<uint8_t> sealed_new;
  ASSERT_TRUE(sealer.Seal(*rotated, Datagram(0x0010, {1}), kNow, sealed_new).ok());
  auto r = Open(sealed_new);  // we hold only the old key
  EXPECT_EQ(r.code(), CryptoErrc::kUnknownKey);
  EXPECT_NE(r.error().detail.find(next.IdText()), std::string::npos);
  std::vector<uint8_t> out;
  EXPECT_TRUE(opener.Open(*rotated, sealed_new, kNow, out).ok());
  EXPECT_TRUE(opener.Open(*rotated, Seal(Datagram(0x0010, {2})), kNow, out).ok())
      << "the old key is still accepted during the rotation";
}

TEST_F(FarmSealTest, ADatagramSealedTooLongAgoOrInTheFutureIsStale) {
  const auto old = Seal(Datagram(0x0010, {1}), kNow - farm_seal::kMaxSkewMs - 1);
  const auto future = Seal(Datagram(0x0010, {1}), kNow + farm_seal::kMaxSkewMs + 1);
  const auto edge = Seal(Datagram(0x0010, {1}), kNow - farm_seal::kMaxSkewMs);
  EXPECT_EQ(Open(old).code(), CryptoErrc::kStale);
  EXPECT_EQ(Open(future).code(), CryptoErrc::kStale);
  EXPECT_TRUE(Open(edge).ok());
}

// Found by fuzz_farm_seal: the time is the sender's to fill, and a signed difference of two
// times near the ends of 64 bits overflowed.
TEST_F(FarmSealTest, AnAbsurdSealTimeIsStaleNotAnOverflow) {
  auto sealed = Seal(Datagram(0x0010, {1}));
  for (uint64_t t : {uint64_t{0x8000000000000001}, ~uint64_t{0}, uint64_t{0}}) {
    PutU64(sealed.data() + wire::kHeaderSize + farm_seal::kOffSealedAt, t);
    EXPECT_EQ(Open(sealed).code(), CryptoErrc::kStale) << t;
  }
}

TEST_F(FarmSealTest, ARestartedReceiverRefusesWhatWasSealedBeforeItStarted) {
  const auto captured = Seal(Datagram(0x0011, {1}), kNow - farm_seal::kStartSlackMs - 1);
  const auto in_flight = Seal(Datagram(0x0010, {2}), kNow - farm_seal::kStartSlackMs + 100);
  FarmOpener fresh(kNow);  // remembers nothing of what came before
  std::vector<uint8_t> out;
  EXPECT_EQ(fresh.Open(*keys, captured, kNow, out).code(), CryptoErrc::kStale);
  EXPECT_TRUE(fresh.Open(*keys, in_flight, kNow, out).ok());
}

TEST_F(FarmSealTest, ARestartedSenderIsHeardAndItsOldDatagramsStayRefused) {
  const auto before = Seal(Datagram(0x0010, {1}));
  ASSERT_TRUE(Open(before).ok());
  FarmSealer restarted(sealer.sender(), sealer.incarnation() + 1);
  std::vector<uint8_t> after;
  ASSERT_TRUE(restarted.Seal(*keys, Datagram(0x0010, {1}), kNow, after).ok());
  EXPECT_TRUE(Open(after).ok()) << "a new incarnation starts its own window at sequence 0";
  EXPECT_EQ(Open(before).code(), CryptoErrc::kReplay);
  EXPECT_EQ(Open(after).code(), CryptoErrc::kReplay);
}

TEST_F(FarmSealTest, IncarnationsBeyondThoseKeptAreRefusedWhenOlderThanAll) {
  std::vector<std::vector<uint8_t>> firsts;
  for (uint64_t inc = 10; inc < 16; ++inc) {
    FarmSealer s(sealer.sender(), inc);
    std::vector<uint8_t> out;
    ASSERT_TRUE(s.Seal(*keys, Datagram(0x0010, {1}), kNow, out).ok());
    firsts.push_back(out);
  }
  for (size_t i = 2; i < firsts.size(); ++i)
    ASSERT_TRUE(Open(firsts[i]).ok());                     // incarnations 12..15 kept
  EXPECT_EQ(Open(firsts[0]).code(), CryptoErrc::kReplay);  // 10: older than all four
}

TEST_F(FarmSealTest, TwoIncarnationsNeverShareAKeyStream) {
  FarmSealer other(sealer.sender(), sealer.incarnation() + 1);
  const auto plain = Datagram(0x0010, std::vector<uint8_t>(64, 0));
  std::vector<uint8_t> a, b;
  ASSERT_TRUE(sealer.Seal(*keys, plain, kNow, a).ok());
  ASSERT_TRUE(other.Seal(*keys, plain, kNow, b).ok());
  const size_t at = wire::kHeaderSize + farm_seal::kHeaderBytes;
  EXPECT_NE(std::vector<uint8_t>(a.begin() + at, a.end()),
            std::vector<uint8_t>(b.begin() + at, b.end()));
}

TEST_F(FarmSealTest, EachSealTakesTheNextSequenceNumber) {
  (void)Seal(Datagram(0x0010, {1}));
  (void)Seal(Datagram(0x0010, {1}));
  auto h = FarmSealHeader::Peek(Seal(Datagram(0x0010, {1})));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->sequence, 2u);
  EXPECT_EQ(sealer.next_sequence(), 3u);
}

TEST_F(FarmSealTest, AFarmPayloadOfTheLargestSizeStillFitsOneDatagram) {
  const auto plain = Datagram(0x0040, std::vector<uint8_t>(farm_seal::kMaxPayload, 7));
  const auto sealed = Seal(plain);
  EXPECT_LE(sealed.size(), wire::kMaxDatagram);
  std::vector<uint8_t> out;
  const auto too_big = Datagram(0x0040, std::vector<uint8_t>(farm_seal::kMaxPayload + 2, 7));
  EXPECT_FALSE(sealer.Seal(*keys, too_big, kNow, out).ok());
}

TEST(FarmKeyTest, AKeyFileIsSixtyFourHexDigitsOrThirtyTwoRawBytes) {
  const FarmKey k = FarmKey::Generate().value();
  auto back = FarmKey::Parse(k.ToFileText());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->bytes, k.bytes);
  EXPECT_EQ(back->id, k.id);
  auto raw = FarmKey::Parse(std::string(k.bytes.begin(), k.bytes.end()));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->id, k.id);
  EXPECT_EQ(FarmKey::Parse("abc").code(), CryptoErrc::kBadKey);
  EXPECT_EQ(FarmKey::Parse(std::string(64, 'g')).code(), CryptoErrc::kBadKey);
  EXPECT_EQ(ParseFarmKeyId(k.IdText()).value(), k.id);
}

TEST(FarmKeyTest, GeneratedKeysDiffer) {
  EXPECT_NE(FarmKey::Generate().value().bytes, FarmKey::Generate().value().bytes);
}

}  // namespace
}  // namespace dabs::mp
