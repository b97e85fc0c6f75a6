// Exactly once across re-homing (docs/decisions.md D49, apps/ppv/README.md): two ppv-dasp
// processes on one multicast group, as two servers of a farm on one host, sharing one
// ledger; set-tops open sessions through the group and re-home there when their DASP dies.
//
// - The hard case, made to happen: the DASP records a purchase, its reply is lost, the DASP
//   is killed, and the set-top's retry lands on the other process, which must answer with
//   the original record and charge nothing.
// - 1,000 purchases by 50 set-tops over a link losing 10% of the datagrams each way and
//   doubling 5%, with the DASP serving most of them killed half-way: every purchase is in
//   the ledger exactly once and every set-top got its confirmation.
#include <future>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include <dabs/mp/coding.h>

#include "dacp_testing.h"
#include "ledger.h"
#include "ppv_client.h"
#include "ppv_testing.h"

namespace dabs::ppv {
namespace {

using namespace std::chrono_literals;
using dacp::testing::StandaloneDasp;

// Loss, duplication and reordering both ways, from one seeded stream.
class LossyLink final : public mp::LinkShaper {
 public:
  LossyLink(const mp::FaultProfile& profile, uint64_t seed)
      : random_(seed), faults_(profile, random_) {}
  mp::FaultDecision Outbound(const mp::Endpoint&, std::span<const uint8_t> b,
                             mp::TimePoint) override {
    return faults_.Decide(b.size());
  }
  mp::FaultDecision Inbound(const mp::Endpoint&, std::span<const uint8_t> b,
                            mp::TimePoint) override {
    return faults_.Decide(b.size());
  }

 private:
  mp::SeededRandom random_;
  mp::FaultInjector faults_;
};

// Drops the PURCHASE replies that come from one DASP, while armed.
class LosePurchaseReplies final : public mp::LinkShaper {
 public:
  mp::FaultDecision Outbound(const mp::Endpoint&, std::span<const uint8_t>,
                             mp::TimePoint) override {
    return {};
  }
  mp::FaultDecision Inbound(const mp::Endpoint& peer, std::span<const uint8_t> b,
                            mp::TimePoint) override {
    mp::FaultDecision d;
    const bool reply = b.size() >= 3 && (b[0] & 0x60) == 0x60;  // A and N: a reply (spec 1.1)
    std::lock_guard lock(mu_);
    if (from_ && peer == *from_ && reply && mp::GetU16(b.data() + 1) == kPurchase) {
      d.copies = 0;
    }
    return d;
  }
  void Arm(const mp::Endpoint& from) {
    std::lock_guard lock(mu_);
    from_ = from;
  }

 private:
  std::mutex mu_;
  std::optional<mp::Endpoint> from_;
};

// A gateway on loopback whose retransmission timer is capped at 2 s, as dabs-emu's DOCSIS
// sockets are (D52): 50 set-tops on one socket share its RTO, and its back-off under 10% loss
// would otherwise grow to the 10 s ceiling and make a dead DASP take a minute to notice.
std::shared_ptr<dacp::Gateway> Gateway(boost::asio::io_context& io,
                                       std::shared_ptr<mp::LinkShaper> shaper) {
  dacp::GatewayConfig gc;
  gc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  gc.node.multicast_interface = "127.0.0.1";
  gc.node.udp_offload = false;
  gc.node.shaper = std::move(shaper);
  gc.node.engine.rto.ceiling = 2s;
  return dacp::Gateway::Create(io, std::move(gc)).value();
}

// Two ppv-dasp processes ("servers" 1 and 2) on one group, one ledger.
class Rehoming : public ::testing::Test {
 protected:
  std::unique_ptr<StandaloneDasp> Start(int index) {
    auto d = StandaloneDasp::OnGroup(
        DABS_PPV_DASP, group,
        {"--catalogue", catalogue.string(), "--ledger", (dir.path() / "ledger").string(),
         "--server-index", std::to_string(index), "--server-id", "s" + std::to_string(index)});
    EXPECT_TRUE(d->listening());
    return d;
  }
  dacp::ClientConfig Config(const std::string& id) {
    auto c = dacp::testing::Config(kAppName, group);
    c.client_id = id;
    c.reopen_on_failure = true;  // D49: safe here, the purchase id makes a retry harmless
    c.call_reply_timeout = 1s;
    c.open_timeout = 20s;
    return c;
  }
  // The ledger, read once both DASPs are gone (one environment per process).
  std::map<std::string, std::vector<PurchaseRecord>> ReadLedger() {
    a.reset();
    b.reset();
    auto ledger = Ledger::Open({dir.path() / "ledger"}, PinPolicy{}).value();
    std::map<std::string, std::vector<PurchaseRecord>> out;
    EXPECT_TRUE(ledger
                    ->ForEach([&](std::string_view sub, const PurchaseRecord& r) {
                      out[std::string(sub)].push_back(r);
                    })
                    .ok());
    return out;
  }
  // Records in the ledger now, read while the DASPs have it open (LMDB: many processes).
  size_t RecordsNow() {
    LmdbOptions o;
    o.dir = dir.path() / "ledger";
    o.databases = LedgerDatabases();
    auto env = LmdbEnv::Open(o);
    if (!env) return 0;
    size_t n = 0;
    (void)(*env)->Read([&](Txn& t) {
      ForEachPurchase(t, [&](std::string_view, const PurchaseRecord&) { ++n; });
      return t.status();
    });
    return n;
  }

