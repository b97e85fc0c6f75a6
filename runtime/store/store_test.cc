// Opening and closing a store, one Store per directory per process, threads, fork, and
// the guards against nesting and exceptions.
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/mp/coding.h>
#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

using testing::GetOne;
using testing::PutOne;
using testing::TempDir;

std::unique_ptr<Store> OpenOrDie(const std::filesystem::path& dir, const StoreOptions& o = {}) {
  auto opened = Store::Open(dir, o);
  EXPECT_TRUE(opened.ok()) << opened.error().Message();
  return opened.ok() ? std::move(*opened) : nullptr;
}

TEST(StoreTest, OpenCreatesTheDirectoryAndTheFiles) {
  TempDir dir;
  const auto path = dir.path() / "a" / "b";
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  EXPECT_TRUE(std::filesystem::exists(path / "data.mdb"));
  EXPECT_TRUE(std::filesystem::exists(path / "lock.mdb"));
  EXPECT_EQ(store->directory(), path);
  EXPECT_GE(store->max_key_bytes(), 511u);  // LMDB's default build
}

TEST(StoreTest, DataSurvivesClosingAndReopening) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.store());
    ASSERT_TRUE(store);
    ASSERT_TRUE(PutOne(*store, Database::kDirectory, "calculator", "va=0x00100001").ok());
  }
  auto store = OpenOrDie(dir.store());
  ASSERT_TRUE(store);
  EXPECT_EQ(GetOne(*store, Database::kDirectory, "calculator"), "va=0x00100001");
}

TEST(StoreTest, ASecondOpenOfOneDirectoryInOneProcessIsRefusedUnderAnySpelling) {
  TempDir dir;
  auto first = OpenOrDie(dir.store());
  ASSERT_TRUE(first);
  EXPECT_EQ(Store::Open(dir.store()).code(), Errc::kAlreadyOpen);
  EXPECT_EQ(Store::Open(dir.store() / "." / ".." / "store").code(), Errc::kAlreadyOpen);
  std::filesystem::create_directory_symlink(dir.store(), dir.path() / "link");
  EXPECT_EQ(Store::Open(dir.path() / "link").code(), Errc::kAlreadyOpen);
  first.reset();
  EXPECT_TRUE(Store::Open(dir.path() / "link").ok());
}

TEST(StoreTest, InconsistentOptionsAreRefusedBeforeAnythingIsCreated) {
  TempDir dir;
  StoreOptions o;
  o.initial_map_bytes = 2 * kMiB;
  o.max_map_bytes = 1 * kMiB;
  EXPECT_EQ(Store::Open(dir.store(), o).code(), Errc::kInvalidArgument);
  o = {};
  o.max_readers = 0;
  EXPECT_EQ(Store::Open(dir.store(), o).code(), Errc::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.store()));
}

TEST(StoreTest, ANestedTransactionIsRefusedInsteadOfDeadlocking) {
  TempDir dir;
  auto store = OpenOrDie(dir.store());
  ASSERT_TRUE(store);
  Status inner;
  Status outer = store->Write([&](WriteTxn& txn) -> Status {
    inner = store->Read([](const ReadTxn&) { return Status::Ok(); });
    return txn.Put(Database::kConfig, "outer", "committed");
  });
  EXPECT_EQ(inner.code(), Errc::kNestedTransaction);
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(GetOne(*store, Database::kConfig, "outer"), "committed");
  Status nested_write = store->Read(
      [&](const ReadTxn&) { return store->Write([](WriteTxn&) { return Status::Ok(); }); });
  EXPECT_EQ(nested_write.code(), Errc::kNestedTransaction);
}

TEST(StoreTest, TransactionsOfTwoDifferentStoresMayNest) {
  TempDir dir_a, dir_b;
  auto a = OpenOrDie(dir_a.store());
  auto b = OpenOrDie(dir_b.store());
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(PutOne(*a, Database::kConfig, "k", "from a").ok());
  Status s = a->Read([&](const ReadTxn& txn) -> Status {
    auto v = txn.Get(Database::kConfig, "k");
    if (!v || !*v) return Errc::kLmdb;
    return PutOne(*b, Database::kConfig, "k", **v);
  });
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(GetOne(*b, Database::kConfig, "k"), "from a");
}

