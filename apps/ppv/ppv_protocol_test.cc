// The ppv wire format (docs/spec/mp.md section 9): exact layouts, round trips, and every
// malformed payload refused rather than half-read.
#include "ppv_protocol.h"

#include <gtest/gtest.h>

namespace dabs::ppv {
namespace {

PurchaseRecord Record() {
  return {0x0102030405060708ull, 1001, 5999, 1'900'000'000'123, 42, 0x00100001};
}

Event SomeEvent(uint32_t id, std::string title) {
  return {id, 901, 1'906'000'000, 1'906'010'800, 1'906'010'800, 5999, true, std::move(title)};
}

TEST(PpvProtocol, APurchaseRequestHasTheSpecsLayout) {
  const auto b = Encode(PurchaseRequest{0x0102030405060708ull, 1001, "1234"});
  const std::vector<uint8_t> want = {1,    2,    3,    4, 5,   6,   7,   8,  0x00,
                                     0x00, 0x03, 0xE9, 4, '1', '2', '3', '4'};
  EXPECT_EQ(b, want);
  EXPECT_EQ(DecodePurchaseRequest(b), (PurchaseRequest{0x0102030405060708ull, 1001, "1234"}));
}

TEST(PpvProtocol, AnOkReplyCarriesTheRecordBigEndian) {
  const auto b = Encode(PurchaseReply{PpvStatus::kOk, Record(), 0, 0});
  ASSERT_EQ(b.size(), 1 + kRecordBytes);
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 0x01);   // purchase id, most significant byte first
  EXPECT_EQ(b[15], 0x17);  // price 5999 = 0x0000176F at offset 1 + 8 + 4
  EXPECT_EQ(b[16], 0x6F);
  EXPECT_EQ(b[b.size() - 1], 0x01);  // VA 0x00100001 last
  EXPECT_EQ(DecodePurchaseReply(b)->record, Record());
}

TEST(PpvProtocol, EveryStatusRoundTripsWithTheBodyItCallsFor) {
  const std::vector<PurchaseReply> replies = {
      {PpvStatus::kOk, Record(), 0, 0},
      {PpvStatus::kAlreadyPurchased, Record(), 0, 0},
      {PpvStatus::kWrongPin, std::nullopt, 3, 0},
      {PpvStatus::kPinLocked, std::nullopt, 0, 1'900'000'900'000},
      {PpvStatus::kUnknownEvent, std::nullopt, 0, 0},
      {PpvStatus::kWindowClosed, std::nullopt, 0, 0},
      {PpvStatus::kMalformed, std::nullopt, 0, 0},
      {PpvStatus::kIdReused, Record(), 0, 0},
      {PpvStatus::kUnknownSubscriber, std::nullopt, 0, 0},
  };
  for (const auto& r : replies) {
    auto back = DecodePurchaseReply(Encode(r));
    ASSERT_TRUE(back) << StatusName(r.status);
    EXPECT_EQ(*back, r) << StatusName(r.status);
  }
  EXPECT_EQ(Encode(replies[4]).size(), 1u);  // no body
}

TEST(PpvProtocol, CataloguePagesRoundTripAndAFullPageIsAMultiBufferReply) {
  CatalogueReply page{PpvStatus::kOk, 100, {}};
  for (uint32_t i = 0; i < kMaxPage; ++i)
    page.events.push_back(SomeEvent(i + 1, std::string(kMaxTitleBytes, 'a' + i % 26)));
  const auto b = Encode(page);
  EXPECT_EQ(b.size(), 7u + kMaxPage * (36 + kMaxTitleBytes));
  EXPECT_GT(b.size(), 512u);
  EXPECT_EQ(DecodeCatalogueReply(b), page);
  EXPECT_EQ(DecodeCatalogueRequest(Encode(CatalogueRequest{8, 8})), (CatalogueRequest{8, 8}));
}

TEST(PpvProtocol, PurchasesPagesRoundTrip) {
  PurchasesReply page{PpvStatus::kOk, 77, {Record(), Record()}};
  page.records[1].purchase_id = 77;
  EXPECT_EQ(DecodePurchasesReply(Encode(page)), page);
  EXPECT_EQ(DecodePurchasesRequest(Encode(PurchasesRequest{5, 16})), (PurchasesRequest{5, 16}));
  EXPECT_EQ(Encode(PurchasesRequest{5, 16}).size(), 10u);
}

// Every proper prefix and every one-byte extension of a valid payload is refused.
template <typename Decode>
void ExpectOnlyTheWholeDecodes(const std::vector<uint8_t>& whole, Decode decode) {
  ASSERT_TRUE(decode(whole));
  for (size_t n = 0; n < whole.size(); ++n) {
    EXPECT_FALSE(decode(std::span(whole.data(), n))) << "a prefix of " << n << " bytes";
  }
  auto longer = whole;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer)) << "a trailing byte";
}

