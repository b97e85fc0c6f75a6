#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/header.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {
namespace {

template <size_t N>
std::array<uint8_t, N> Filled(uint8_t first) {
  std::array<uint8_t, N> a{};
  for (size_t i = 0; i < N; ++i)
    a[i] = static_cast<uint8_t>(first + i);
  return a;
}

OpenSessionRequest FullRequest() {
  OpenSessionRequest req;
  req.app = "calculator";
  req.caps = caps::kDocsis | caps::kFloatingPoint | caps::kEncryption;
  req.client_id = "00:11:22:33:44:55";
  req.enc_offer = EncOffer{{1, 2}, Filled<32>(0x40)};
  return req;
}

OpenSessionReply FullReply(std::string_view endpoint) {
  OpenSessionReply rep;
  rep.session = 17;
  rep.dasp_va = MakeVa(3, 42);
  auto ep = Endpoint::Parse(endpoint);
  EXPECT_TRUE(ep.ok()) << endpoint;
  if (ep.ok()) rep.dasp_endpoint = *ep;
  rep.client_va = MakeVa(3, 43);
  rep.enc_accept = EncAccept{1, Filled<32>(0x80), Filled<64>(0x10)};
  rep.server = "server-7";
  return rep;
}

// ---------------------------------------------------------------------------- OPEN_SESSION

TEST(OpenSessionRequest, RoundTripsEveryField) {
  const OpenSessionRequest req = FullRequest();
  auto back = OpenSessionRequest::Decode(req.Encode());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(*back, req);
}

TEST(OpenSessionRequest, RoundTripsWithOnlyTheApplication) {
  OpenSessionRequest req;
  req.app = "echo";
  const auto bytes = req.Encode();
  EXPECT_EQ(bytes, (std::vector<uint8_t>{tag::kApp, 0x00, 0x04, 'e', 'c', 'h', 'o'}));
  auto back = OpenSessionRequest::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, req);
  EXPECT_FALSE(back->caps.has_value());
  EXPECT_FALSE(back->enc_offer.has_value());
}

TEST(OpenSessionRequest, EncOfferIsCountSuitesThenTheKey) {
  OpenSessionRequest req;
  req.app = "a";
  req.enc_offer = EncOffer{{2, 1}, Filled<32>(0)};
  const auto bytes = req.Encode();
  auto tlvs = TlvList::Parse(bytes);
  ASSERT_TRUE(tlvs.ok());
  const TlvField* offer = tlvs->Find(tag::kEncOffer);
  ASSERT_NE(offer, nullptr);
  ASSERT_EQ(offer->value.size(), 1u + 2 + 32);
  EXPECT_EQ(offer->value[0], 2);
  EXPECT_EQ(offer->value[1], 2);
  EXPECT_EQ(offer->value[2], 1);
  EXPECT_EQ(offer->value[3], 0);
  EXPECT_EQ(offer->value[34], 31);
}

TEST(OpenSessionRequest, EncOfferWithNoSuitesRoundTrips) {
  OpenSessionRequest req;
  req.app = "a";
  req.enc_offer = EncOffer{{}, Filled<32>(7)};
  auto back = OpenSessionRequest::Decode(req.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, req);
}

TEST(OpenSessionRequest, UnknownTagsAreSkipped) {
  std::vector<uint8_t> bytes;
  TlvWriter w(bytes);
  w.String(0x7E, "later extension");
  w.String(tag::kApp, "calculator");
  w.U64(0x7F, 1);
  auto back = OpenSessionRequest::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(back->app, "calculator");
}

TEST(OpenSessionRequest, MissingOrEmptyAppIsMalformed) {
  std::vector<uint8_t> no_app;
  TlvWriter(no_app).U32(tag::kCaps, 1);
  auto r = OpenSessionRequest::Decode(no_app);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kMalformed);
  EXPECT_FALSE(r.error().detail.empty());

  EXPECT_EQ(OpenSessionRequest::Decode({}).code(), Errc::kMalformed);

  OpenSessionRequest empty_app;
  EXPECT_EQ(OpenSessionRequest::Decode(empty_app.Encode()).code(), Errc::kMalformed);
}

