// dabs-statd's AgentX subagent against a real snmpd and snmptrapd (Debian packages snmpd,
// snmp, snmptrapd), each started by the test with its own configuration on loopback ports
// (shared/NOTES.md): a farm of three dabs-statd, the first reaching snmpd through the farm
// file's snmp.agentx_socket; snmpwalk shows every server with plausible figures, the farm
// scalars and the applications; a DASP instance's state change, and a server's departure,
// reach snmptrapd as notifications, as do latency crossings of a (fake) instance and a
// session move recorded by a (stand-in) dabs-lbd.
#include <algorithm>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include <dabs/config/farm.h>
#include <dabs/config/load.h>
#include <dabs/mp/wire.h>
#include <dabs/snmp/mib.h>
#include <dabs/snmp/rows.h>

#include "../../tests/support/netsnmp.h"
#include "../statd/testing/statd_fixture.h"

namespace dabs::snmp {
namespace {

using namespace dabs::statd::testing;

using dabs::testing::NetSnmp;
using dabs::testing::SnmpNumber;
using dabs::testing::TrapLog;

std::map<std::string, std::string> Walk(uint16_t port, const Oid& oid) {
  return dabs::testing::SnmpWalk(port, OidToString(oid));
}
long long Number(const std::string& value) {
  return SnmpNumber(value);
}

std::string Instance(const Oid& column, const Oid& index) {
  Oid o = column;
  o.insert(o.end(), index.begin(), index.end());
  return OidToString(o);
}

TEST(SnmpAgent, SnmpwalkShowsTheFarmAndSnmptrapdHearsItsNotifications) {
  if (!dabs::testing::HaveNetSnmpTools()) return;
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  NetSnmp net;
  ASSERT_TRUE(net.Start(dir.path()));
  const uint16_t snmp_port = net.snmp_port;
  const uint16_t agentx_port = net.agentx_port;
  auto& trapd = net.trapd;

  FarmFile f;
  f.agentx_socket = "tcp:127.0.0.1:" + std::to_string(agentx_port);
  const auto farm = WriteFarmFile(dir.path(), f);
  // s1's subagent takes the farm file's socket; on this one machine the others run none
  // (each server of a real farm has its own snmpd).
  std::vector<std::unique_ptr<StatdProcess>> statd;
  for (const std::string id : {"s1", "s2", "s3"}) {
    std::vector<std::string> extra;
    if (id != "s1") extra = {"--agentx-socket", "none"};
    statd.push_back(std::make_unique<StatdProcess>(farm, id, dir.path() / id, extra));
    ASSERT_TRUE(statd.back()->Start()) << id;
  }

  // The server table: every server, with figures a real machine has.
  const Oid table = EnterpriseOid({kObjectsArc, kServerTableArc});
  std::map<std::string, std::string> rows;
  const bool all_three = WaitUntil(
      [&] {
        rows = Walk(snmp_port, table);
        for (const std::string id : {"s1", "s2", "s3"}) {
          if (!rows.count(Instance(ServerColumnOid(server_column::kCpu), StringIndex(id))))
            return false;
        }
        return true;
      },
      60s);
  ASSERT_TRUE(all_three) << "snmpwalk of the server table gave " << rows.size() << " values";
  for (const std::string id : {"s1", "s2", "s3"}) {
    SCOPED_TRACE(id);
    const Oid index = StringIndex(id);
    const long long cpu = Number(rows[Instance(ServerColumnOid(server_column::kCpu), index)]);
    const long long memory = Number(rows[Instance(ServerColumnOid(server_column::kMemory), index)]);
    EXPECT_GE(cpu, 0);
    EXPECT_LE(cpu, 100);
    EXPECT_GT(memory, 0);
    EXPECT_LE(memory, 100);
    EXPECT_EQ(rows[Instance(ServerColumnOid(server_column::kState), index)], "INTEGER: 1");
    EXPECT_EQ(rows[Instance(ServerColumnOid(server_column::kAddress), index)].rfind(
                  "STRING: \"127.0.0.1:", 0),
              0u);
    EXPECT_GE(Number(rows[Instance(ServerColumnOid(server_column::kLoad), index)]), 0);
  }

  auto scalars = Walk(snmp_port, EnterpriseOid({kObjectsArc, kFarmArc}));
  EXPECT_EQ(scalars[OidToString(FarmScalarOid(farm_scalar::kName)) + ".0"],
            "STRING: \"test-farm\"");
  EXPECT_EQ(scalars[OidToString(FarmScalarOid(farm_scalar::kThisServer)) + ".0"], "STRING: \"s1\"");
  EXPECT_EQ(Number(scalars[OidToString(FarmScalarOid(farm_scalar::kServersAlive)) + ".0"]), 3);
  // An outsider's SERVER_STATS to the statistics group: dropped unsealed, and counted where
  // an operator's monitoring looks (dabsFarmRejectedDatagrams); the key s1 seals with, named.
  {
    auto loaded = config::LoadFarmFile(farm);
    ASSERT_TRUE(loaded.ok());
    const auto group = config::Build(loaded->records).value().stats_group;
    mp::IoThreads outsider_io(1);
    mp::NodeConfig oc;
    oc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    oc.multicast_interface = "127.0.0.1";
    auto outsider = mp::Node::Create(outsider_io.io(), oc, {}).value();
    mp::SendOptions once;
    once.expect_reply = false;
    mp::ServerStats forged{"s2", 2, {}};
    forged.figures.values[mp::server_stat::kCpuPctX100] = 9999;
    for (int i = 0; i < 5; ++i)
      outsider->Send(group, 0, mp::wire::kServerStats, mp::kVaStatsGroup, forged.Encode(), once,
                     [](mp::SendResult&&) {});
    const std::string rejected = OidToString(FarmScalarOid(farm_scalar::kRejectedDatagrams)) + ".0";
    EXPECT_TRUE(WaitUntil(
        [&] {
          scalars = Walk(snmp_port, EnterpriseOid({kObjectsArc, kFarmArc}));
          return scalars.count(rejected) && Number(scalars[rejected]) >= 5;
        },
        20s))
        << "dabsFarmRejectedDatagrams: " << scalars[rejected];
    EXPECT_EQ(scalars[OidToString(FarmScalarOid(farm_scalar::kFarmKey)) + ".0"],
              "STRING: \"" + FarmKeyOf(farm).IdText() + "\"");
  }
  auto apps = Walk(snmp_port, EnterpriseOid({kObjectsArc, kAppTableArc}));
  EXPECT_EQ(
      Number(apps[Instance(AppColumnOid(app_column::kFarmSessionLimit), StringIndex("calc"))]),
      1000);
  EXPECT_EQ(
      Number(apps[Instance(AppColumnOid(app_column::kInstanceSessionLimit), StringIndex("calc"))]),
      100);

  // A DASP instance appears in s1's dasps database, as dabs-lbd's supervisor would write it;
  // a fake instance answers its GET_STATISTICS: 12 sessions, clients waiting 600 ms.
  mp::IoThreads io(1);
  mp::Statistics slow;
  slow.values = {{mp::stat_tag::kSessions, 12},
                 {mp::stat_tag::kLatencyP99Ms, 600},
                 {mp::stat_tag::kLockTimeouts, 3}};
  LocalPeer instance(io.io(), dir.path() / "s1" / "dasp.sock", slow);
  StoreView s1(dir.path() / "s1");
  ASSERT_TRUE(s1.ok());
  store::DaspRecord d;
  d.va = 0x00100001;
  d.uri = "mp://test-farm/calc/1";
  d.app = "calc";
  d.server = "s1";
  d.pid = 4242;
  d.state = "ready";
  d.control = (dir.path() / "s1" / "dasp.sock").string();
  auto put = [&] {
    return s1.store().Write([&](store::WriteTxn& txn) {
      return txn.Put(store::Database::kDasps, store::VaKey(d.va), store::ToJson(d));
    });
  };
  ASSERT_TRUE(put().ok());
  const Oid va = {d.va};
  const std::string state_oid = Instance(DaspColumnOid(dasp_column::kState), va);
  std::map<std::string, std::string> dasps;
  ASSERT_TRUE(WaitUntil(
      [&] {
        dasps = Walk(snmp_port, EnterpriseOid({kObjectsArc, kDaspTableArc}));
        return dasps[state_oid] == "INTEGER: 2" &&
               Number(dasps[Instance(DaspColumnOid(dasp_column::kLatencyP99), va)]) == 600;
      },
      30s))
      << "the DASP table shows the instance ready with its figures";
  EXPECT_EQ(Number(dasps[Instance(DaspColumnOid(dasp_column::kSessions), va)]), 12);
  EXPECT_EQ(Number(dasps[Instance(DaspColumnOid(dasp_column::kLockTimeouts), va)]), 3);
  EXPECT_EQ(dasps[Instance(DaspColumnOid(dasp_column::kApp), va)], "STRING: \"calc\"");
  EXPECT_EQ(Number(dasps[Instance(DaspColumnOid(dasp_column::kPid), va)]), 4242);

  // Its latency is over high water (250 ms): dabsLatencyHigh for s1.
  const std::string s1_latency =
      Instance(ServerColumnOid(server_column::kLatencyP99), StringIndex("s1"));
  TrapLog traps(*trapd);
  EXPECT_TRUE(traps.Await(
      {OidToString(NotificationOid(notification::kLatencyHigh)), s1_latency + " = Gauge32: 600"},
      30s))
      << "snmptrapd printed:\n"
      << traps.Text();

  // It stops: snmptrapd logs dabsDaspStateChange with the state stopped(5), and with no live
  // instance left the latency falls back under low water: dabsLatencyLow.
  d.state = "stopped";
  ASSERT_TRUE(put().ok());
  EXPECT_TRUE(traps.Await(
      {OidToString(NotificationOid(notification::kDaspStateChange)), state_oid + " = INTEGER: 5"},
      30s))
      << "snmptrapd printed:\n"
      << traps.Text();
  EXPECT_TRUE(traps.Await(
      {OidToString(NotificationOid(notification::kLatencyLow)), s1_latency + " = Gauge32: 0"}, 30s))
      << "snmptrapd printed:\n"
      << traps.Text();

  // s1's dabs-lbd moves a session to s2 after a failed attempt, as runtime/farm/lbd/moves.cc
  // records it: the counters show both, the move table lists both, and one dabsSessionMoved,
  // for the move that succeeded, reaches snmptrapd.
  {
    store::MoveRecord failed;
    failed.seq = 1;
    failed.client_va = 0x00100401;
    failed.app = "calc";
    failed.from = "s1";
    failed.to = "s2";
    failed.why = "backlog";
    failed.outcome = "the sink refused: full";
    store::MoveRecord moved = failed;
    moved.seq = 2;
    moved.pause_us = 1800;
    moved.outcome = "moved";
    const std::string record =
        R"({"moves_out": 1, "moves_in": 4, "move_failures": 1, "recent": [)" +
        store::ToJson(failed) + "," + store::ToJson(moved) + "]}";
    ASSERT_TRUE(s1.store()
                    .Write([&](store::WriteTxn& txn) {
                      return txn.Put(store::Database::kStatistics, "moves/dabs-lbd", record);
                    })
                    .ok());
    const Oid seq2 = {2};
    EXPECT_TRUE(
        traps.Await({OidToString(NotificationOid(notification::kSessionMoved)),
                     Instance(MoveColumnOid(move_column::kClientVa), seq2) +
                         " = Gauge32: " + std::to_string(0x00100401),
                     Instance(MoveColumnOid(move_column::kTo), seq2) + " = STRING: \"s2\"",
                     Instance(MoveColumnOid(move_column::kPause), seq2) + " = Gauge32: 1800"},
                    30s))
        << "snmptrapd printed:\n"
        << traps.Text();
    scalars = Walk(snmp_port, EnterpriseOid({kObjectsArc, kFarmArc}));
    auto scalar = [&](uint32_t n) { return Number(scalars[OidToString(FarmScalarOid(n)) + ".0"]); };
    EXPECT_EQ(scalar(farm_scalar::kSessionMovesOut), 1);
    EXPECT_EQ(scalar(farm_scalar::kSessionMovesIn), 4);
    EXPECT_EQ(scalar(farm_scalar::kSessionMoveFailures), 1);
    auto moves = Walk(snmp_port, EnterpriseOid({kObjectsArc, kMoveTableArc}));
    EXPECT_EQ(moves[Instance(MoveColumnOid(move_column::kOutcome), {1})],
              "STRING: \"the sink refused: full\"");
    EXPECT_EQ(moves[Instance(MoveColumnOid(move_column::kOutcome), seq2)], "STRING: \"moved\"");
    // Sent in the same round as the move that succeeded, and before it, had it been sent.
    EXPECT_EQ(traps.Text().find(Instance(MoveColumnOid(move_column::kClientVa), {1})),
              std::string::npos)
        << "a failed move is no dabsSessionMoved";
  }

  // s3 goes away: after its figures age past three leases, s1 reports dabsServerLeft.
  statd[2]->Kill();
  EXPECT_TRUE(traps.Await(
      {OidToString(NotificationOid(notification::kServerLeft)),
       Instance(ServerColumnOid(server_column::kState), StringIndex("s3")) + " = INTEGER: 3"},
      40s))
      << "snmptrapd printed:\n"
      << traps.Text();

  // SIGTERM: the subagent's thread and Net-SNMP shut down cleanly (with no leak under ASan).
  statd[0]->process().Signal(SIGTERM);
  const int status = statd[0]->process().Wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace dabs::snmp
