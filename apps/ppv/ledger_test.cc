// The ledger on a real LMDB in a temporary directory: idempotency, lockouts, paging, group
// commit, and what survives closing and reopening.
#include "ledger.h"

#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "ppv_errc.h"
#include "ppv_testing.h"

namespace dabs::ppv {
namespace {

using Ev = PurchaseAttempt::EventState;
constexpr int64_t kNow = 1'906'000'000'000;

PurchaseAttempt Buy(std::string sub, uint64_t id, uint32_t event, bool pin_ok = true,
                    int64_t now = kNow, Ev state = Ev::kOnSale) {
  PurchaseAttempt a;
  a.subscriber = std::move(sub);
  a.purchase_id = id;
  a.event_id = event;
  a.price_cents = 100 * event;
  a.event = state;
  a.pin_ok = pin_ok;
  a.now_ms = now;
  a.taken_by = 0x00100001;
  return a;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    ledger.reset();
    LedgerOptions o;
    o.dir = dir.path() / "ledger";
    o.map_bytes = 64 << 20;
    auto l = Ledger::Open(o, policy);
    ASSERT_TRUE(l.ok()) << l.error().Message();
    ledger = std::move(*l);
  }
  PurchaseOutcome Decide(PurchaseAttempt a) {
    std::promise<Result<PurchaseOutcome>> p;
    ledger->Submit(std::move(a), [&p](Result<PurchaseOutcome> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.error().Message();
    return r.ok() ? *r : PurchaseOutcome{};
  }
  size_t Records() {
    size_t n = 0;
    EXPECT_TRUE(ledger->ForEach([&](std::string_view, const PurchaseRecord&) { ++n; }).ok());
    return n;
  }

  testing::TempDir dir;
  PinPolicy policy{3, 60};
  std::unique_ptr<Ledger> ledger;
};

TEST_F(LedgerTest, TheSameKeyTwiceGivesOneRecordAndTheSecondAnswerIsTheFirstRecord) {
  const auto first = Decide(Buy("stb-1", 77, 1001));
  ASSERT_EQ(first.reply.status, PpvStatus::kOk);
  EXPECT_TRUE(first.recorded);
  EXPECT_EQ(first.reply.record->receipt, 1u);
  EXPECT_EQ(first.reply.record->price_cents, 100100u);
  const auto again = Decide(Buy("stb-1", 77, 1001, true, kNow + 5000));
  EXPECT_EQ(again.reply.status, PpvStatus::kAlreadyPurchased);
  EXPECT_TRUE(again.replay);
  EXPECT_FALSE(again.recorded);
  EXPECT_EQ(again.reply.record, first.reply.record);  // the original time and receipt
  EXPECT_EQ(Records(), 1u);
}

TEST_F(LedgerTest, AReplayIsAnsweredWhateverChangedSince) {
  const auto first = Decide(Buy("stb-1", 77, 1001));
  // The sale closed, the PIN is wrong, and even a locked subscriber: the record, not a refusal.
  EXPECT_EQ(Decide(Buy("stb-1", 77, 1001, true, kNow, Ev::kClosed)).reply.record,
            first.reply.record);
  for (int i = 0; i < 3; ++i)
    Decide(Buy("stb-1", 100 + i, 1002, false));
  const auto replay = Decide(Buy("stb-1", 77, 1001, false));
  EXPECT_EQ(replay.reply.status, PpvStatus::kAlreadyPurchased);
  EXPECT_EQ(replay.reply.record, first.reply.record);
  EXPECT_FALSE(replay.wrong_pin);
}

TEST_F(LedgerTest, AnOwnedEventBoughtAgainUnderAnotherIdIsNotChargedTwice) {
  const auto first = Decide(Buy("stb-1", 77, 1001));
  const auto second = Decide(Buy("stb-1", 78, 1001));
  EXPECT_EQ(second.reply.status, PpvStatus::kAlreadyPurchased);
  EXPECT_FALSE(second.replay);
  EXPECT_EQ(second.reply.record, first.reply.record);  // purchase id 77's
  EXPECT_EQ(Records(), 1u);
  // Another subscriber with the same purchase id is another purchase.
  EXPECT_EQ(Decide(Buy("stb-2", 77, 1001)).reply.status, PpvStatus::kOk);
  EXPECT_EQ(Records(), 2u);
}

TEST_F(LedgerTest, APurchaseIdReusedForAnotherEventIsRefusedWithItsRecord) {
  const auto first = Decide(Buy("stb-1", 77, 1001));
  const auto reused = Decide(Buy("stb-1", 77, 1002));
  EXPECT_EQ(reused.reply.status, PpvStatus::kIdReused);
  EXPECT_EQ(reused.reply.record, first.reply.record);
  EXPECT_EQ(Records(), 1u);
}

TEST_F(LedgerTest, WrongPinsCountDownThenLockAndTheLockSurvivesAReopen) {
  auto w1 = Decide(Buy("stb-1", 1, 1001, false));
  EXPECT_EQ(w1.reply.status, PpvStatus::kWrongPin);
  EXPECT_EQ(w1.reply.attempts_left, 2);
  EXPECT_EQ(Decide(Buy("stb-1", 2, 1001, false)).reply.attempts_left, 1);
  auto locked = Decide(Buy("stb-1", 3, 1001, false));
  EXPECT_EQ(locked.reply.status, PpvStatus::kPinLocked);
  EXPECT_TRUE(locked.wrong_pin);
  EXPECT_EQ(locked.reply.locked_until_ms, kNow + 60'000);
  Reopen();  // durable: a restarted DASP (or another one on this host) sees the lock
  auto right_but_locked = Decide(Buy("stb-1", 4, 1001, true, kNow + 59'999));
  EXPECT_EQ(right_but_locked.reply.status, PpvStatus::kPinLocked);
  EXPECT_FALSE(right_but_locked.wrong_pin);
  EXPECT_EQ(Decide(Buy("stb-2", 5, 1001)).reply.status, PpvStatus::kOk);  // only stb-1 is locked
  EXPECT_EQ(Records(), 1u);
  // After the lock: a fresh count of wrong PINs, and a right PIN buys and clears it.
  EXPECT_EQ(Decide(Buy("stb-1", 6, 1001, false, kNow + 60'000)).reply.attempts_left, 2);
  EXPECT_EQ(Decide(Buy("stb-1", 7, 1001, true, kNow + 60'001)).reply.status, PpvStatus::kOk);
  EXPECT_EQ(Decide(Buy("stb-1", 8, 1002, false, kNow + 60'002)).reply.attempts_left, 2);
}

TEST_F(LedgerTest, UnknownEventsAndClosedSalesAreRefusedOnlyAfterThePin) {
  EXPECT_EQ(Decide(Buy("stb-1", 1, 5, false, kNow, Ev::kUnknown)).reply.status,
            PpvStatus::kWrongPin);
  EXPECT_EQ(Decide(Buy("stb-1", 2, 5, true, kNow, Ev::kUnknown)).reply.status,
            PpvStatus::kUnknownEvent);
  EXPECT_EQ(Decide(Buy("stb-1", 3, 6, true, kNow, Ev::kClosed)).reply.status,
            PpvStatus::kWindowClosed);
  EXPECT_EQ(Records(), 0u);
  // A refused purchase id is not spent: it may be sent again once the event is on sale.
  EXPECT_EQ(Decide(Buy("stb-1", 3, 6)).reply.status, PpvStatus::kOk);
}

TEST_F(LedgerTest, PurchasesArePagedInPurchaseIdOrderOneSubscriberOnly) {
  for (uint64_t id : {50, 10, 40, 20, 30})
    Decide(Buy("stb-1", id, static_cast<uint32_t>(1000 + id)));
  Decide(Buy("stb-10", 15, 1));  // a longer id with the same start: not stb-1's
  Decide(Buy("stb-", 15, 1));
  auto p1 = ledger->Purchases("stb-1", 0, 2);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->records.size(), 2u);
  EXPECT_EQ(p1->records[0].purchase_id, 10u);
  EXPECT_EQ(p1->records[1].purchase_id, 20u);
  EXPECT_EQ(p1->next, 20u);
  auto p2 = ledger->Purchases("stb-1", p1->next, 2);
  EXPECT_EQ(p2->records[0].purchase_id, 30u);
  auto p3 = ledger->Purchases("stb-1", p2->next, 2);
  ASSERT_EQ(p3->records.size(), 1u);
  EXPECT_EQ(p3->records[0].purchase_id, 50u);
  EXPECT_EQ(p3->next, 0u);  // no more
  EXPECT_TRUE(ledger->Purchases("stb-1", UINT64_MAX, 8)->records.empty());
  EXPECT_TRUE(ledger->Purchases("nobody", 0, 8)->records.empty());
}

TEST_F(LedgerTest, ConcurrentPurchasesAreCommittedInGroupsAndEachAnsweredOnce) {
  constexpr int kThreads = 4, kEach = 500;
  std::atomic<int> answered{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every purchase twice, as a retransmission would.
        for (int copy = 0; copy < 2; ++copy) {
          ledger->Submit(Buy("stb-" + std::to_string(t), 1 + i, 1 + i),
                         [&](Result<PurchaseOutcome> r) {
                           ++answered;
                           ok += r.ok() && (r->reply.status == PpvStatus::kOk || r->replay);
                         });
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  ledger.reset();  // the destructor decides and answers everything queued
  EXPECT_EQ(answered, 2 * kThreads * kEach);
  EXPECT_EQ(ok, 2 * kThreads * kEach);
  Reopen();
  std::set<uint64_t> receipts;
  EXPECT_TRUE(
      ledger
          ->ForEach([&](std::string_view, const PurchaseRecord& r) { receipts.insert(r.receipt); })
          .ok());
  EXPECT_EQ(receipts.size(), size_t{kThreads * kEach});
  EXPECT_EQ(*receipts.rbegin(), uint64_t{kThreads * kEach});  // 1..N, none skipped or repeated
}

TEST_F(LedgerTest, GroupsShareOneCommit) {
  std::vector<std::future<void>> waits;
  std::vector<std::promise<void>> done(300);
  for (int i = 0; i < 300; ++i) {
    waits.push_back(done[i].get_future());
    ledger->Submit(Buy("stb-1", 1 + i, 1 + i),
                   [&done, i](Result<PurchaseOutcome>) { done[i].set_value(); });
  }
  for (auto& w : waits)
    w.wait();
  const auto s = ledger->Stats();
  EXPECT_EQ(s.purchases, 300u);
  EXPECT_LT(s.commits, 300u);  // the writer found others queued behind the first
  EXPECT_LE(s.largest_group, 256u);
}

TEST_F(LedgerTest, OneProcessOpensADirectoryOnce) {
  LedgerOptions o;
  o.dir = dir.path() / "ledger";
  auto second = Ledger::Open(o, policy);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().detail.find("already open in this process"), std::string::npos);
}

TEST_F(LedgerTest, ALedgerOfANewerSchemaIsRefused) {
  ledger.reset();
  {
    LmdbOptions o;
    o.dir = dir.path() / "ledger";
    o.databases = LedgerDatabases();
    auto env = LmdbEnv::Open(o).value();
    const uint8_t key[] = {'s', 'c', 'h', 'e', 'm', 'a'}, two[] = {0, 0, 0, 2};
    ASSERT_TRUE(env->Write([&](Txn& t) {
                     t.Put(kMetaDb, key, two);
                     return t.status();
                   })
                    .ok());
  }
  LedgerOptions o;
  o.dir = dir.path() / "ledger";
  auto l = Ledger::Open(o, policy);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().detail.find("schema 2 is newer"), std::string::npos) << l.error().Message();
}

}  // namespace
}  // namespace dabs::ppv
