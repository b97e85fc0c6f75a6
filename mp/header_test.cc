#include <array>

#include <gtest/gtest.h>

#include <dabs/mp/header.h>
#include <dabs/mp/sent_time.h>

namespace dabs::mp {
namespace {

Header Sample() {
  Header h;
  h.kind = Kind::kReply;
  h.command = 0x1234;
  h.session = 7;
  h.transaction = 200;
  h.sent = {59, 58, 999};
  h.crc = true;
  h.va = 0xDEADBEEF;
  return h;
}

TEST(Header, RoundTripsEveryKind) {
  for (Kind k : {Kind::kMessage, Kind::kAck, Kind::kNak, Kind::kReply}) {
    Header h = Sample();
    h.kind = k;
    const std::array<uint8_t, 3> payload = {1, 2, 3};
    std::array<uint8_t, 512> buf{};
    auto n = EncodeDatagram(h, payload, buf);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 12u + 3 + 1);
    auto d = DecodeDatagram(std::span(buf).first(*n));
    ASSERT_TRUE(d.ok()) << d.error().Message();
    EXPECT_EQ(d->header, h) << KindName(k);
    EXPECT_EQ(std::vector<uint8_t>(d->payload.begin(), d->payload.end()),
              std::vector<uint8_t>(payload.begin(), payload.end()));
  }
}

TEST(Header, FlagsByteCarriesKindMultiAndVersion) {
  Header h = Sample();
  h.multi = true;
  h.buffer = 2;
  h.buffers = 9;
  std::array<uint8_t, 512> buf{};
  ASSERT_TRUE(EncodeDatagram(h, {}, buf).ok());
  EXPECT_EQ(buf[0], 0x80 | 0x40 | 0x20 | 0x01);  // M, A, N (reply), version 1
  EXPECT_EQ(buf[12], 0);
  EXPECT_EQ(buf[13], 2);
  EXPECT_EQ(buf[14], 0);
  EXPECT_EQ(buf[15], 9);
}

TEST(Header, SentTimeBitLayoutMatchesSpec) {
  Header h;
  h.sent = {30, 0, 512};
  h.encrypted = true;
  h.crc = false;
  std::array<uint8_t, 512> buf{};
  ASSERT_TRUE(EncodeDatagram(h, {}, buf).ok());
  EXPECT_EQ(buf[5], 0x80 | 30);        // E, minutes
  EXPECT_EQ(buf[6], (0 << 2) | 0x02);  // seconds, millis[9:8]
  EXPECT_EQ(buf[7], 0x00);             // millis[7:0]
}

TEST(Header, RefusesADatagramOver512Bytes) {
  Header h;
  std::vector<uint8_t> payload(512 - 12 + 1);
  std::array<uint8_t, 1024> buf{};
  auto n = EncodeDatagram(h, payload, buf);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.code(), Errc::kMessageTooLarge);
  payload.pop_back();
  EXPECT_TRUE(EncodeDatagram(h, payload, buf).ok());
}

TEST(Header, DecodeRejectsOutOfRangeTimeFields) {
  Header h;
  std::array<uint8_t, 512> buf{};
  ASSERT_TRUE(EncodeDatagram(h, {}, buf).ok());
  buf[5] = 60;  // minutes 60
  EXPECT_EQ(DecodeDatagram(std::span(buf).first(12)).code(), Errc::kMalformed);
  buf[5] = 0;
  buf[6] = 0x03;  // millis high bits 3 -> 768 + ...
  buf[7] = 0xFF;  // 1023 ms
  EXPECT_EQ(DecodeDatagram(std::span(buf).first(12)).code(), Errc::kMalformed);
}

TEST(Header, DecodeRejectsBufferNumberNotBelowTotal) {
  Header h;
  h.multi = true;
  h.buffer = 0;
  h.buffers = 1;
  std::array<uint8_t, 512> buf{};
  ASSERT_TRUE(EncodeDatagram(h, {}, buf).ok());
  buf[13] = 1;  // buffer 1 of 1
  EXPECT_EQ(DecodeDatagram(std::span(buf).first(16)).code(), Errc::kMalformed);
  buf[13] = 0;
  buf[15] = 0;  // total 0
  EXPECT_EQ(DecodeDatagram(std::span(buf).first(16)).code(), Errc::kMalformed);
}

TEST(Header, CrcCoversTheWholeDatagram) {
  Header h = Sample();
  const std::array<uint8_t, 4> payload = {9, 8, 7, 6};
  std::array<uint8_t, 512> buf{};
  auto n = EncodeDatagram(h, payload, buf);
  ASSERT_TRUE(n.ok());
  for (size_t i = 0; i + 1 < *n; ++i) {
    if (i == 5) continue;  // flipping the C bit itself changes what is checked
    auto copy = buf;
    copy[i] ^= 0x10;
    EXPECT_EQ(DecodeDatagram(std::span(copy).first(*n)).code(), Errc::kBadCrc) << "byte " << i;
  }
}

TEST(SentTime, FromUnixMillisTakesMinutesSecondsMillisOfTheHour) {
  // 2026-11-20 12:34:56.789 UTC
  const int64_t t = 1'795'178'096'789;
  const SentTime s = SentTime::FromUnixMillis(t);
  EXPECT_EQ(s.minutes, 34);
  EXPECT_EQ(s.seconds, 56);
  EXPECT_EQ(s.millis, 789);
}

TEST(Latency, PlainDifference) {
  EXPECT_EQ(ComputeLatency({10, 0, 0}, {10, 0, 250}).millis, 250u);
  EXPECT_FALSE(ComputeLatency({10, 0, 0}, {10, 0, 250}).clock_skew);
}

TEST(Latency, WrapsAtTheHour) {
  const Latency l = ComputeLatency({59, 59, 900}, {0, 0, 100});
  EXPECT_EQ(l.millis, 200u);
  EXPECT_FALSE(l.clock_skew);
}

TEST(Latency, SenderAheadCountsZeroAndReportsSkew) {
  const Latency l = ComputeLatency({10, 0, 500}, {10, 0, 100});
  EXPECT_EQ(l.millis, 0u);
  EXPECT_TRUE(l.clock_skew);
}

TEST(Latency, HalfAnHourIsTheSkewBoundary) {
  EXPECT_FALSE(ComputeLatency({0, 0, 0}, {30, 0, 0}).clock_skew);
  EXPECT_EQ(ComputeLatency({0, 0, 0}, {30, 0, 0}).millis, 1'800'000u);
  EXPECT_TRUE(ComputeLatency({0, 0, 0}, {30, 0, 1}).clock_skew);
}

}  // namespace
}  // namespace dabs::mp
