// What dabsctl derives from records: a member's state and lease from the times, hosts of
// endpoints, times as text, VAs from text, and the keys of the JSON contract.
#include "views.h"

#include <gtest/gtest.h>

#include "table.h"

namespace dabs::ctl {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHeartbeat = 250;

store::ServerRecord HeardAgo(int64_t ms, std::string state = "alive") {
  store::ServerRecord r;
  r.id = "s1";
  r.lease_ms = 1000;
  r.last_heard_ms = kNow - ms;
  r.state = std::move(state);
  return r;
}

TEST(ServerState, RecentlyHeardIsAliveTwoHeartbeatsMissedIsSuspectPastTheLeaseIsGone) {
  EXPECT_EQ(ServerState(HeardAgo(0), kNow, kHeartbeat), "alive");
  EXPECT_EQ(ServerState(HeardAgo(500), kNow, kHeartbeat), "alive");  // exactly two: not yet
  EXPECT_EQ(ServerState(HeardAgo(501), kNow, kHeartbeat), "suspect");
  EXPECT_EQ(ServerState(HeardAgo(1000), kNow, kHeartbeat), "suspect");
  EXPECT_EQ(ServerState(HeardAgo(1001), kNow, kHeartbeat), "gone");
}

TEST(ServerState, ARecordSayingAliveIsGoneOnceItsLeaseLapsed) {
  // dabs-lbd may be dead and no longer rewriting it.
  EXPECT_EQ(ServerState(HeardAgo(60'000, "alive"), kNow, kHeartbeat), "gone");
}

TEST(ServerState, TheRecordsOwnWorseStateWins) {
  EXPECT_EQ(ServerState(HeardAgo(0, "suspect"), kNow, kHeartbeat), "suspect");
  EXPECT_EQ(ServerState(HeardAgo(0, "gone"), kNow, kHeartbeat), "gone");
  EXPECT_EQ(ServerState(HeardAgo(0, "nonsense"), kNow, kHeartbeat), "alive");
}

TEST(LeaseMsLeft, IsTheLeaseLessTheSilenceFlooredAtZero) {
  EXPECT_EQ(LeaseMsLeft(HeardAgo(0), kNow), 1000);
  EXPECT_EQ(LeaseMsLeft(HeardAgo(300), kNow), 700);
  EXPECT_EQ(LeaseMsLeft(HeardAgo(5000), kNow), 0);
}

TEST(HostOf, TakesTheAddressOfAnEndpoint) {
  EXPECT_EQ(HostOf("10.0.0.7:7411"), "10.0.0.7");
  EXPECT_EQ(HostOf("[::1]:7411"), "::1");
  EXPECT_EQ(HostOf("10.0.0.7"), "10.0.0.7");
  EXPECT_EQ(HostOf("unix:/run/dabs/lbd.sock"), "unix:/run/dabs/lbd.sock");
  EXPECT_EQ(HostOf(""), "");
}

TEST(IsoTime, IsUtcWithMilliseconds) {
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoTime(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(IsoTime(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ParseVaText, TakesHexWith0xOrDecimalAndNothingElse) {
  EXPECT_EQ(ParseVaText("0x00100001"), 0x00100001u);
  EXPECT_EQ(ParseVaText("0X1f"), 0x1fu);
  EXPECT_EQ(ParseVaText("1048577"), 1048577u);
  EXPECT_FALSE(ParseVaText(""));
  EXPECT_FALSE(ParseVaText("0x"));
  EXPECT_FALSE(ParseVaText("12ab"));
  EXPECT_FALSE(ParseVaText("0x100000000"));  // beyond 32 bits
  EXPECT_FALSE(ParseVaText("-1"));
  EXPECT_FALSE(ParseVaText("mp://f/a/1"));
}

TEST(ServerJson, CarriesTheContractKeys) {
  store::ServerRecord r = HeardAgo(100);
  r.index = 3;
  r.lbd = "10.0.0.3:7411";
  r.load_x100 = 4250;
  r.instances = 2;
  r.sessions = 17;
  const json j = ServerJson(r, kNow, kHeartbeat);
  for (const char* key :
       {"id", "index", "address", "state", "load", "instances", "sessions", "lease_ms_left"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["address"], "10.0.0.3");
  EXPECT_DOUBLE_EQ(j["load"].get<double>(), 42.5);
  EXPECT_EQ(j["lease_ms_left"], 900);
  EXPECT_EQ(j["index"], 3);
}

TEST(DaspJson, ShowsTheVaAsTextAndNumberAndMergesTheLocalRecord) {
  store::DirectoryRecord d;
  d.va = 0x00100002;
  d.uri = "mp://f/calc/2";
  d.app = "calc";
  d.server = "s1";
  d.state = "ready";
  const json remote = DaspJson(d, std::nullopt);
  EXPECT_EQ(remote["va"], "0x00100002");
  EXPECT_EQ(remote["va_number"], 0x00100002);
  EXPECT_FALSE(remote["local"].get<bool>());
  EXPECT_TRUE(remote["restarts"].is_null());
  store::DaspRecord local;
  local.va = d.va;
  local.restarts = 3;
  local.process = "calc-1";
  const json here = DaspJson(d, local);
  EXPECT_EQ(here["restarts"], 3);
  EXPECT_EQ(here["process"], "calc-1");
}

TEST(StatsJson, AMissingFigureIsNull) {
  store::StatsRecord r;
  r.server = "s2";
  r.sampled_ms = kNow - 1500;
  r.figures = {{"cpu_pct", 12.5}, {"load", 30}, {"disk_pct", 4}};
  const json j = StatsJson(r, kNow);
  EXPECT_EQ(j["id"], "s2");
  EXPECT_DOUBLE_EQ(j["cpu_pct"].get<double>(), 12.5);
  EXPECT_TRUE(j["memory_pct"].is_null());
  EXPECT_TRUE(j["latency_p99_ms"].is_null());
  EXPECT_EQ(j["age_ms"], 1500);
  EXPECT_EQ(j["figures"]["disk_pct"], 4);  // figures beyond the contract come along
}

TEST(Table, PadsEveryColumnToItsWidestCell) {
  Table t({"ID", "STATE"});
  t.Add({"s10", "alive"});
  t.Add({"s2", "gone"});
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = ::open_memstream(&text, &size);
  t.Print(out, "none");
  std::fclose(out);
  EXPECT_EQ(std::string(text, size), "ID   STATE\ns10  alive\ns2   gone\n");
  std::free(text);
}

}  // namespace
}  // namespace dabs::ctl
