// Reads and writes inside transactions: values, namespaces, scans, bounds, aborts, snapshots.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

using testing::GetOne;
using testing::PutOne;
using testing::TempDir;

class TxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(dir_.store());
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
    store_ = std::move(*opened);
  }

  // The keys of `db` a scan visits, in the order it visits them.
  std::vector<std::string> Keys(Database db, std::string_view prefix, std::string_view start = {},
                                size_t stop_after = SIZE_MAX) {
    std::vector<std::string> keys;
    Status s = store_->Read([&](const ReadTxn& txn) {
      return txn.ForEach(
          db, prefix,
          [&](std::string_view key, std::string_view) {
            keys.emplace_back(key);
            return keys.size() >= stop_after ? Visit::kStop : Visit::kContinue;
          },
          start);
    });
    EXPECT_TRUE(s.ok()) << s.error().Message();
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(TxnTest, APutIsVisibleToALaterReadTransaction) {
  ASSERT_TRUE(PutOne(*store_, Database::kConfig, "heartbeat_ms", "500").ok());
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "heartbeat_ms"), "500");
}

TEST_F(TxnTest, AMissingKeyReadsAsEmptyNotAsAnError) {
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "absent"), std::nullopt);
}

TEST_F(TxnTest, ValuesAreBytesIncludingZerosAndEmptyValues) {
  const std::string binary("\0\x01\xff\0", 4);
  ASSERT_TRUE(PutOne(*store_, Database::kStatistics, "s1", binary).ok());
  ASSERT_TRUE(PutOne(*store_, Database::kStatistics, "empty", "").ok());
  EXPECT_EQ(GetOne(*store_, Database::kStatistics, "s1"), binary);
  EXPECT_EQ(GetOne(*store_, Database::kStatistics, "empty"), "");
}

TEST_F(TxnTest, EachDatabaseIsItsOwnNamespace) {
  for (Database db : kAllDatabases) {
    ASSERT_TRUE(PutOne(*store_, db, "same-key", DatabaseName(db)).ok());
  }
  for (Database db : kAllDatabases) {
    EXPECT_EQ(GetOne(*store_, db, "same-key"), std::string(DatabaseName(db)));
  }
}

TEST_F(TxnTest, DeleteReportsWhetherTheKeyWasThere) {
  ASSERT_TRUE(PutOne(*store_, Database::kDasps, "d1", "x").ok());
  std::vector<bool> existed;
  ASSERT_TRUE(store_
                  ->Write([&](WriteTxn& txn) -> Status {
                    for (int i = 0; i < 2; ++i) {
                      auto r = txn.Delete(Database::kDasps, "d1");
                      if (!r) return r.error();
                      existed.push_back(*r);
                    }
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(existed, (std::vector<bool>{true, false}));
  EXPECT_EQ(GetOne(*store_, Database::kDasps, "d1"), std::nullopt);
}

TEST_F(TxnTest, DeleteAllEmptiesOnlyThatDatabase) {
  ASSERT_TRUE(PutOne(*store_, Database::kServers, "a", "1").ok());
  ASSERT_TRUE(PutOne(*store_, Database::kServers, "b", "2").ok());
  ASSERT_TRUE(PutOne(*store_, Database::kLimits, "a", "3").ok());
  ASSERT_TRUE(store_->Write([](WriteTxn& txn) { return txn.DeleteAll(Database::kServers); }).ok());
  EXPECT_TRUE(Keys(Database::kServers, "").empty());
  EXPECT_EQ(GetOne(*store_, Database::kLimits, "a"), "3");
}

TEST_F(TxnTest, ForEachVisitsExactlyThePrefixInByteOrder) {
  for (const char* k : {"app/2", "app/10", "ap", "app/1", "apq", "b"}) {
    ASSERT_TRUE(PutOne(*store_, Database::kDirectory, k, "v").ok());
  }
  EXPECT_EQ(Keys(Database::kDirectory, "app/"),
            (std::vector<std::string>{"app/1", "app/10", "app/2"}));
  EXPECT_EQ(Keys(Database::kDirectory, "").size(), 6u);
}

TEST_F(TxnTest, ForEachComparesBytesAsUnsigned) {
  for (const char* k : {"\xff", "a", "\x80z"}) {
    ASSERT_TRUE(PutOne(*store_, Database::kDirectory, k, "v").ok());
  }
  EXPECT_EQ(Keys(Database::kDirectory, ""), (std::vector<std::string>{"a", "\x80z", "\xff"}));
  EXPECT_EQ(Keys(Database::kDirectory, "", "b"), (std::vector<std::string>{"\x80z", "\xff"}));
}

TEST_F(TxnTest, ForEachStartsAtTheStartKeyAndStopsWhenTheVisitorSaysSo) {
  for (const char* k : {"s/1", "s/2", "s/3", "s/4", "t/1"}) {
    ASSERT_TRUE(PutOne(*store_, Database::kStatistics, k, "v").ok());
  }
  EXPECT_EQ(Keys(Database::kStatistics, "s/", "s/2"),
            (std::vector<std::string>{"s/2", "s/3", "s/4"}));
  EXPECT_EQ(Keys(Database::kStatistics, "s/", "s/2", 2), (std::vector<std::string>{"s/2", "s/3"}));
  // A start key before the prefix begins at the prefix.
  EXPECT_EQ(Keys(Database::kStatistics, "t/", "a"), (std::vector<std::string>{"t/1"}));
}

TEST_F(TxnTest, KeysOutsideLmdbBoundsFailWithInvalidKeyAndNeverCrash) {
  const std::string longest(store_->max_key_bytes(), 'k');
  const std::string too_long(store_->max_key_bytes() + 1, 'k');
  EXPECT_TRUE(PutOne(*store_, Database::kConfig, longest, "ok").ok());
  EXPECT_EQ(GetOne(*store_, Database::kConfig, longest), "ok");

  EXPECT_EQ(PutOne(*store_, Database::kConfig, too_long, "x").code(), Errc::kInvalidKey);
  EXPECT_EQ(PutOne(*store_, Database::kConfig, "", "x").code(), Errc::kInvalidKey);
  Status read = store_->Read([&](const ReadTxn& txn) -> Status {
    EXPECT_EQ(txn.Get(Database::kConfig, too_long).code(), Errc::kInvalidKey);
    EXPECT_EQ(txn.Get(Database::kConfig, "").code(), Errc::kInvalidKey);
    return txn.ForEach(Database::kConfig, too_long, [](auto, auto) { return Visit::kContinue; });
  });
  EXPECT_EQ(read.code(), Errc::kInvalidKey);
  Status del =
      store_->Write([&](WriteTxn& txn) { return txn.Delete(Database::kConfig, "").code(); });
  EXPECT_EQ(del.code(), Errc::kInvalidKey);
}

TEST_F(TxnTest, AnOversizedValueIsRefusedAndTheTransactionGoesOn) {
  const std::string too_big(StoreOptions{}.max_value_bytes + 1, 'v');
  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    EXPECT_EQ(txn.Put(Database::kConfig, "big", too_big).code(), Errc::kValueTooLarge);
    return txn.Put(Database::kConfig, "after", "fine");
  });
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "big"), std::nullopt);
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "after"), "fine");
}

