#include <array>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/errc.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {
namespace {

// Parses an endpoint that the test knows to be good.
Endpoint Ep(std::string_view text) {
  auto e = Endpoint::Parse(text);
  EXPECT_TRUE(e.ok()) << text;
  return e.ok() ? *e : Endpoint{};
}

TEST(Tlv, WriterLaysOutTagBigEndianLengthAndValue) {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U16(0x42, 0x1234);
  w.String(0x07, "ab");
  w.U8(0x09, 0xFE);
  w.U32(0x0A, 0xDEADBEEF);
  w.U64(0x0B, 0x0102030405060708);
  const std::vector<uint8_t> expected = {
      0x42, 0x00, 0x02, 0x12, 0x34,                                      // U16
      0x07, 0x00, 0x02, 'a',  'b',                                       // String
      0x09, 0x00, 0x01, 0xFE,                                            // U8
      0x0A, 0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,                          // U32
      0x0B, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // U64
  };
  EXPECT_EQ(out, expected);
}

TEST(Tlv, WriterAppendsToWhatIsAlreadyThere) {
  std::vector<uint8_t> out = {0xAA};
  TlvWriter(out).U8(0x01, 0x02);
  EXPECT_EQ(out, (std::vector<uint8_t>{0xAA, 0x01, 0x00, 0x01, 0x02}));
}

TEST(Tlv, EveryTypeRoundTrips) {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  const std::array<uint8_t, 3> raw = {9, 8, 7};
  w.Bytes(0x01, raw);
  w.String(0x02, "calculator");
  w.U8(0x03, 0xAB);
  w.U16(0x04, 0xBEEF);
  w.U32(0x05, 0x89ABCDEF);
  w.U64(0x06, 0xFEDCBA9876543210);
  w.Endpoint(0x07, Ep("10.0.0.1:7400"));
  w.Endpoint(0x08, Ep("[2001:db8::5]:65535"));
  w.String(0x09, "");

  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok()) << list.error().Message();
  ASSERT_EQ(list->fields().size(), 9u);
  const TlvField* bytes = list->Find(0x01);
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(bytes->value.begin(), bytes->value.end()),
            std::vector<uint8_t>(raw.begin(), raw.end()));
  EXPECT_EQ(list->String(0x02), "calculator");
  EXPECT_EQ(list->U8(0x03), 0xAB);
  EXPECT_EQ(list->U16(0x04), 0xBEEF);
  EXPECT_EQ(list->U32(0x05), 0x89ABCDEFu);
  EXPECT_EQ(list->U64(0x06), 0xFEDCBA9876543210u);
  EXPECT_EQ(list->Endpoint(0x07), Ep("10.0.0.1:7400"));
  EXPECT_EQ(list->Endpoint(0x08), Ep("[2001:db8::5]:65535"));
  EXPECT_EQ(list->String(0x09), "");
}

TEST(Tlv, EmptyPayloadParsesToNoFields) {
  auto list = TlvList::Parse({});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->fields().empty());
  EXPECT_EQ(list->Find(0x01), nullptr);
}

TEST(Tlv, FieldsKeepTheirOrderAndFindReturnsTheFirstOfATag) {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(0x05, 1);
  w.U8(0x03, 2);
  w.U8(0x05, 3);
  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->fields().size(), 3u);
  EXPECT_EQ(list->fields()[0].tag, 0x05);
  EXPECT_EQ(list->fields()[1].tag, 0x03);
  EXPECT_EQ(list->fields()[2].tag, 0x05);
  EXPECT_EQ(list->U8(0x05), 1);
}

TEST(Tlv, UnknownTagsAreSkipped) {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(0xEE, "from a newer version");
  w.U32(0x05, 77);
  const std::vector<uint8_t> big(300, 0x55);
  w.Bytes(0xEF, big);
  w.U8(0x06, 5);
  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->U32(0x05), 77u);
  EXPECT_EQ(list->U8(0x06), 5);
}

TEST(Tlv, ValuesPointIntoTheParsedPayload) {
  std::vector<uint8_t> out;
  TlvWriter(out).String(0x02, "xyz");
  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok());
  const TlvField* f = list->Find(0x02);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value.data(), out.data() + 3);
}

TEST(Tlv, TruncatedHeaderIsMalformed) {
  for (const std::vector<uint8_t>& bytes :
       {std::vector<uint8_t>{0x01}, std::vector<uint8_t>{0x01, 0x00},
        // A whole field, then one byte of the next header.
        std::vector<uint8_t>{0x01, 0x00, 0x01, 0x07, 0x02}}) {
    auto list = TlvList::Parse(bytes);
    ASSERT_FALSE(list.ok()) << bytes.size();
    EXPECT_EQ(list.code(), Errc::kMalformed);
    EXPECT_FALSE(list.error().detail.empty());
  }
}

TEST(Tlv, LengthPastTheEndIsMalformed) {
  const std::vector<uint8_t> short_by_one = {0x01, 0x00, 0x03, 'a', 'b'};
  EXPECT_EQ(TlvList::Parse(short_by_one).code(), Errc::kMalformed);
  // The largest length with nothing behind it: must not read or allocate past the end.
  const std::vector<uint8_t> huge = {0x01, 0xFF, 0xFF};
  EXPECT_EQ(TlvList::Parse(huge).code(), Errc::kMalformed);
  // A good field first does not save a bad one after it.
  const std::vector<uint8_t> good_then_bad = {0x01, 0x00, 0x01, 'a', 0x02, 0x00, 0x02, 'b'};
  EXPECT_EQ(TlvList::Parse(good_then_bad).code(), Errc::kMalformed);
}

