#include <gtest/gtest.h>

#include <dabs/store/records.h>

namespace dabs::store {
namespace {

TEST(Records, EveryRecordRoundTripsThroughJson) {
  ServerRecord s{
      "s2", 2,   "10.0.0.2:7411", "10.0.0.2:7511", "", 99, 1000, 1700, 1600, "suspect", 4200, false,
      3,    true};
  auto s2 = ServerRecordFromJson(ToJson(s));
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(ToJson(*s2), ToJson(s));
  DaspRecord d{0x00200005, "mp://f/echo/5",  "echo",        "s2", 4242, "ready",
               12,         "10.0.0.2:40000", "/run/d.sock", 1700, 2,    "echo-1"};
  EXPECT_EQ(ToJson(DaspRecordFromJson(ToJson(d)).value()), ToJson(d));
  StatsRecord st{"s1", 1, 1700, {{"cpu_pct", 12.5}, {"load", 40}}};
  EXPECT_EQ(StatsRecordFromJson(ToJson(st))->figures, st.figures);
  DirectoryRecord dir{0x00200005, "mp://f/echo/5", 1,       "s2", "10.0.0.2:40000", "/run/d.sock",
                      4242,       "echo",          "ready", 3};
  EXPECT_EQ(ToJson(DirectoryRecordFromJson(ToJson(dir)).value()), ToJson(dir));
  SessionRecord se{"echo", "s2", 0x00200005, 0x00200400, "10.1.1.1:5000", 1700};
  EXPECT_EQ(ToJson(SessionRecordFromJson(ToJson(se)).value()), ToJson(se));
  DecisionRecord de{"127.0.0.1:5000/7/stb-1",
                    "echo",
                    1700,
                    850,
                    true,
                    "s2",
                    "placed",
                    {{"s1", 1, 7, 1000, false, ""},
                     {"s2", 2, 10, 1001, true, ""},
                     {"s3", 3, 0, 1002, false, "below minimums"}}};
  auto de2 = DecisionRecordFromJson(ToJson(de));
  ASSERT_TRUE(de2.ok());
  EXPECT_EQ(de2->ballots.size(), 3u);
  EXPECT_EQ(ToJson(*de2), ToJson(de));
}

TEST(Records, MissingFieldsTakeDefaultsAndGarbageIsRefused) {
  auto d = DaspRecordFromJson(R"({"va": 5, "app": "echo"})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, "starting");
  EXPECT_FALSE(DaspRecordFromJson("not json").ok());
  EXPECT_FALSE(DaspRecordFromJson(R"({"va": "five"})").ok());
}

TEST(Records, KeysSortInTheOrderTheyMean) {
  EXPECT_EQ(VaKey(0x00100005), "0x00100005");
  EXPECT_LT(HistoryKey("s1", 999), HistoryKey("s1", 1000));
  EXPECT_LT(HistoryKey("s1", 255), HistoryKey("s1", 256));
}

}  // namespace
}  // namespace dabs::store
