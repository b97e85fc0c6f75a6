#include "store_writer.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace dabs::farm {
namespace {

namespace fs = std::filesystem;

class StoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dabs-writer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = store::Store::Open(dir_).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  size_t Count() {
    size_t n = 0;
    (void)store_->Read([&](const store::ReadTxn& txn) {
      n = 0;
      return txn.ForEach(store::Database::kServers, {}, [&](std::string_view, std::string_view) {
        ++n;
        return store::Visit::kContinue;
      });
    });
    return n;
  }
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoreWriterTest, ABurstOfChangesIsCommittedInFewTransactionsAndDrainWaitsForAll) {
  StoreWriter w(*store_);
  for (int i = 0; i < 5000; ++i) {
    w.Post([i](store::WriteTxn& txn) {
      return txn.Put(store::Database::kServers, "k" + std::to_string(i), "v");
    });
  }
  w.Drain();
  EXPECT_EQ(Count(), 5000u);
  const auto s = w.stats();
  EXPECT_EQ(s.changes, 5000u);
  EXPECT_LE(s.commits, 10u) << "batched, not one commit per change";
}

TEST_F(StoreWriterTest, AFailingChangeDoesNotSinkTheOthersInItsBatch) {
  StoreWriter w(*store_);
  w.Post([](store::WriteTxn& txn) { return txn.Put(store::Database::kServers, "a", "1"); });
  w.Post([](store::WriteTxn& txn) {
    return txn.Put(store::Database::kServers, "", "empty keys are refused");
  });
  w.Post([](store::WriteTxn& txn) { return txn.Put(store::Database::kServers, "b", "2"); });
  w.Drain();
  EXPECT_EQ(Count(), 2u);
}

TEST_F(StoreWriterTest, PastItsBoundNewChangesAreDroppedAndCounted) {
  StoreWriter w(*store_, /*max_queued=*/10, std::chrono::milliseconds(200));
  for (int i = 0; i < 100; ++i) {
    w.Post([i](store::WriteTxn& txn) {
      return txn.Put(store::Database::kServers, "k" + std::to_string(i), "v");
    });
  }
  w.Drain();
  EXPECT_GT(w.stats().dropped, 0u);
  EXPECT_EQ(Count() + w.stats().dropped, 100u);
}

TEST_F(StoreWriterTest, WhatIsQueuedIsWrittenWhenTheWriterStops) {
  {
    StoreWriter w(*store_, 1000, std::chrono::milliseconds(1000));
    w.Post(
        [](store::WriteTxn& txn) { return txn.Put(store::Database::kServers, "last", "words"); });
  }
  EXPECT_EQ(Count(), 1u);
}

}  // namespace
}  // namespace dabs::farm