TEST(OpenSessionRequest, ClientIdOfUpTo64BytesIsAccepted) {
  OpenSessionRequest req;
  req.app = "calculator";
  req.client_id = std::string(kMaxClientIdBytes, 'x');
  auto back = OpenSessionRequest::Decode(req.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->client_id, req.client_id);
}

TEST(OpenSessionRequest, ClientIdLongerThan64BytesIsMalformed) {
  OpenSessionRequest req;
  req.app = "calculator";
  req.client_id = std::string(kMaxClientIdBytes + 1, 'x');
  auto back = OpenSessionRequest::Decode(req.Encode());
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.code(), Errc::kMalformed);
}

TEST(OpenSessionRequest, CapsOfTheWrongSizeIsMalformed) {
  std::vector<uint8_t> bytes;
  TlvWriter w(bytes);
  w.String(tag::kApp, "calculator");
  w.U16(tag::kCaps, 1);
  EXPECT_EQ(OpenSessionRequest::Decode(bytes).code(), Errc::kMalformed);
}

TEST(OpenSessionRequest, BadEncOfferIsMalformed) {
  std::vector<uint8_t> count_beyond_suites(1 + 2 + 32);  // 3 suites announced, 2 present
  count_beyond_suites[0] = 3;
  const std::vector<std::vector<uint8_t>> bad_values = {
      {},                            // no count
      std::vector<uint8_t>(1 + 31),  // no suites, key one byte short
      std::vector<uint8_t>(1 + 33),  // no suites, one byte after the key
      count_beyond_suites,
  };
  for (size_t i = 0; i < bad_values.size(); ++i) {
    std::vector<uint8_t> bytes;
    TlvWriter w(bytes);
    w.String(tag::kApp, "calculator");
    w.Bytes(tag::kEncOffer, bad_values[i]);
    EXPECT_EQ(OpenSessionRequest::Decode(bytes).code(), Errc::kMalformed) << "value " << i;
  }
}

TEST(OpenSessionRequest, TruncatedTlvIsMalformed) {
  auto bytes = FullRequest().Encode();
  bytes.pop_back();
  EXPECT_EQ(OpenSessionRequest::Decode(bytes).code(), Errc::kMalformed);
}

TEST(OpenSessionReply, RoundTripsEveryFieldWithAnIpv4Endpoint) {
  const OpenSessionReply rep = FullReply("10.0.0.7:7400");
  auto back = OpenSessionReply::Decode(rep.Encode());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(*back, rep);
}

TEST(OpenSessionReply, RoundTripsEveryFieldWithAnIpv6Endpoint) {
  const OpenSessionReply rep = FullReply("[2001:db8::7]:7400");
  auto back = OpenSessionReply::Decode(rep.Encode());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(*back, rep);
}

TEST(OpenSessionReply, RoundTripsWithoutTheOptionalFields) {
  OpenSessionReply rep;
  rep.session = 255;
  rep.dasp_va = MakeVa(1, 0);
  auto back = OpenSessionReply::Decode(rep.Encode());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(*back, rep);
  EXPECT_FALSE(back->enc_accept.has_value());
  EXPECT_FALSE(back->dasp_endpoint.valid());
  EXPECT_EQ(back->client_va, kVaNone);
}

