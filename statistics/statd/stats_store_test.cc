#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include <dabs/statd/stats_store.h>
#include <dabs/store/store.h>

namespace dabs::statd {
namespace {

namespace fs = std::filesystem;

class StatsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::temp_directory_path() / "statd-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    auto s = store::Store::Open(dir_ / "store");
    ASSERT_TRUE(s.ok()) << s.error().Message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  Status Write(const std::vector<store::StatsRecord>& records, size_t keep) {
    return store_->Write([&](store::WriteTxn& txn) { return WriteStats(txn, records, keep); });
  }
  std::vector<store::StatsRecord> History(const std::string& server) {
    std::vector<store::StatsRecord> out;
    EXPECT_TRUE(store_
                    ->Read([&](const store::ReadTxn& txn) -> Status {
                      auto h = ReadHistory(txn, server);
                      if (!h) return h.error();
                      out = *h;
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }
  std::map<std::string, store::StatsRecord> Current() {
    std::map<std::string, store::StatsRecord> out;
    EXPECT_TRUE(store_
                    ->Read([&](const store::ReadTxn& txn) -> Status {
                      auto c = ReadCurrent(txn);
                      if (!c) return c.error();
                      out = *c;
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

store::StatsRecord Record(std::string server, int64_t ms, double cpu = 1) {
  store::StatsRecord r;
  r.server = std::move(server);
  r.sampled_ms = ms;
  r.figures["cpu_pct"] = cpu;
  return r;
}

TEST_F(StatsStore, TheRingKeepsTheNewestSamplesInTimeOrder) {
  // Written in the order of a busy second: out of order, two at once.
  for (int64_t ms : {1000, 3000, 2000, 5000, 4000, 7000, 6000}) {
    ASSERT_TRUE(Write({Record("s1", ms)}, 4).ok());
  }
  auto h = History("s1");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h.front().sampled_ms, 4000);
  EXPECT_EQ(h.back().sampled_ms, 7000);
  for (size_t i = 1; i < h.size(); ++i)
    EXPECT_LT(h[i - 1].sampled_ms, h[i].sampled_ms);
}

TEST_F(StatsStore, TrimmingOneServerLeavesServersWithSimilarIdsAlone) {
  ASSERT_TRUE(Write({Record("s1", 1), Record("s10", 1), Record("s10", 2)}, 5).ok());
  for (int64_t ms = 2; ms < 20; ++ms)
    ASSERT_TRUE(Write({Record("s1", ms)}, 3).ok());
  EXPECT_EQ(History("s1").size(), 3u);
  EXPECT_EQ(History("s10").size(), 2u) << "history/s1/ is not a prefix of history/s10/";
}

TEST_F(StatsStore, SeveralRecordsOfOneServerInOneRoundAreAllKept) {
  ASSERT_TRUE(Write({Record("s2", 10), Record("s2", 11), Record("s2", 12)}, 600).ok());
  EXPECT_EQ(History("s2").size(), 3u);
  EXPECT_EQ(Current().at("s2").sampled_ms, 12);
}

TEST_F(StatsStore, TheCurrentRecordIsTheNewestEvenWhenAnOlderOneArrivesLate) {
  ASSERT_TRUE(Write({Record("s1", 2000, 50)}, 10).ok());
  ASSERT_TRUE(Write({Record("s1", 1000, 10)}, 10).ok());
  auto c = Current();
  ASSERT_EQ(c.count("s1"), 1u);
  EXPECT_EQ(c.at("s1").sampled_ms, 2000);
  EXPECT_EQ(c.at("s1").figures.at("cpu_pct"), 50);
  EXPECT_EQ(History("s1").size(), 2u) << "the late sample still enters the ring";
}

TEST_F(StatsStore, AFailedRoundLeavesNothingBehind) {
  ASSERT_TRUE(Write({Record("s1", 1)}, 10).ok());
  // A record whose key the store refuses fails the whole transaction.
  Status s = Write({Record("s1", 2), Record(std::string(600, 'x'), 3)}, 10);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(History("s1").size(), 1u);
  EXPECT_EQ(Current().at("s1").sampled_ms, 1);
}

}  // namespace
}  // namespace dabs::statd
