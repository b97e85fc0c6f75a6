// Several processes on one store, as the daemons of a server are: a kill -9 at any moment
// loses no acknowledged commit, leaves no lock behind, and leaves reader slots that are
// cleared; concurrent writers lose no update; a map grown by one process is adopted by the
// others. The other processes are store_test_helper, started with posix_spawn (no fork
// of a process that has a store open).
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include <dabs/mp/coding.h>
#include <dabs/store/store.h>

#include "../../tests/support/subprocess.h"
#include "store_testing.h"

namespace dabs::store {
namespace {

using namespace std::chrono_literals;
using dabs::testing::Subprocess;
using testing::GetOne;
using testing::TempDir;

std::vector<std::string> HelperArgs(std::vector<std::string> args) {
  args.insert(args.begin(), DABS_STORE_TEST_HELPER);
  return args;
}

Subprocess Helper(std::vector<std::string> args) {
  return Subprocess(HelperArgs(std::move(args)));
}

// Waits for the helper's line starting with `expected`; fails the test on anything else.
void Expect(Subprocess& helper, std::string_view expected) {
  auto line = helper.ReadLine(30s);
  ASSERT_TRUE(line.has_value()) << "helper said nothing; expected " << expected;
  ASSERT_TRUE(line->starts_with(expected)) << "helper said: " << *line;
}

void KillAndReap(Subprocess& helper) {
  helper.Signal(SIGKILL);
  const int status = helper.Wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// Runs `fn`, and aborts the whole test program if it has not returned within `limit`: the
// behaviour pinned is "does not block", and a hang would otherwise last until ctest's
// timeout or forever.
template <typename F>
auto WithinOrAbort(std::chrono::seconds limit, F fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  std::thread(std::move(task)).detach();
  if (result.wait_for(limit) != std::future_status::ready) {
    std::cerr << "blocked for " << limit.count() << " s: a dead process's lock held us\n";
    std::abort();
  }
  return result.get();
}

uint64_t Counter(const Store& store) {
  auto v = GetOne(store, Database::kStatistics, "counter");
  if (!v || v->size() != 8) return 0;
  return mp::GetU64(reinterpret_cast<const uint8_t*>(v->data()));
}

TEST(ProcessTest, EveryCommitAcknowledgedBeforeSigkillIsThereAfterReopening) {
  TempDir dir;
  auto writer = Helper({"commit", dir.store(), "1000000"});
  ASSERT_TRUE(writer.started());
  std::vector<std::string> acknowledged;
  while (acknowledged.size() < 300) {
    auto line = writer.ReadLine(30s);
    ASSERT_TRUE(line && line->starts_with("k")) << (line ? *line : "no line");
    acknowledged.push_back(*line);
  }
  KillAndReap(writer);
  // Lines still in the pipe were acknowledged before the kill too.
  while (auto line = writer.ReadLine(1s))
    acknowledged.push_back(*line);

  auto store = Store::Open(dir.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  for (const std::string& key : acknowledged) {
    ASSERT_EQ(GetOne(**store, Database::kConfig, key), "v" + key) << key << " was lost";
  }
  // The kill came mid-way, and at most the one commit it had not yet printed is extra.
  size_t stored = 0;
  ASSERT_TRUE((*store)
                  ->Read([&](const ReadTxn& txn) {
                    return txn.ForEach(Database::kConfig, "k", [&](auto, auto) {
                      ++stored;
                      return Visit::kContinue;
                    });
                  })
                  .ok());
  EXPECT_LT(acknowledged.size(), 1000000u);
  EXPECT_GE(stored, acknowledged.size());
  EXPECT_LE(stored, acknowledged.size() + 1);
}

TEST(ProcessTest, AWriterKilledInsideItsTransactionBlocksNoWriterAndLeavesNothing) {
  TempDir dir;
  auto store = Store::Open(dir.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  auto writer = Helper({"hold-writer", dir.store()});
  ASSERT_NO_FATAL_FAILURE(Expect(writer, "writing"));
  KillAndReap(writer);
  const Status s = WithinOrAbort(
      20s, [&] { return testing::PutOne(**store, Database::kConfig, "next", "writer"); });
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_EQ(GetOne(**store, Database::kConfig, "uncommitted"), std::nullopt);
  EXPECT_EQ(GetOne(**store, Database::kConfig, "next"), "writer");
}

TEST(ProcessTest, ConcurrentProcessesAndThreadsLoseNoIncrementWhileTheMapGrows) {
  TempDir dir;
  constexpr int kHelpers = 3, kEach = 200;
  constexpr uint64_t kMap = 64 * kKiB;  // every process must grow it, or adopt another's
  StoreOptions o;
  o.initial_map_bytes = kMap;
  auto store = Store::Open(dir.store(), o);
  ASSERT_TRUE(store.ok()) << store.error().Message();
  using namespace std::chrono;
  const auto start = duration_cast<milliseconds>(system_clock::now().time_since_epoch()) + 500ms;
  std::vector<std::unique_ptr<Subprocess>> helpers;
  for (int h = 0; h < kHelpers; ++h) {
    helpers.push_back(std::make_unique<Subprocess>(
        HelperArgs({"count", dir.store(), "h" + std::to_string(h), std::to_string(kEach),
                    std::to_string(kMap), std::to_string(start.count())})));
  }
  std::this_thread::sleep_until(system_clock::time_point(start));
  const std::string padding(512, 'p');
  for (int i = 0; i < kEach; ++i) {
    Status s = (*store)->Write([&](WriteTxn& txn) -> Status {
      auto v = txn.Get(Database::kStatistics, "counter");
      if (!v) return v.error();
      uint8_t bytes[8];
      mp::PutU64(bytes, (*v ? mp::GetU64(reinterpret_cast<const uint8_t*>((*v)->data())) : 0) + 1);
      if (Status p = txn.Put(Database::kStatistics, "counter", std::span<const uint8_t>(bytes));
          !p) {
        return p;
      }
      return txn.Put(Database::kStatistics, "parent/" + std::to_string(i), padding);
    });
    ASSERT_TRUE(s.ok()) << s.error().Message();
  }
  for (auto& h : helpers) {
    auto line = h->ReadLine(60s);
    ASSERT_TRUE(line && line->starts_with("done")) << (line ? *line : "no line");
    std::cout << "helper: " << *line << "\n";
    EXPECT_EQ(h->Wait(), 0);
  }
  EXPECT_EQ(Counter(**store), uint64_t{(kHelpers + 1) * kEach});
  for (int h = 0; h < kHelpers; ++h) {
    EXPECT_TRUE(GetOne(**store, Database::kStatistics,
                       "h" + std::to_string(h) + "/" + std::to_string(kEach - 1)));
  }
  const StoreStats st = (*store)->stats();
  std::cout << "parent: grows=" << st.map_grows << " adoptions=" << st.map_adoptions
            << " redos=" << st.write_redos << " map=" << st.map_bytes << "\n";
  EXPECT_GT(st.map_bytes, kMap);
}

TEST(ProcessTest, AMapGrownByAnotherProcessIsAdoptedWhenLmdbReportsItResized) {
  TempDir dir;
  StoreOptions o;
  o.initial_map_bytes = 64 * kKiB;
  auto store = Store::Open(dir.store(), o);
  ASSERT_TRUE(store.ok()) << store.error().Message();
  auto filler = Helper({"fill", dir.store(), std::to_string(4 * kMiB), std::to_string(64 * kKiB)});
  ASSERT_NO_FATAL_FAILURE(Expect(filler, "filled"));
  EXPECT_EQ(filler.Wait(), 0);

  // Our 64 KiB view ends long before the data: the next transaction adopts the new size.
  EXPECT_EQ(GetOne(**store, Database::kDasps, "f0"), std::string(4096, 'f'));
  const StoreStats st = (*store)->stats();
  EXPECT_GE(st.map_adoptions, 1u);
  EXPECT_GE(st.map_bytes, 4 * kMiB);
  EXPECT_EQ(st.map_grows, 0u);
  EXPECT_TRUE(testing::PutOne(**store, Database::kDasps, "parent", "writes too").ok());
}

TEST(ProcessTest, AReaderKilledWithSigkillIsClearedByTheNextOpen) {
  TempDir dir;
  // Another daemon keeps the environment open, as on a live server; with none, LMDB would
  // start a fresh reader table and there would be nothing to clear.
  auto daemon = Helper({"idle", dir.store()});
  ASSERT_NO_FATAL_FAILURE(Expect(daemon, "open"));
  auto reader = Helper({"hold-reader", dir.store()});
  ASSERT_NO_FATAL_FAILURE(Expect(reader, "reading"));
  KillAndReap(reader);

  auto store = Store::Open(dir.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  EXPECT_GE((*store)->stale_readers_cleared_at_open(), 1);
  const Status s = WithinOrAbort(
      20s, [&] { return testing::PutOne(**store, Database::kConfig, "after", "reader died"); });
  EXPECT_TRUE(s.ok()) << s.error().Message();
}

TEST(ProcessTest, ClearStaleReadersFreesTheSlotOfAReaderKilledWhileTheStoreWasOpen) {
  TempDir dir;
  auto store = Store::Open(dir.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  auto reader = Helper({"hold-reader", dir.store()});
  ASSERT_NO_FATAL_FAILURE(Expect(reader, "reading"));
  KillAndReap(reader);
  auto cleared = (*store)->ClearStaleReaders();
  ASSERT_TRUE(cleared.ok()) << cleared.error().Message();
  EXPECT_GE(*cleared, 1);
  EXPECT_EQ((*store)->ClearStaleReaders().value(), 0);
  EXPECT_TRUE(testing::PutOne(**store, Database::kConfig, "after", "reader died").ok());
}

TEST(ProcessTest, AFullReaderTableIsFreedOfDeadReadersOnDemand) {
  TempDir dir;
  StoreOptions o;
  o.max_readers = 1;  // the first process to open sizes the table for all
  auto store = Store::Open(dir.store(), o);
  ASSERT_TRUE(store.ok()) << store.error().Message();
  auto reader = Helper({"hold-reader", dir.store()});
  ASSERT_NO_FATAL_FAILURE(Expect(reader, "reading"));
  KillAndReap(reader);
  // The only slot belongs to a dead process: the read clears it and goes on.
  EXPECT_TRUE((*store)->Read([](const ReadTxn&) { return Status::Ok(); }).ok());
}

}  // namespace
}  // namespace dabs::store