TEST(OpenSessionReply, EncAcceptIsSuiteKeyThenSignature) {
  const OpenSessionReply rep = FullReply("10.0.0.7:7400");
  const auto bytes = rep.Encode();
  auto tlvs = TlvList::Parse(bytes);
  ASSERT_TRUE(tlvs.ok());
  const TlvField* acc = tlvs->Find(tag::kEncAccept);
  ASSERT_NE(acc, nullptr);
  ASSERT_EQ(acc->value.size(), 1u + 32 + 64);
  EXPECT_EQ(acc->value[0], 1);
  EXPECT_EQ(acc->value[1], 0x80);   // key
  EXPECT_EQ(acc->value[33], 0x10);  // signature
  EXPECT_EQ(acc->value[96], 0x10 + 63);
  EXPECT_EQ(tlvs->U8(tag::kSession), 17);
  EXPECT_EQ(tlvs->U32(tag::kDaspVa), MakeVa(3, 42));
  EXPECT_EQ(tlvs->U32(tag::kClientVa), MakeVa(3, 43));
  EXPECT_EQ(tlvs->String(tag::kServer), "server-7");
}

TEST(OpenSessionReply, SessionZeroOrMissingIsMalformed) {
  OpenSessionReply rep = FullReply("10.0.0.7:7400");
  rep.session = 0;
  EXPECT_EQ(OpenSessionReply::Decode(rep.Encode()).code(), Errc::kMalformed);

  std::vector<uint8_t> no_session;
  TlvWriter(no_session).U32(tag::kDaspVa, MakeVa(1, 1));
  EXPECT_EQ(OpenSessionReply::Decode(no_session).code(), Errc::kMalformed);
}

TEST(OpenSessionReply, MissingDaspVaIsMalformed) {
  std::vector<uint8_t> bytes;
  TlvWriter(bytes).U8(tag::kSession, 1);
  EXPECT_EQ(OpenSessionReply::Decode(bytes).code(), Errc::kMalformed);
}

TEST(OpenSessionReply, BadEndpointOrEncAcceptIsMalformed) {
  std::vector<uint8_t> bad_endpoint;
  TlvWriter w(bad_endpoint);
  w.U8(tag::kSession, 1);
  w.U32(tag::kDaspVa, MakeVa(1, 1));
  const std::vector<uint8_t> family9 = {9, 1, 2, 3, 4, 0, 80};
  w.Bytes(tag::kDaspEndpoint, family9);
  EXPECT_EQ(OpenSessionReply::Decode(bad_endpoint).code(), Errc::kMalformed);

  for (size_t size : {0u, 1u + 32 + 63, 1u + 32 + 65}) {
    std::vector<uint8_t> bytes;
    TlvWriter t(bytes);
    t.U8(tag::kSession, 1);
    t.U32(tag::kDaspVa, MakeVa(1, 1));
    t.Bytes(tag::kEncAccept, std::vector<uint8_t>(size));
    EXPECT_EQ(OpenSessionReply::Decode(bytes).code(), Errc::kMalformed) << size;
  }
}

// ---------------------------------------------------------------------------- NAK

TEST(NakPayload, MissingBuffersListRoundTrips) {
  NakPayload nak;
  nak.error = Errc::kMissingBuffers;
  nak.missing = {0, 5, 300, 65535};
  const auto bytes = nak.Encode();
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0x00, 0x0D, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05, 0x01, 0x2C,
                                         0xFF, 0xFF}));
  auto back = NakPayload::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(back->error, Errc::kMissingBuffers);
  EXPECT_EQ(back->missing, nak.missing);
  EXPECT_TRUE(back->text.empty());
}

TEST(NakPayload, MissingBuffersListMayBeFollowedByText) {
  NakPayload nak;
  nak.error = Errc::kMissingBuffers;
  nak.missing = {7};
  nak.text = "still waiting";
  auto back = NakPayload::Decode(nak.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->missing, std::vector<uint16_t>{7});
  EXPECT_EQ(back->text, "still waiting");
}

TEST(NakPayload, EmptyMissingBuffersListRoundTrips) {
  NakPayload nak;
  nak.error = Errc::kMissingBuffers;
  auto back = NakPayload::Decode(nak.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->missing.empty());
}

