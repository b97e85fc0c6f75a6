#include <gtest/gtest.h>

#include <dabs/store/records.h>

namespace dabs::store {
namespace {

TEST(Records, EveryRecordRoundTripsThroughJson) {
  ServerRecord s{"s2",
                 2,
                 "10.0.0.2:7411",
                 "10.0.0.2:7511",
                 "",
                 99,
                 1000,
                 1700,
                 1600,
                 "suspect",
                 4200,
                 false,
                 3,
                 true,
                 7,
                 12,
                 "source",
                 5,
                 "1a2b3c4d",
                 {"1a2b3c4d", "99aabbcc"}};
  auto s2 = ServerRecordFromJson(ToJson(s));
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(ToJson(*s2), ToJson(s));
  EXPECT_EQ(s2->key_ids, (std::vector<std::string>{"1a2b3c4d", "99aabbcc"}));
  EXPECT_EQ(s2->keyring_version, 5u);
  EXPECT_EQ(s2->balance, "source");
  DaspRecord d{0x00200005, "mp://f/echo/5",  "echo",        "s2", 4242, "ready",
               12,         "10.0.0.2:40000", "/run/d.sock", 1700, 2,    "echo-1"};
  EXPECT_EQ(ToJson(DaspRecordFromJson(ToJson(d)).value()), ToJson(d));
  StatsRecord st{"s1", 1, 1700, {{"cpu_pct", 12.5}, {"load", 40}}};
  EXPECT_EQ(StatsRecordFromJson(ToJson(st))->figures, st.figures);
  DirectoryRecord dir{0x00200005, "mp://f/echo/5", 1,       "s2", "10.0.0.2:40000", "/run/d.sock",
                      4242,       "echo",          "ready", 3};
  EXPECT_EQ(ToJson(DirectoryRecordFromJson(ToJson(dir)).value()), ToJson(dir));
  MoveRecord mo{9, 1700, 0x00100400, "counter", "s1", "s2", "backlog", 8000, 1200,
                 9,  3,    1,          4200,      8,    "moved"};
  EXPECT_EQ(ToJson(MoveRecordFromJson(ToJson(mo)).value()), ToJson(mo));
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

// An OPEN_SESSION's APP is whatever bytes the client sent, and every dabs-lbd records the
// decision on it: nlohmann's dump() threw type_error 316 on bytes that are not UTF-8, which
// nothing caught (found by tests/fuzz/fuzz_store_records).
TEST(Records, TextsThatAreNotUtf8AreWrittenWithReplacementCharactersNotThrown) {
  const std::string bad = "calc\xff\xfe";
  DecisionRecord d{"10.1.1.1:5000/7/\x80", bad, 1, 2, true, "", "unknown application", {}};
  std::string text;
  ASSERT_NO_THROW(text = ToJson(d));
  auto back = DecisionRecordFromJson(text);
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(back->app, "calc\uFFFD\uFFFD");
  EXPECT_EQ(back->request_key, "10.1.1.1:5000/7/\uFFFD");
  ServerRecord s;
  s.id = bad;
  ASSERT_NO_THROW(text = ToJson(s));
  EXPECT_EQ(ServerRecordFromJson(text)->id, "calc\uFFFD\uFFFD");
}

// get<uint16_t>() of 1e300 was undefined behaviour (a float cast out of range) and of 70000
// wrapped to 4464: a record another process damaged must read as damaged, not as another
// value (found by tests/fuzz/fuzz_store_records).
TEST(Records, NumbersBeyondTheirFieldsRangeAreRefusedAsDamaged) {
  EXPECT_FALSE(ServerRecordFromJson(R"({"index": 1e300})").ok());
  EXPECT_FALSE(ServerRecordFromJson(R"({"index": 70000})").ok());
  EXPECT_FALSE(ServerRecordFromJson(R"({"index": 2.5})").ok());
  EXPECT_FALSE(DaspRecordFromJson(R"({"va": -1})").ok());
  EXPECT_FALSE(SessionRecordFromJson(R"({"opened_ms": 9223372036854775808})").ok());
  EXPECT_EQ(ServerRecordFromJson(R"({"index": 65535})")->index, 65535);
  EXPECT_EQ(ServerRecordFromJson(R"({"index": 7.0})")->index, 7);
  EXPECT_EQ(DaspRecordFromJson(R"({"pid": -5})")->pid, -5);
  EXPECT_EQ(ServerRecordFromJson(R"({"incarnation": 18446744073709551615})")->incarnation,
            18446744073709551615u);
}

TEST(Records, KeysSortInTheOrderTheyMean) {
  EXPECT_EQ(VaKey(0x00100005), "0x00100005");
  EXPECT_LT(HistoryKey("s1", 999), HistoryKey("s1", 1000));
  EXPECT_LT(HistoryKey("s1", 255), HistoryKey("s1", 256));
}

}  // namespace
}  // namespace dabs::store
