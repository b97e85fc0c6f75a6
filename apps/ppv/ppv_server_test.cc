// PpvServer in a real DASP instance on loopback, spoken to as any client would (raw MP, the
// bytes of docs/spec/mp.md section 9), with a fake clock for the sale windows and a fake
// dabs-lbd for GET_STATISTICS.
#include "ppv_server.h"

#include <gtest/gtest.h>

#include <dabs/dasp/instance.h>

#include "dasp_testing.h"
#include "ppv_testing.h"

namespace dabs::ppv {
namespace {

using namespace std::chrono_literals;

class FakeClock final : public mp::Clock {
 public:
  mp::TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t UnixMillis() const override { return ms.load(); }
  std::atomic<int64_t> ms{1'900'000'000'000};  // 2030
};

class PpvServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared.catalogue = std::make_shared<const Catalogue>(
        ParseCatalogue(testing::CatalogueYaml(25), "test").value());
    LedgerOptions lo;
    lo.dir = dir.path() / "ledger";
    lo.map_bytes = 64 << 20;
    shared.ledger = Ledger::Open(lo, shared.catalogue->pin_policy()).value();
    shared.clock = clock;
    dasp::InstanceConfig c = dasp::testing::Standalone("ppv");
    c.lbd = lbd.endpoint();
    c.control = dasp::testing::TempSocket("ppv");
    instance = dasp::Instance::Create(io.io(), c, std::make_unique<PpvServer>(shared)).value();
    instance->Start();
    mp::NodeConfig nc;
    nc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    client = mp::Node::Create(io.io(), nc, {}).value();
  }
  void TearDown() override {
    client.reset();
    instance.reset();
    // The ledger's writer may still be inside a Responder's Reply: it must be done with the
    // instance's node before `io` goes.
    shared.ledger->Close();
  }

  // A session for set-top `client_id`: its id.
  uint8_t Open(const std::string& client_id) {
    auto r = client->SendSync(instance->udp_endpoint(), 0, mp::wire::kOpenSession, mp::kVaNone,
                              mp::OpenSessionRequest{"ppv", {}, client_id, {}}.Encode());
    EXPECT_TRUE(r.ok()) << r.error().Message();
    if (!r) return 0;
    auto reply = mp::OpenSessionReply::Decode(r->payload).value();
    client->OpenSession(instance->udp_endpoint(), reply.session);
    return reply.session;
  }
  Result<mp::Message> Call(uint8_t session, uint16_t command, std::vector<uint8_t> payload) {
    return client->SendSync(instance->udp_endpoint(), session, command, instance->config().va,
                            std::move(payload));
  }
  PurchaseReply Buy(uint8_t session, uint64_t id, uint32_t event,
                    const std::string& pin = testing::kPin) {
    auto r = Call(session, kPurchase, Encode(PurchaseRequest{id, event, pin}));
    EXPECT_TRUE(r.ok()) << r.error().Message();
    if (!r) return {};
    auto reply = DecodePurchaseReply(r->payload);
    EXPECT_TRUE(reply) << "an undecodable PURCHASE reply";
    return reply.value_or(PurchaseReply{});
  }
  CatalogueReply Page(uint8_t session, uint32_t first, uint16_t max) {
    auto r = Call(session, kCatalogue, Encode(CatalogueRequest{first, max}));
    EXPECT_TRUE(r.ok());
    return r ? DecodeCatalogueReply(r->payload).value_or(CatalogueReply{}) : CatalogueReply{};
  }
  mp::Statistics Statistics() {
    auto r = lbd.node().SendSync(mp::Endpoint::Local(instance->config().control), 0,
                                 mp::wire::kGetStatistics, mp::kVaNone, {});
    EXPECT_TRUE(r.ok()) << r.error().Message();
    return r ? mp::Statistics::Decode(r->payload).value() : mp::Statistics{};
  }

  testing::TempDir dir;
  mp::IoThreads io{2};
  dasp::testing::FakeLbd lbd{io.io()};
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  PpvShared shared;
  std::unique_ptr<dasp::Instance> instance;
  std::unique_ptr<mp::Node> client;
};

TEST_F(PpvServerTest, TheCatalogueComesInPagesWithOnSaleByTheServersClock) {
  const uint8_t s = Open("stb-1");
  const auto first = Page(s, 0, kMaxPage);
  EXPECT_EQ(first.status, PpvStatus::kOk);
  EXPECT_EQ(first.total, 26u);
  ASSERT_EQ(first.events.size(), 26u);                   // a multi-buffer reply
  EXPECT_EQ(first.events[0].id, testing::kClosedEvent);  // schedule order: 2020 first
  EXPECT_FALSE(first.events[0].on_sale);
  EXPECT_TRUE(first.events[1].on_sale);
  EXPECT_EQ(first.events[1].title, "Event 1");
  const auto last = Page(s, 24, 8);
  ASSERT_EQ(last.events.size(), 2u);
  EXPECT_EQ(last.events[1].id, 25u);
  EXPECT_TRUE(Page(s, 26, 8).events.empty());
  EXPECT_EQ(Page(s, 0, 0).status, PpvStatus::kMalformed);
  EXPECT_EQ(Page(s, 0, kMaxPage + 1).status, PpvStatus::kMalformed);
}