TEST(NakPayload, TruncatedMissingBuffersListIsMalformed) {
  const std::vector<std::vector<uint8_t>> bad = {
      {0x00, 0x0D},                                // no count
      {0x00, 0x0D, 0x00},                          // half a count
      {0x00, 0x0D, 0x00, 0x03, 0x00, 0x01},        // 3 announced, 1 present
      {0x00, 0x0D, 0x00, 0x02, 0x00, 0x01, 0x00},  // half of the second
      {0x00, 0x0D, 0xFF, 0xFF},                    // 65535 announced, none present
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto r = NakPayload::Decode(bad[i]);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.code(), Errc::kMalformed) << i;
  }
}

TEST(NakPayload, OtherErrorsCarryOnlyText) {
  NakPayload nak;
  nak.error = Errc::kUnknownApplication;
  nak.missing = {1, 2};  // ignored: only error 13 carries a list
  nak.text = "no such application: calc";
  const auto bytes = nak.Encode();
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[1], 0x08);
  EXPECT_EQ(bytes.size(), 2 + nak.text.size());
  auto back = NakPayload::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->error, Errc::kUnknownApplication);
  EXPECT_TRUE(back->missing.empty());
  EXPECT_EQ(back->text, nak.text);
}

TEST(NakPayload, BareErrorNumberIsEnough) {
  const std::vector<uint8_t> bytes = {0x00, 0x01};
  auto back = NakPayload::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->error, Errc::kBadCrc);
  EXPECT_TRUE(back->text.empty());
}

TEST(NakPayload, NoErrorNumberIsMalformed) {
  EXPECT_EQ(NakPayload::Decode({}).code(), Errc::kMalformed);
  const std::vector<uint8_t> one = {0x00};
  EXPECT_EQ(NakPayload::Decode(one).code(), Errc::kMalformed);
}

TEST(NakPayload, MaxMissingPerNakWithBasicHeaderAndCrcIs247) {
  // 512 - 12 (header) - 1 (CRC) - 2 (error) - 2 (count) = 495 bytes: 247 numbers.
  EXPECT_EQ(NakPayload::MaxMissingPerNak(13), 247u);
  EXPECT_EQ(NakPayload::MaxMissingPerNak(12), 248u);
}

TEST(NakPayload, MaxMissingListFitsOneDatagramAndOneMoreDoesNot) {
  Header h;
  h.kind = Kind::kNak;
  h.crc = true;
  NakPayload nak;
  nak.error = Errc::kMissingBuffers;
  nak.missing.assign(NakPayload::MaxMissingPerNak(h.OverheadBytes()), 9);
  std::array<uint8_t, 1024> buf{};
  auto n = EncodeDatagram(h, nak.Encode(), buf);
  ASSERT_TRUE(n.ok()) << n.error().Message();
  EXPECT_LE(*n, 512u);
  nak.missing.push_back(9);
  EXPECT_EQ(EncodeDatagram(h, nak.Encode(), buf).code(), Errc::kMessageTooLarge);
}

// ---------------------------------------------------------------------------- ERROR_REPORT

TEST(ErrorReportPayload, RoundTrips) {
  const ErrorReportPayload report{static_cast<uint16_t>(Errc::kTimedOut),
                                  "no ACK from 10.0.0.7:7400 after 6 transmissions"};
  const auto bytes = report.Encode();
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[1], 100);
  auto back = ErrorReportPayload::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->error, report.error);
  EXPECT_EQ(back->text, report.text);
}

TEST(ErrorReportPayload, EmptyTextRoundTrips) {
  auto back = ErrorReportPayload::Decode(ErrorReportPayload{0xFFFF, ""}.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->error, 0xFFFF);
  EXPECT_TRUE(back->text.empty());
}

TEST(ErrorReportPayload, NoErrorNumberIsMalformed) {
  const std::vector<uint8_t> one = {0x00};
  EXPECT_EQ(ErrorReportPayload::Decode(one).code(), Errc::kMalformed);
}