TEST(PpvProtocol, TruncatedOrLongerPayloadsAreRefused) {
  ExpectOnlyTheWholeDecodes(Encode(PurchaseRequest{1, 2, "1234"}), DecodePurchaseRequest);
  ExpectOnlyTheWholeDecodes(Encode(PurchaseReply{PpvStatus::kOk, Record(), 0, 0}),
                            DecodePurchaseReply);
  ExpectOnlyTheWholeDecodes(Encode(PurchaseReply{PpvStatus::kPinLocked, {}, 0, 9}),
                            DecodePurchaseReply);
  ExpectOnlyTheWholeDecodes(Encode(CatalogueRequest{0, 8}), DecodeCatalogueRequest);
  ExpectOnlyTheWholeDecodes(
      Encode(CatalogueReply{PpvStatus::kOk, 2, {SomeEvent(1, "x"), SomeEvent(2, "")}}),
      DecodeCatalogueReply);
  ExpectOnlyTheWholeDecodes(Encode(PurchasesRequest{0, 8}), DecodePurchasesRequest);
  ExpectOnlyTheWholeDecodes(Encode(PurchasesReply{PpvStatus::kOk, 0, {Record()}}),
                            DecodePurchasesReply);
}

TEST(PpvProtocol, UnknownStatusesFlagsAndImpossibleCountsAreRefused) {
  auto reply = Encode(PurchaseReply{PpvStatus::kUnknownEvent, {}, 0, 0});
  reply[0] = kMaxStatus + 1;
  EXPECT_FALSE(DecodePurchaseReply(reply));

  auto page = Encode(CatalogueReply{PpvStatus::kOk, 1, {SomeEvent(1, "t")}});
  auto bad_flag = page;
  bad_flag[7 + 34] = 2;  // on_sale is 0 or 1
  EXPECT_FALSE(DecodeCatalogueReply(bad_flag));
  auto long_title = page;
  long_title[7 + 35] = kMaxTitleBytes + 1;
  EXPECT_FALSE(DecodeCatalogueReply(long_title));
  auto many = page;
  many[5] = 0xFF;  // 65,280 events claimed in 42 bytes: refused before reserving for them
  many[6] = 0x00;
  EXPECT_FALSE(DecodeCatalogueReply(many));

  auto records = Encode(PurchasesReply{PpvStatus::kOk, 0, {Record()}});
  records[9] = 0x10;
  EXPECT_FALSE(DecodePurchasesReply(records));
}

TEST(PpvProtocol, ValuesOutOfRangeDecodeButAreNotValid) {
  EXPECT_TRUE(Valid(PurchaseRequest{1, 7, "1234"}));
  EXPECT_TRUE(Valid(PurchaseRequest{1, 7, "12345678"}));
  EXPECT_FALSE(Valid(PurchaseRequest{0, 7, "1234"}));  // purchase id 0
  EXPECT_FALSE(Valid(PurchaseRequest{1, 7, "123"}));
  EXPECT_FALSE(Valid(PurchaseRequest{1, 7, "123456789"}));
  EXPECT_FALSE(Valid(PurchaseRequest{1, 7, "12a4"}));
  ASSERT_TRUE(DecodePurchaseRequest(Encode(PurchaseRequest{1, 7, "12a4"})));
  EXPECT_FALSE(Valid(CatalogueRequest{0, 0}));
  EXPECT_FALSE(Valid(CatalogueRequest{0, kMaxPage + 1}));
  EXPECT_TRUE(Valid(CatalogueRequest{UINT32_MAX, kMaxPage}));
  EXPECT_FALSE(Valid(PurchasesRequest{0, 0}));
  EXPECT_TRUE(Valid(PurchasesRequest{UINT64_MAX, 1}));
}

}  // namespace
}  // namespace dabs::ppv