TEST_F(TxnTest, AFunctionReturningAnErrorCommitsNothingAndTheErrorIsReturned) {
  const Status refused = Error{std::make_error_code(std::errc::operation_canceled), "mine"};
  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    EXPECT_TRUE(txn.Put(Database::kConfig, "half", "done").ok());
    return refused;
  });
  EXPECT_EQ(s.code(), std::errc::operation_canceled);
  EXPECT_EQ(s.error().detail, "mine");
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "half"), std::nullopt);
}

TEST_F(TxnTest, ADatabaseNumberOutsideTheEnumIsRefused) {
  // Slot 7 is the store's private meta database: a cast must not reach it.
  const auto bogus = static_cast<Database>(kDatabaseCount);
  Status s = store_->Write([&](WriteTxn& txn) { return txn.Put(bogus, "schema_version", "x"); });
  EXPECT_EQ(s.code(), Errc::kInvalidArgument);
  EXPECT_EQ(store_->schema_version(), kSchemaVersion);
}

TEST_F(TxnTest, ErrorsNameTheCategoryTheOperationAndTheDatabase) {
  Status s = PutOne(*store_, Database::kLimits, "", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.code().category().name(), "dabs.store");
  EXPECT_NE(s.error().Message().find("put [limits]"), std::string::npos) << s.error().Message();
}

TEST_F(TxnTest, AReadTransactionSeesASnapshotWhileAnotherThreadCommits) {
  ASSERT_TRUE(PutOne(*store_, Database::kConfig, "k", "old").ok());
  std::mutex m;
  std::condition_variable cv;
  bool reading = false, committed = false;
  std::thread writer([&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return reading; });
    EXPECT_TRUE(PutOne(*store_, Database::kConfig, "k", "new").ok());
    committed = true;
    cv.notify_all();
  });
  std::string seen;
  Status s = store_->Read([&](const ReadTxn& txn) -> Status {
    {
      std::unique_lock lock(m);
      reading = true;
      cv.notify_all();
      cv.wait(lock, [&] { return committed; });
    }
    auto v = txn.Get(Database::kConfig, "k");
    if (!v) return v.error();
    seen = std::string(v->value_or("missing"));
    return Status::Ok();
  });
  writer.join();
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(seen, "old");
  EXPECT_EQ(GetOne(*store_, Database::kConfig, "k"), "new");
}

}  // namespace
}  // namespace dabs::store