TEST(ErrorReportPayload, LongTextIsCutToFitOneDatagram) {
  const ErrorReportPayload report{1, std::string(2000, 'e')};
  const auto bytes = report.Encode();
  Header h;
  h.crc = true;
  EXPECT_LE(bytes.size(), h.PayloadCapacity());
  auto back = ErrorReportPayload::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_GT(back->text.size(), 100u);
  EXPECT_EQ(back->text, report.text.substr(0, back->text.size()));
}

TEST(ErrorReportPayload, LongTextIsCutOnACharacterBoundary) {
  // "é" is two bytes in UTF-8; the spec's strings are UTF-8, so a cut must not split one.
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "\xC3\xA9";
  std::string shifted = "x" + text;  // the other parity: the cut may land on either byte
  for (const std::string& t : {text, shifted}) {
    auto back = ErrorReportPayload::Decode(ErrorReportPayload{1, t}.Encode());
    ASSERT_TRUE(back.ok());
    ASSERT_FALSE(back->text.empty());
    EXPECT_EQ(back->text, t.substr(0, back->text.size()));
    // The text must not end in a lead byte (0xC3) without its continuation byte.
    EXPECT_NE(static_cast<uint8_t>(back->text.back()), 0xC3) << "cut inside a character";
  }
}

// ---------------------------------------------------------------------------- REDIRECT

TEST(RedirectPayload, RoundTripsWithAndWithoutClientVa) {
  RedirectPayload r{7, MakeVa(2, 5), Endpoint::Parse("10.0.0.3:7400").value(), std::nullopt};
  auto back = RedirectPayload::Decode(r.Encode());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(*back, r);
  r.client_va = MakeVa(2, 99);
  back = RedirectPayload::Decode(r.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->client_va, MakeVa(2, 99));
}

TEST(RedirectPayload, UsesTheOpenSessionReplyTags) {
  // SESSION 0x10 (1 byte), DASP_VA 0x11 (4), DASP_ENDPOINT 0x12 (family, address, port).
  RedirectPayload r{3, 0x00200001, Endpoint::Parse("10.0.0.9:7401").value(), 0x00200002};
  const std::vector<uint8_t> want = {0x10, 0, 1, 3,                                      //
                                     0x11, 0, 4, 0x00, 0x20, 0x00, 0x01,                 //
                                     0x12, 0, 7, 4,    10,   0,    0,    9, 0x1C, 0xE9,  //
                                     0x13, 0, 4, 0x00, 0x20, 0x00, 0x02};
  EXPECT_EQ(r.Encode(), want);
}

TEST(RedirectPayload, RejectsMissingFieldsAndSessionZero) {
  const auto ep = Endpoint::Parse("10.0.0.3:7400").value();
  EXPECT_FALSE(RedirectPayload::Decode(RedirectPayload{0, 5, ep, {}}.Encode()).ok());
  EXPECT_FALSE(RedirectPayload::Decode(RedirectPayload{1, 5, Endpoint{}, {}}.Encode()).ok());
  std::vector<uint8_t> no_va = {0x10, 0, 1, 3};
  EXPECT_FALSE(RedirectPayload::Decode(no_va).ok());
  std::vector<uint8_t> bad_client_va = RedirectPayload{1, 5, ep, {}}.Encode();
  bad_client_va.insert(bad_client_va.end(), {0x13, 0, 2, 0, 1});
  auto bad = RedirectPayload::Decode(bad_client_va);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(Errc::kMalformed));
}

// ---------------------------------------------------------------------------- one byte

TEST(OneBytePayload, RoundTripsAndRejectsOtherSizes) {
  EXPECT_EQ(EncodeU8(5), std::vector<uint8_t>{5});
  EXPECT_EQ(DecodeU8(EncodeU8(5)), 5);
  EXPECT_FALSE(DecodeU8({}).has_value());
  const std::vector<uint8_t> two = {1, 2};
  EXPECT_FALSE(DecodeU8(two).has_value());
}

}  // namespace
}  // namespace dabs::mp
