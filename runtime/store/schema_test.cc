// The schema version in the meta database: recorded, refused when newer, migrated when older.
#include <gtest/gtest.h>

#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

using testing::GetOne;
using testing::PutOne;
using testing::TempDir;

StoreOptions Version(uint32_t v) {
  StoreOptions o;
  o.schema_version = v;
  return o;
}

TEST(SchemaTest, ANewStoreRecordsTheSchemaVersionOfThisBuild) {
  TempDir dir;
  auto store = Store::Open(dir.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  EXPECT_EQ((*store)->schema_version(), kSchemaVersion);
}

TEST(SchemaTest, AStoreWrittenByANewerBuildIsRefusedWithAClearError) {
  TempDir dir;
  ASSERT_TRUE(Store::Open(dir.store(), Version(kSchemaVersion + 2)).ok());
  auto older_build = Store::Open(dir.store());
  ASSERT_FALSE(older_build.ok());
  EXPECT_EQ(older_build.code(), Errc::kSchemaTooNew);
  const std::string message = older_build.error().Message();
  EXPECT_NE(message.find("schema " + std::to_string(kSchemaVersion + 2)), std::string::npos)
      << message;
  EXPECT_NE(message.find("up to " + std::to_string(kSchemaVersion)), std::string::npos) << message;
  // The refused open released the directory: the newer build still opens it.
  EXPECT_TRUE(Store::Open(dir.store(), Version(kSchemaVersion + 2)).ok());
}

TEST(SchemaTest, AnOlderSchemaRunsTheMigrationAndRaisesTheNumber) {
  TempDir dir;
  {
    auto v1 = Store::Open(dir.store(), Version(1));
    ASSERT_TRUE(v1.ok());
    ASSERT_TRUE(PutOne(**v1, Database::kConfig, "old_layout", "1").ok());
  }
  std::vector<std::pair<uint32_t, uint32_t>> calls;
  StoreOptions o = Version(2);
  o.migrate = [&](WriteTxn& txn, uint32_t from, uint32_t to) -> Status {
    calls.emplace_back(from, to);
    if (Status s = txn.Put(Database::kConfig, "new_layout", "2"); !s) return s;
    return txn.Delete(Database::kConfig, "old_layout").code();
  };
  {
    auto v2 = Store::Open(dir.store(), o);
    ASSERT_TRUE(v2.ok()) << v2.error().Message();
    EXPECT_EQ((*v2)->schema_version(), 2u);
    EXPECT_EQ(GetOne(**v2, Database::kConfig, "new_layout"), "2");
    EXPECT_EQ(GetOne(**v2, Database::kConfig, "old_layout"), std::nullopt);
  }
  EXPECT_EQ(calls, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}}));
  // Once raised, the number stays: no second migration, and version 1 is now refused.
  ASSERT_TRUE(Store::Open(dir.store(), o).ok());
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(Store::Open(dir.store(), Version(1)).code(), Errc::kSchemaTooNew);
}

TEST(SchemaTest, WithoutAHookAnUpgradeRaisesOnlyTheNumberAndKeepsTheData) {
  TempDir dir;
  {
    auto v1 = Store::Open(dir.store(), Version(1));
    ASSERT_TRUE(v1.ok());
    ASSERT_TRUE(PutOne(**v1, Database::kLimits, "calculator", "100").ok());
  }
  auto v2 = Store::Open(dir.store(), Version(2));
  ASSERT_TRUE(v2.ok()) << v2.error().Message();
  EXPECT_EQ((*v2)->schema_version(), 2u);
  EXPECT_EQ(GetOne(**v2, Database::kLimits, "calculator"), "100");
}

TEST(SchemaTest, AFailedMigrationFailsTheOpenAndChangesNothing) {
  TempDir dir;
  {
    auto v1 = Store::Open(dir.store(), Version(1));
    ASSERT_TRUE(v1.ok());
  }
  StoreOptions o = Version(2);
  o.migrate = [](WriteTxn& txn, uint32_t, uint32_t) -> Status {
    (void)txn.Put(Database::kConfig, "partial", "x");
    return Error{make_error_code(Errc::kInvalidArgument), "cannot migrate"};
  };
  auto failed = Store::Open(dir.store(), o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().detail, "cannot migrate");
  auto v1 = Store::Open(dir.store(), Version(1));
  ASSERT_TRUE(v1.ok()) << v1.error().Message();
  EXPECT_EQ((*v1)->schema_version(), 1u);
  EXPECT_EQ(GetOne(**v1, Database::kConfig, "partial"), std::nullopt);
}

}  // namespace
}  // namespace dabs::store