TEST(StoreTest, AFunctionThatThrowsLeavesNoTransactionOpenAndCommitsNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.store());
  ASSERT_TRUE(store);
  EXPECT_THROW((void)store->Write([](WriteTxn& txn) -> Status {
    (void)txn.Put(Database::kConfig, "thrown", "x");
    throw std::runtime_error("caller bug");
  }),
               std::runtime_error);
  // The writer lock was released, or this would wait forever.
  ASSERT_TRUE(PutOne(*store, Database::kConfig, "next", "y").ok());
  EXPECT_EQ(GetOne(*store, Database::kConfig, "thrown"), std::nullopt);
}

// A shared counter, incremented by read-modify-write in one write transaction.
Status Increment(Store& store, std::string_view key) {
  return store.Write([&](WriteTxn& txn) -> Status {
    auto v = txn.Get(Database::kStatistics, key);
    if (!v) return v.error();
    uint64_t n = *v ? mp::GetU64(reinterpret_cast<const uint8_t*>((*v)->data())) : 0;
    uint8_t bytes[8];
    mp::PutU64(bytes, n + 1);
    return txn.Put(Database::kStatistics, key, std::span<const uint8_t>(bytes));
  });
}

TEST(StoreTest, ThreadsShareOneStoreAndLoseNoIncrement) {
  TempDir dir;
  StoreOptions o;
  o.durability = Durability::kNoMetaSync;  // the point is concurrency, not the disk
  auto store = OpenOrDie(dir.store(), o);
  ASSERT_TRUE(store);
  constexpr int kThreads = 4, kEach = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!Increment(*store, "counter").ok()) ++failures;
        if (!store
                 ->Read([](const ReadTxn& txn) {
                   return txn.Get(Database::kStatistics, "counter").code();
                 })
                 .ok())
          ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  auto v = GetOne(*store, Database::kStatistics, "counter");
  ASSERT_TRUE(v && v->size() == 8);
  EXPECT_EQ(mp::GetU64(reinterpret_cast<const uint8_t*>(v->data())), uint64_t{kThreads * kEach});
}

TEST(StoreTest, AStoreOpenedBeforeForkRefusesWorkInTheChild) {
  TempDir dir;
  auto store = OpenOrDie(dir.store());
  ASSERT_TRUE(store);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: report through the exit status only, and leave without destructors.
    const Status s = store->Read([](const ReadTxn&) { return Status::Ok(); });
    ::_exit(s.code() == Errc::kForked ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(store->Read([](const ReadTxn&) { return Status::Ok(); }).ok());
}

TEST(StoreTest, WhenEveryReaderSlotIsLiveAReadFailsWithReadersFullInsteadOfWaiting) {
  TempDir dir;
  StoreOptions o;
  o.max_readers = 1;
  auto store = OpenOrDie(dir.store(), o);
  ASSERT_TRUE(store);
  std::promise<void> inside, release;
  std::thread holder([&] {
    EXPECT_TRUE(store
                    ->Read([&](const ReadTxn&) {
                      inside.set_value();
                      release.get_future().wait();
                      return Status::Ok();
                    })
                    .ok());
  });
  inside.get_future().wait();
  const Status s = store->Read([](const ReadTxn&) { return Status::Ok(); });
  release.set_value();
  holder.join();
  EXPECT_EQ(s.code(), Errc::kReadersFull);
  EXPECT_TRUE(store->Read([](const ReadTxn&) { return Status::Ok(); }).ok());
}

TEST(StoreTest, StatsReportTheMapAndItsUse) {
  TempDir dir;
  StoreOptions o;
  o.initial_map_bytes = 8 * kMiB;
  auto store = OpenOrDie(dir.store(), o);
  ASSERT_TRUE(store);
  const StoreStats before = store->stats();
  EXPECT_EQ(before.map_bytes, 8 * kMiB);
  EXPECT_GT(before.used_bytes, 0u);
  ASSERT_TRUE(PutOne(*store, Database::kConfig, "big", std::string(1 * kMiB, 'x')).ok());
  EXPECT_GE(store->stats().used_bytes, before.used_bytes + 1 * kMiB);
  EXPECT_EQ(store->stats().map_grows, 0u);
}

}  // namespace
}  // namespace dabs::store