TEST(Tlv, ZeroLengthValueAtTheEndIsFine) {
  const std::vector<uint8_t> bytes = {0x01, 0x00, 0x00};
  auto list = TlvList::Parse(bytes);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->fields().size(), 1u);
  EXPECT_TRUE(list->fields()[0].value.empty());
}

TEST(Tlv, TypedAccessorsReturnNulloptForAnAbsentTag) {
  auto list = TlvList::Parse({});
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->String(1).has_value());
  EXPECT_FALSE(list->U8(1).has_value());
  EXPECT_FALSE(list->U16(1).has_value());
  EXPECT_FALSE(list->U32(1).has_value());
  EXPECT_FALSE(list->U64(1).has_value());
  EXPECT_FALSE(list->Endpoint(1).has_value());
}

TEST(Tlv, TypedAccessorsReturnNulloptForTheWrongLength) {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  const std::vector<uint8_t> two(2, 1), three(3, 1), five(5, 1), seven(7, 1), nine(9, 1);
  w.Bytes(0x10, two);    // not a u8
  w.Bytes(0x11, three);  // not a u16
  w.Bytes(0x12, {});     // not a u16 either
  w.Bytes(0x13, three);  // not a u32
  w.Bytes(0x14, five);   // not a u32 either
  w.Bytes(0x15, seven);  // not a u64
  w.Bytes(0x16, nine);   // not a u64 either
  w.Bytes(0x17, {});     // not a u8
  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->U8(0x10).has_value());
  EXPECT_FALSE(list->U8(0x17).has_value());
  EXPECT_FALSE(list->U16(0x11).has_value());
  EXPECT_FALSE(list->U16(0x12).has_value());
  EXPECT_FALSE(list->U32(0x13).has_value());
  EXPECT_FALSE(list->U32(0x14).has_value());
  EXPECT_FALSE(list->U64(0x15).has_value());
  EXPECT_FALSE(list->U64(0x16).has_value());
  // The same values read as the type of their length.
  EXPECT_TRUE(list->U16(0x10).has_value());
  EXPECT_TRUE(list->String(0x13).has_value());
}

// ---------------------------------------------------------------------------- endpoints

TEST(TlvEndpoint, V4IsFamilyFourAddressAndPort) {
  std::vector<uint8_t> out;
  EncodeEndpoint(Ep("10.1.2.3:7400"), out);
  EXPECT_EQ(out, (std::vector<uint8_t>{4, 10, 1, 2, 3, 0x1C, 0xE8}));
  EXPECT_EQ(DecodeEndpoint(out), Ep("10.1.2.3:7400"));
}

TEST(TlvEndpoint, V6IsFamilySixSixteenAddressBytesAndPort) {
  std::vector<uint8_t> out;
  EncodeEndpoint(Ep("[::1]:7400"), out);
  std::vector<uint8_t> expected = {6};
  for (int i = 0; i < 15; ++i)
    expected.push_back(0);
  expected.push_back(1);
  expected.push_back(0x1C);
  expected.push_back(0xE8);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(DecodeEndpoint(out), Ep("[::1]:7400"));
}

TEST(TlvEndpoint, EndpointTlvRoundTripsBothFamilies) {
  for (std::string_view text : {"192.168.7.9:1", "239.255.0.1:7401", "[fe80::1:2]:80"}) {
    std::vector<uint8_t> out;
    TlvWriter(out).Endpoint(0x12, Ep(text));
    auto list = TlvList::Parse(out);
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->Endpoint(0x12), Ep(text)) << text;
  }
}

TEST(TlvEndpoint, DecodeRejectsBadFamilyWrongLengthAndTrailingBytes) {
  EXPECT_FALSE(DecodeEndpoint({}).has_value());
  // Families other than 4 and 6, with room for either address size.
  for (uint8_t family : {0, 5, 41}) {
    std::vector<uint8_t> with_v4_room = {family, 10, 1, 2, 3, 0x1C, 0xE8};
    std::vector<uint8_t> with_v6_room(1 + 16 + 2, 1);
    with_v6_room[0] = family;
    EXPECT_FALSE(DecodeEndpoint(with_v4_room).has_value()) << int{family};
    EXPECT_FALSE(DecodeEndpoint(with_v6_room).has_value()) << int{family};
  }
  const std::vector<uint8_t> family5 = {5, 10, 1, 2, 3, 0x1C, 0xE8};
  const std::vector<uint8_t> no_port = {4, 10, 1, 2, 3};
  EXPECT_FALSE(DecodeEndpoint(no_port).has_value());
  const std::vector<uint8_t> trailing = {4, 10, 1, 2, 3, 0x1C, 0xE8, 0};
  EXPECT_FALSE(DecodeEndpoint(trailing).has_value());
  // Six declared, four address bytes given: too short for IPv6.
  const std::vector<uint8_t> v6_short = {6, 10, 1, 2, 3, 0x1C, 0xE8};
  EXPECT_FALSE(DecodeEndpoint(v6_short).has_value());

  std::vector<uint8_t> out;
  TlvWriter(out).Bytes(0x12, family5);
  auto list = TlvList::Parse(out);
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->Endpoint(0x12).has_value());
}

}  // namespace
}  // namespace dabs::mp
