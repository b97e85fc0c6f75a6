// Map growth within one process: a write that does not fit grows the map and is redone,
// transparently, up to the configured maximum.
#include <gtest/gtest.h>

#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

using testing::GetOne;
using testing::PutOne;
using testing::TempDir;

constexpr uint64_t kTinyMap = 64 * kKiB;

StoreOptions Tiny(uint64_t max_map = 1 * kGiB) {
  StoreOptions o;
  o.initial_map_bytes = kTinyMap;
  o.max_map_bytes = max_map;
  o.durability = Durability::kNoMetaSync;
  return o;
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "r%06d", i);
  return buf;
}

// Puts `count` values of `bytes` bytes in one write transaction; returns how many times the
// function ran.
int PutMany(Store& store, int count, size_t bytes, Status* result) {
  int runs = 0;
  *result = store.Write([&](WriteTxn& txn) -> Status {
    ++runs;
    for (int i = 0; i < count; ++i) {
      if (Status s = txn.Put(Database::kStatistics, Key(i), std::string(bytes, 'a' + i % 26)); !s) {
        return s;
      }
    }
    return Status::Ok();
  });
  return runs;
}

TEST(MapGrowthTest, ATinyMapGrowsUntilABigTransactionFitsAndTheFunctionIsRedone) {
  TempDir dir;
  auto store = Store::Open(dir.store(), Tiny());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  Status s;
  const int runs = PutMany(**store, 2000, 1024, &s);  // about 2.5 MiB with page overhead
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_GE(runs, 2);
  const StoreStats stats = (*store)->stats();
  EXPECT_GE(stats.map_grows, 5u);  // 64 KiB doubled to at least 2 MiB
  EXPECT_GE(stats.map_bytes, 2 * kMiB);
  EXPECT_EQ(stats.write_redos, static_cast<uint64_t>(runs - 1));
  EXPECT_EQ(GetOne(**store, Database::kStatistics, Key(1999)), std::string(1024, 'a' + 1999 % 26));
}

TEST(MapGrowthTest, ManySmallCommitsGrowTheMapToo) {
  TempDir dir;
  auto store = Store::Open(dir.store(), Tiny());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(PutOne(**store, Database::kAudit, Key(i), std::string(2048, 'x')).ok()) << i;
  }
  EXPECT_GE((*store)->stats().map_grows, 1u);
  EXPECT_EQ(GetOne(**store, Database::kAudit, Key(0)), std::string(2048, 'x'));
}

TEST(MapGrowthTest, AFunctionThatIgnoresMapFullIsStillRedoneUntilEverythingFits) {
  TempDir dir;
  auto store = Store::Open(dir.store(), Tiny());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  Status s = (*store)->Write([&](WriteTxn& txn) {
    for (int i = 0; i < 500; ++i)
      (void)txn.Put(Database::kDasps, Key(i), std::string(1024, 'd'));
    return Status::Ok();  // a careless caller: every Put error dropped
  });
  ASSERT_TRUE(s.ok()) << s.error().Message();
  for (int i : {0, 250, 499}) {
    EXPECT_EQ(GetOne(**store, Database::kDasps, Key(i)), std::string(1024, 'd')) << i;
  }
}

TEST(MapGrowthTest, AWriteBeyondTheMaximumFailsWithMapFullAndTheStoreStaysUsable) {
  TempDir dir;
  auto store = Store::Open(dir.store(), Tiny(256 * kKiB));
  ASSERT_TRUE(store.ok()) << store.error().Message();
  ASSERT_TRUE(PutOne(**store, Database::kConfig, "before", "kept").ok());
  Status s;
  PutMany(**store, 1000, 1024, &s);
  EXPECT_EQ(s.code(), Errc::kMapFull);
  EXPECT_NE(s.error().Message().find("max_map_bytes"), std::string::npos) << s.error().Message();
  EXPECT_EQ((*store)->stats().map_bytes, 256 * kKiB);
  EXPECT_EQ(GetOne(**store, Database::kConfig, "before"), "kept");
  EXPECT_EQ(GetOne(**store, Database::kStatistics, Key(0)), std::nullopt);
  EXPECT_TRUE(PutOne(**store, Database::kConfig, "after", "fits").ok());
}

TEST(MapGrowthTest, AStoreReopenedWithASmallerInitialMapKeepsItsData) {
  TempDir dir;
  {
    auto store = Store::Open(dir.store(), Tiny());
    ASSERT_TRUE(store.ok());
    Status s;
    PutMany(**store, 1000, 1024, &s);
    ASSERT_TRUE(s.ok()) << s.error().Message();
  }
  auto store = Store::Open(dir.store(), Tiny());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  EXPECT_EQ(GetOne(**store, Database::kStatistics, Key(999)), std::string(1024, 'a' + 999 % 26));
  ASSERT_TRUE(PutOne(**store, Database::kStatistics, "more", std::string(64 * kKiB, 'm')).ok());
}

}  // namespace
}  // namespace dabs::store