  testing::TempDir dir;
  std::filesystem::path catalogue = testing::WriteCatalogue(dir, 25, 5);
  mp::Endpoint group = dacp::testing::TestGroup();
  std::unique_ptr<StandaloneDasp> a, b;
  mp::IoThreads io{2};
};

TEST_F(Rehoming, APurchaseRecordedByAKilledDaspIsAnsweredElsewhereWithItsRecordNotChargedTwice) {
  a = Start(1);
  auto lose = std::make_shared<LosePurchaseReplies>();
  auto gateway = Gateway(io.io(), lose);
  auto client = dacp::Client::Create(gateway->TakeSeat().value(), Config("stb-1"));
  ASSERT_TRUE(client->OpenSync().ok());  // on A: it is alone
  b = Start(2);
  lose->Arm(a->endpoint());
  auto ppv = PpvClient::Create(client);
  std::promise<Result<BuyResult>> done;
  ppv->Buy(7, testing::kPin, [&done](Result<BuyResult> r) { done.set_value(std::move(r)); });
  // A records it and replies; the reply is lost (or A dies before it is sent). A dies
  // before the client gives up waiting for the reply (1 s) and checks on A with a PING.
  ASSERT_TRUE(dacp::testing::WaitUntil([&] { return RecordsNow() == 1; }, 5000ms));
  a->Kill();
  auto r = done.get_future().get();
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_TRUE(r->confirmed());
  EXPECT_TRUE(r->replayed());  // the original record, from the other process
  EXPECT_EQ(r->reply.record->taken_by, a->va());
  EXPECT_EQ(client->session()->dasp_va, b->va());
  EXPECT_EQ(client->stats().rehomes, 1u);
  const auto ledger = ReadLedger();
  ASSERT_EQ(ledger.size(), 1u);
  ASSERT_EQ(ledger.at("stb-1").size(), 1u);
  EXPECT_EQ(ledger.at("stb-1")[0], *r->reply.record);
}

struct Tally {
  std::mutex mu;
  std::condition_variable cv;
  int confirmed = 0, failed = 0, replayed = 0, retried = 0;
  std::map<std::string, std::map<uint32_t, uint64_t>> ids;  // set-top -> event -> purchase id
  std::vector<std::string> errors;
};

// One set-top buying events 1..n one after another.
void BuyFrom(std::shared_ptr<PpvClient> ppv, std::string stb, uint32_t event, uint32_t n,
             std::shared_ptr<Tally> t) {
  if (event > n) return;
  ppv->Buy(event, testing::kPin, [=](Result<BuyResult> r) {
    {
      std::lock_guard lock(t->mu);
      if (r.ok() && r->confirmed() && r->reply.record->purchase_id == r->purchase_id) {
        ++t->confirmed;
        t->replayed += r->replayed();
        t->retried += r->attempts > 1;
        t->ids[stb][event] = r->purchase_id;
      } else {
        ++t->failed;
        t->errors.push_back(
            stb + " event " + std::to_string(event) + ": " +
            (r.ok() ? std::string(StatusName(r->reply.status)) : r.error().Message()));
      }
    }
    t->cv.notify_all();
    BuyFrom(ppv, stb, event + 1, n, t);
  });
}

// Every set-top's events recorded once each, under the purchase id its client confirmed;
// receipts unique; some recorded by the DASP that was killed, the rest by the survivor.
void ExpectEachRecordedOnce(const std::map<std::string, std::vector<PurchaseRecord>>& ledger,
                            Tally& tally, mp::Va killed, int stbs, uint32_t each) {
  size_t records = 0, by_killed = 0;
  std::set<uint64_t> receipts;
  for (const auto& [stb, list] : ledger) {
    std::set<uint32_t> events;
    for (const auto& r : list) {
      ++records;
      by_killed += r.taken_by == killed;
      receipts.insert(r.receipt);
      EXPECT_TRUE(events.insert(r.event_id).second)
          << stb << " was charged twice for " << r.event_id;
      EXPECT_EQ(tally.ids[stb][r.event_id], r.purchase_id) << stb << " " << r.event_id;
    }
    EXPECT_EQ(events.size(), each) << stb;
  }
  const size_t total = size_t{each} * stbs;
  EXPECT_EQ(ledger.size(), size_t(stbs));
  EXPECT_EQ(records, total);
  EXPECT_EQ(receipts.size(), total);
  EXPECT_GT(by_killed, 0u);
  EXPECT_LT(by_killed, total);
}

TEST_F(Rehoming, AThousandPurchasesOverALossyLinkWithADaspKilledHalfWayAreEachRecordedOnce) {
  constexpr int kStbs = 50;
  constexpr uint32_t kEach = 20;
  constexpr int kTotal = kStbs * kEach;
  a = Start(1);
  b = Start(2);
  mp::FaultProfile lossy;
  lossy.loss = 0.10;
  lossy.duplicate = 0.05;
  lossy.reorder = 0.05;
  auto gateway = Gateway(io.io(), std::make_shared<LossyLink>(lossy, 2024));
  std::vector<std::shared_ptr<dacp::Client>> clients;
  auto tally = std::make_shared<Tally>();
  PpvClientOptions options;
  options.max_attempts = 12;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kStbs; ++i) {
    const std::string stb = "stb-" + std::to_string(i);
    clients.push_back(dacp::Client::Create(gateway->TakeSeat().value(), Config(stb)));
    BuyFrom(PpvClient::Create(clients.back(), options), stb, 1, kEach, tally);
  }
  auto wait_for = [&](int n, std::chrono::seconds limit) {
    std::unique_lock lock(tally->mu);
    return tally->cv.wait_for(lock, limit, [&] { return tally->confirmed + tally->failed >= n; });
  };
  ASSERT_TRUE(wait_for(kTotal / 2, 120s)) << tally->confirmed << " confirmed";
  // Kill the DASP that serves more of the set-tops now.
  int on_a = 0;
  for (const auto& c : clients)
    on_a += c->session() && c->session()->dasp_va == a->va();
  const mp::Va killed = on_a * 2 >= kStbs ? a->va() : b->va();
  (on_a * 2 >= kStbs ? a : b)->Kill();
  ASSERT_TRUE(wait_for(kTotal, 180s))
      << tally->confirmed << " confirmed, " << tally->failed << " failed";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  uint64_t rehomes = 0;
  for (const auto& c : clients)
    rehomes += c->stats().rehomes;
  {
    std::lock_guard lock(tally->mu);
    EXPECT_EQ(tally->failed, 0) << (tally->errors.empty() ? "" : tally->errors[0]);
    EXPECT_EQ(tally->confirmed, kTotal);
  }
  EXPECT_GT(rehomes, 0u);
  const auto node = gateway->node().Stats();
  std::printf(
      "ppv: %d purchases by %d set-tops in %.1f s (%.0f/s) over 10%% loss, 5%% duplication; "
      "%d took more than one send, %d answered by replay, %llu re-homings, %llu datagrams "
      "lost on purpose\n",
      kTotal, kStbs, seconds, kTotal / seconds, tally->retried, tally->replayed,
      static_cast<unsigned long long>(rehomes), static_cast<unsigned long long>(node.fault_drops));

  clients.clear();
  ExpectEachRecordedOnce(ReadLedger(), *tally, killed, kStbs, kEach);
}

}  // namespace
}  // namespace dabs::ppv
