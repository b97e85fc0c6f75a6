// The ppv client portion against a real standalone ppv-dasp: browsing, buying, listing; the
// purchase id kept across a failure and a reopen; the emulator's ClientApp checking every
// answer.
#include "ppv_client.h"

#include <future>

#include <gtest/gtest.h>

#include "dacp_testing.h"
#include "ledger.h"
#include "ppv_client_app.h"
#include "ppv_testing.h"

namespace dabs::ppv {
namespace {

using namespace std::chrono_literals;

template <typename T>
Result<T> Wait(const std::function<void(std::function<void(Result<T>)>)>& start) {
  std::promise<Result<T>> p;
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

class PpvClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dasp.listening());
    client = dacp::Client::Create(gateway->TakeSeat().value(), Config());
  }
  dacp::ClientConfig Config() {
    auto c = dacp::testing::Config(kAppName, dasp.endpoint());
    c.call_transmissions = 3;
    return c;
  }
  Result<BuyResult> Buy(PpvClient& ppv, uint32_t event, const std::string& pin = testing::kPin) {
    return Wait<BuyResult>([&](auto done) { ppv.Buy(event, pin, std::move(done)); });
  }
  size_t Records() {
    dasp.Kill();  // the ledger is read after its DASP is gone: one environment per process
    auto ledger = Ledger::Open({dir.path() / "ledger"}, PinPolicy{}).value();
    size_t n = 0;
    EXPECT_TRUE(ledger->ForEach([&](std::string_view, const PurchaseRecord&) { ++n; }).ok());
    return n;
  }

  testing::TempDir dir;
  dacp::testing::StandaloneDasp dasp{DABS_PPV_DASP,
                                     {"--catalogue", testing::WriteCatalogue(dir).string(),
                                      "--ledger", (dir.path() / "ledger").string()}};
  mp::IoThreads io{2};
  std::shared_ptr<dacp::Gateway> gateway = dacp::testing::LoopbackGateway(io.io());
  std::shared_ptr<dacp::Client> client;
};

TEST_F(PpvClientTest, BrowsesBuysAndListsThePurchases) {
  auto ppv = PpvClient::Create(client);
  auto page = Wait<CatalogueReply>([&](auto done) { ppv->Catalogue(0, 10, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.error().Message();
  EXPECT_EQ(page->total, 26u);
  EXPECT_EQ(page->events.size(), 10u);
  auto bought = Buy(*ppv, page->events[3].id);
  ASSERT_TRUE(bought.ok());
  EXPECT_EQ(bought->reply.status, PpvStatus::kOk);
  EXPECT_TRUE(bought->confirmed());
  EXPECT_EQ(bought->attempts, 1);
  EXPECT_EQ(bought->reply.record->purchase_id, bought->purchase_id);
  auto again = Buy(*ppv, page->events[3].id);  // a new purchase id for an owned event
  EXPECT_EQ(again->reply.status, PpvStatus::kAlreadyPurchased);
  EXPECT_FALSE(again->replayed());
  EXPECT_EQ(again->reply.record, bought->reply.record);
  EXPECT_EQ(Buy(*ppv, 5, "9999")->reply.status, PpvStatus::kWrongPin);
  EXPECT_TRUE(ppv->Pending().empty());  // every answer was final
  auto list = Wait<PurchasesReply>([&](auto done) { ppv->Purchases(0, 8, std::move(done)); });
  ASSERT_EQ(list->records.size(), 1u);
  EXPECT_EQ(list->records[0], *bought->reply.record);
}

TEST_F(PpvClientTest, AFailedBuyKeepsItsPurchaseIdAndTheNextBuyOfTheEventReusesIt) {
  PpvClientOptions o;
  o.max_attempts = 1;
  auto ppv = PpvClient::Create(client, o);
  ASSERT_TRUE(client->OpenSync().ok());
  dasp.process().Signal(SIGSTOP);  // the DASP hangs: its socket keeps what arrives
  auto failed = Buy(*ppv, 9);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(IsRetryable(failed.error().code)) << failed.error().Message();
  ASSERT_EQ(ppv->Pending().size(), 1u);
  const uint64_t id = ppv->Pending()[0].purchase_id;
  dasp.process().Signal(SIGCONT);  // it reads the queued transmissions and records them
  auto bought = Buy(*ppv, 9);      // the client reopens its session and sends the same id
  ASSERT_TRUE(bought.ok()) << bought.error().Message();
  EXPECT_EQ(bought->purchase_id, id);
  EXPECT_TRUE(bought->confirmed());
  EXPECT_EQ(bought->reply.record->purchase_id, id);
  EXPECT_TRUE(ppv->Pending().empty());
  EXPECT_EQ(Records(), 1u);
}

TEST_F(PpvClientTest, TheClientAppBrowsesBuysMistypesAndChecksEveryAnswer) {
  auto figures = std::make_shared<ClientFigures>();
  ASSERT_TRUE(RegisterClient(figures).ok());
  const dacp::ClientAppFactory* f = dacp::FindClientApp("ppv");
  ASSERT_NE(f, nullptr);
  // The registry keeps the first registration (another test of this process may have made
  // it), so this test counts with its own app.
  PpvClientApp app(client, testing::kPin, figures);
  int verified = 0;
  constexpr int kActs = 200;
  for (int i = 0; i < kActs; ++i) {
    std::promise<dacp::ActOutcome> p;
    app.Act(0x9E3779B97F4A7C15ull * (i + 1), [&p](dacp::ActOutcome o) { p.set_value(o); });
    auto o = p.get_future().get();
    ASSERT_TRUE(o.status.ok()) << o.status.error().Message();
    EXPECT_TRUE(o.over_network);
    verified += o.verified;
  }
  EXPECT_EQ(verified, kActs);
  EXPECT_GT(figures->browses, 0u);
  EXPECT_GT(figures->purchases_ok, 0u);
  EXPECT_GT(figures->wrong_pin + figures->pin_locked, 0u);
  EXPECT_GT(figures->queries, 0u);
  EXPECT_EQ(figures->failed, 0u);
  EXPECT_EQ(Records(), figures->purchases_ok.load());
}

}  // namespace
}  // namespace dabs::ppv