TEST_F(PpvServerTest, APurchaseSentAgainOnANewSessionIsAnsweredWithTheOriginalRecord) {
  const uint8_t first_session = Open("stb-1");
  const auto bought = Buy(first_session, 42, 7);
  ASSERT_EQ(bought.status, PpvStatus::kOk);
  EXPECT_EQ(bought.record->price_cents, 700u);
  EXPECT_EQ(bought.record->taken_by, instance->config().va);
  EXPECT_EQ(bought.record->purchased_at_ms, clock->ms.load());
  clock->ms += 1000;
  const uint8_t reopened = Open("stb-1");  // the same set-top after a reopen
  const auto again = Buy(reopened, 42, 7);
  EXPECT_EQ(again.status, PpvStatus::kAlreadyPurchased);
  EXPECT_EQ(again.record, bought.record);
  size_t records = 0;
  ASSERT_TRUE(
      shared.ledger->ForEach([&](std::string_view, const PurchaseRecord&) { ++records; }).ok());
  EXPECT_EQ(records, 1u);
}

TEST_F(PpvServerTest, WrongPinsCountDownThenLockTheSubscriberOnly) {
  const uint8_t s = Open("stb-1");
  EXPECT_EQ(Buy(s, 1, 1, "0000").attempts_left, 2);
  EXPECT_EQ(Buy(s, 2, 1, "0000").attempts_left, 1);
  const auto locked = Buy(s, 3, 1, "0000");
  EXPECT_EQ(locked.status, PpvStatus::kPinLocked);
  EXPECT_EQ(locked.locked_until_ms, clock->ms.load() + 600'000);
  EXPECT_EQ(Buy(s, 4, 1).status, PpvStatus::kPinLocked);  // the right PIN, too late
  EXPECT_EQ(Buy(Open("stb-2"), 4, 1).status, PpvStatus::kOk);
  clock->ms += 600'000;
  EXPECT_EQ(Buy(s, 5, 1).status, PpvStatus::kOk);
}

TEST_F(PpvServerTest, ASaleThatClosedIsRefusedButAReplayOfAnEarlierPurchaseIsNot) {
  const uint8_t s = Open("stb-1");
  EXPECT_EQ(Buy(s, 1, testing::kClosedEvent).status, PpvStatus::kWindowClosed);
  const auto bought = Buy(s, 2, 3);
  ASSERT_EQ(bought.status, PpvStatus::kOk);
  clock->ms = shared.catalogue->FindEvent(3)->sale_closes_s * 1000;
  EXPECT_EQ(Buy(s, 3, 4).status, PpvStatus::kWindowClosed);
  EXPECT_EQ(Buy(s, 2, 3).record, bought.record);
  EXPECT_EQ(Buy(s, 4, 99).status, PpvStatus::kUnknownEvent);
}

TEST_F(PpvServerTest, UnknownSubscribersAndBadValuesGetAStatusUnreadableRequestsANak) {
  EXPECT_EQ(Buy(Open("someone-else"), 1, 1).status, PpvStatus::kUnknownSubscriber);
  const uint8_t s = Open("stb-1");
  EXPECT_EQ(Buy(s, 0, 1).status, PpvStatus::kMalformed);        // purchase id 0
  EXPECT_EQ(Buy(s, 1, 1, "12").status, PpvStatus::kMalformed);  // too short a PIN
  auto payload = Encode(PurchaseRequest{1, 1, testing::kPin});
  payload.pop_back();
  auto r = Call(s, kPurchase, payload);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mp::Errc::kMalformed);
  r = Call(s, 0x0110, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mp::Errc::kUnknownCommand);
}

TEST_F(PpvServerTest, PurchasesAreListedInPagesPerSubscriber) {
  const uint8_t s = Open("stb-1");
  for (uint64_t id = 1; id <= 5; ++id)
    ASSERT_EQ(Buy(s, id * 10, static_cast<uint32_t>(id)).status, PpvStatus::kOk);
  ASSERT_EQ(Buy(Open("stb-2"), 99, 1).status, PpvStatus::kOk);
  auto r = Call(s, kPurchases, Encode(PurchasesRequest{0, 3}));
  ASSERT_TRUE(r.ok());
  auto page = DecodePurchasesReply(r->payload).value();
  ASSERT_EQ(page.records.size(), 3u);
  EXPECT_EQ(page.next, 30u);
  r = Call(s, kPurchases, Encode(PurchasesRequest{page.next, 3}));
  page = DecodePurchasesReply(r->payload).value();
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[1].purchase_id, 50u);
  EXPECT_EQ(page.next, 0u);
  r = Call(Open("nobody"), kPurchases, Encode(PurchasesRequest{0, 3}));
  EXPECT_EQ(DecodePurchasesReply(r->payload)->status, PpvStatus::kUnknownSubscriber);
}

TEST_F(PpvServerTest, StatisticsCountPurchasesReplaysRefusalsAndWrongPins) {
  const uint8_t s = Open("stb-1");
  Buy(s, 1, 1);
  Buy(s, 1, 1);  // a replay
  Buy(s, 2, 1);  // owned already
  Buy(s, 3, 2, "9999");
  Buy(s, 4, testing::kClosedEvent);
  Page(s, 0, 8);
  const auto st = Statistics();
  EXPECT_EQ(st.Get(kPurchasesTag), 1u);
  EXPECT_EQ(st.Get(kReplaysTag), 1u);
  EXPECT_EQ(st.Get(kAlreadyOwnedTag), 1u);
  EXPECT_EQ(st.Get(kWrongPinsTag), 1u);
  EXPECT_EQ(st.Get(kRefusalsTag), 2u);  // the wrong PIN and the closed sale
  EXPECT_EQ(st.Get(kRevenueTag), 100u);
  EXPECT_EQ(st.Get(kCataloguePagesTag), 1u);
  EXPECT_EQ(st.Get(mp::stat_tag::kVa), instance->config().va);
}

}  // namespace
}  // namespace dabs::ppv
