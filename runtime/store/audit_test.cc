// The audit trail: ordered, never-reused sequence numbers, committed with the change.
#include <gtest/gtest.h>

#include <dabs/store/audit.h>
#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

using testing::TempDir;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(dir_.store());
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
    store_ = std::move(*opened);
  }

  Result<uint64_t> Append(std::string_view who, std::string_view what, int64_t millis = 1000) {
    Result<uint64_t> out = Errc::kLmdb;
    Status s = store_->Write([&](WriteTxn& txn) -> Status {
      out = AppendAudit(txn, who, what, millis);
      return out.ok() ? Status::Ok() : Status(out.error());
    });
    if (!s) return s.error();
    return out;
  }

  std::vector<AuditRecord> All(uint64_t from = 0, size_t stop_after = SIZE_MAX) {
    std::vector<AuditRecord> records;
    Status s = store_->Read([&](const ReadTxn& txn) {
      return ForEachAudit(txn, from, [&](const AuditRecord& r) {
        records.push_back(r);
        return records.size() < stop_after;
      });
    });
    EXPECT_TRUE(s.ok()) << s.error().Message();
    return records;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AuditTest, RecordsReadBackInOrderWithEveryField) {
  ASSERT_EQ(Append("dabs-configd", "limits.calculator.sessions 100 -> 200", 1700000000123).value(),
            1u);
  ASSERT_EQ(Append("operator:alice", std::string("bytes\0ok", 8), -5).value(), 2u);
  const auto records = All();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, 1u);
  EXPECT_EQ(records[0].unix_millis, 1700000000123);
  EXPECT_EQ(records[0].who, "dabs-configd");
  EXPECT_EQ(records[0].what, "limits.calculator.sessions 100 -> 200");
  EXPECT_EQ(records[1].unix_millis, -5);
  EXPECT_EQ(records[1].who, "operator:alice");
  EXPECT_EQ(records[1].what, std::string("bytes\0ok", 8));
}

TEST_F(AuditTest, IterationFollowsTheSequencePastByteBoundaries) {
  // Little-endian keys would put 256 before 2; big-endian keeps the order.
  ASSERT_TRUE(store_
                  ->Write([](WriteTxn& txn) -> Status {
                    for (int i = 0; i < 300; ++i) {
                      if (auto r = AppendAudit(txn, "t", std::to_string(i + 1)); !r) {
                        return r.error();
                      }
                    }
                    return Status::Ok();
                  })
                  .ok());
  const auto records = All();
  ASSERT_EQ(records.size(), 300u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, i + 1);
    EXPECT_EQ(records[i].what, std::to_string(i + 1));
  }
}

TEST_F(AuditTest, SequenceNumbersAreNotReusedAfterRecordsAreDeleted) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Append("t", "x").ok());
  ASSERT_TRUE(store_->Write([](WriteTxn& txn) { return txn.DeleteAll(Database::kAudit); }).ok());
  EXPECT_EQ(Append("t", "after the purge").value(), 4u);
}

TEST_F(AuditTest, ReadingStartsAtTheGivenSequenceAndStopsWhenAsked) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(Append("t", std::to_string(i + 1)).ok());
  auto from3 = All(3);
  ASSERT_EQ(from3.size(), 3u);
  EXPECT_EQ(from3.front().sequence, 3u);
  EXPECT_EQ(All(2, 1).size(), 1u);
}

TEST_F(AuditTest, OversizedWhoOrWhatIsRefused) {
  EXPECT_EQ(Append(std::string(kMaxAuditWhoBytes + 1, 'w'), "x").code(), Errc::kInvalidArgument);
  EXPECT_EQ(Append("w", std::string(kMaxAuditWhatBytes + 1, 'x')).code(), Errc::kInvalidArgument);
  EXPECT_TRUE(
      Append(std::string(kMaxAuditWhoBytes, 'w'), std::string(kMaxAuditWhatBytes, 'x')).ok());
  EXPECT_EQ(All().size(), 1u);
}

TEST_F(AuditTest, ARecordIsAbortedWithTheChangeItDescribes) {
  Status s = store_->Write([](WriteTxn& txn) -> Status {
    (void)txn.Put(Database::kConfig, "k", "v");
    (void)AppendAudit(txn, "t", "k = v");
    return Errc::kInvalidArgument;  // the change is refused after all
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(All().empty());
  EXPECT_EQ(Append("t", "first kept").value(), 1u);
}

TEST_F(AuditTest, AMalformedRecordIsReportedAsCorrupted) {
  ASSERT_TRUE(store_
                  ->Write([](WriteTxn& txn) {
                    return txn.Put(Database::kAudit, std::string(8, '\0'), "short");
                  })
                  .ok());
  Status s = store_->Read([](const ReadTxn& txn) {
    return ForEachAudit(txn, 0, [](const AuditRecord&) { return true; });
  });
  EXPECT_EQ(s.code(), Errc::kCorrupted);
}

TEST_F(AuditTest, TheSystemClockStampIsNow) {
  using namespace std::chrono;
  const int64_t before =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE(
      store_->Write([](WriteTxn& txn) { return AppendAudit(txn, "t", "now").code(); }).ok());
  const int64_t after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto records = All();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_GE(records[0].unix_millis, before);
  EXPECT_LE(records[0].unix_millis, after);
}

}  // namespace
}  // namespace dabs::store
