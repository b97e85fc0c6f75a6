#include <cmath>

#include <gtest/gtest.h>

#include <dabs/snmp/rows.h>

namespace dabs::snmp {
namespace {

ServerRow Server(std::string id) {
  ServerRow s;
  s.id = std::move(id);
  s.index = 2;
  s.address = "127.0.0.1:7512";
  s.state = ServerState::kSuspect;
  s.cpu_pct = 37.6;
  s.memory_pct = 12.2;
  s.net_pct = 0.4;
  s.load = 41.257;
  s.latency_p99_ms = 12.5;
  s.instances = 3;
  s.sessions = 120;
  s.lease_remaining_ms = 800;
  return s;
}

// Every column a row carries must be a served (read-only) column of its table in mib.h.
void ExpectServedColumns(const std::vector<TableRow>& rows, Oid (*column_oid)(uint32_t),
                         uint32_t first, uint32_t last) {
  for (const auto& row : rows) {
    EXPECT_EQ(row.columns.size(), last - first + 1) << "every served column has a value";
    for (const auto& [column, value] : row.columns) {
      EXPECT_GE(column, first);
      EXPECT_LE(column, last);
      bool found = false;
      for (const auto& o : MibObjects()) {
        if (o.oid == column_oid(column)) {
          found = true;
          EXPECT_EQ(o.access, Access::kReadOnly) << o.name;
          const bool text = o.syntax == Syntax::kDisplayString;
          EXPECT_EQ(value.type == Value::Type::kString, text) << o.name;
        }
      }
      EXPECT_TRUE(found) << "column " << column;
    }
  }
}

TEST(Rows, AServerIdBecomesALengthPrefixedIndex) {
  EXPECT_EQ(StringIndex("s1"), (Oid{2, 's', '1'}));
  auto rows = ServerRows({Server("s1")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].index, (Oid{2, 115, 49}));
}

TEST(Rows, ServerFiguresAreRoundedPercentsAndTheLoadIsInHundredths) {
  auto rows = ServerRows({Server("s1")});
  ASSERT_EQ(rows.size(), 1u);
  const auto& c = rows[0].columns;
  using namespace server_column;
  EXPECT_EQ(c.at(kCpu), Value::Gauge(38));
  EXPECT_EQ(c.at(kMemory).number, 12);
  EXPECT_EQ(c.at(kNetwork).number, 0);
  EXPECT_EQ(c.at(kLoad).number, 4126);
  EXPECT_EQ(c.at(kLatencyP99).number, 13);
  EXPECT_EQ(c.at(kState), Value::Integer(2));  // suspect(2)
  EXPECT_EQ(c.at(kAddress), Value::String("127.0.0.1:7512"));
  EXPECT_EQ(c.at(kIndex).number, 2);
  EXPECT_EQ(c.at(kLeaseRemaining).number, 800);
  ExpectServedColumns(rows, &ServerColumnOid, kFirstServed, kLast);
}

TEST(Rows, ServersWithoutAUsableIdAreLeftOut) {
  auto rows = ServerRows({Server(""), Server(std::string(kMaxIndexText + 1, 'x')), Server("ok")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].index, StringIndex("ok"));
}

TEST(Rows, DaspRowsAreIndexedByVaWithTheWireStateNumbers) {
  DaspRow d;
  d.va = 0x00100005;
  d.app = "calc";
  d.server = "s1";
  d.pid = 4242;
  d.state = "draining";
  d.sessions = 7;
  d.latency_p99_ms = 3.2;
  d.lock_timeouts = (uint64_t{1} << 32) + 5;  // Counter32 wraps
  DaspRow unknown = d;
  unknown.va = 0x00100006;
  unknown.state = "exploded";
  auto rows = DaspRows({d, unknown});
  ASSERT_EQ(rows.size(), 2u);
  using namespace dasp_column;
  EXPECT_EQ(rows[0].index, (Oid{0x00100005}));
  EXPECT_EQ(rows[0].columns.at(kState), Value::Integer(4));
  EXPECT_EQ(rows[1].columns.at(kState), Value::Integer(7));
  EXPECT_EQ(rows[0].columns.at(kPid), Value::Integer(4242));
  EXPECT_EQ(rows[0].columns.at(kLockTimeouts), Value::Counter(5));
  EXPECT_EQ(rows[0].columns.at(kLatencyP99).number, 3);
  ExpectServedColumns(rows, &DaspColumnOid, kFirstServed, kLast);
}

TEST(Rows, AppRowsShowLimitsAndTheShareOfSessionsUsed) {
  AppRow a;
  a.name = "calc";
  a.instances = 2;
  a.sessions = 150;
  a.instance_sessions = 100;
  a.farm_sessions = 10000;
  auto rows = AppRows({a});
  ASSERT_EQ(rows.size(), 1u);
  using namespace app_column;
  EXPECT_EQ(rows[0].index, StringIndex("calc"));
  EXPECT_EQ(rows[0].columns.at(kSessionUse).number, 75);
  EXPECT_EQ(rows[0].columns.at(kFarmSessionLimit).number, 10000);
  EXPECT_EQ(rows[0].columns.at(kFarmInstanceLimit).number, 0) << "no limit reads 0";
  ExpectServedColumns(rows, &AppColumnOid, kFirstServed, kLast);
  a.instances = 0;
  EXPECT_EQ(SessionUsePct(a), 0);
}

TEST(Rows, GaugesLatchAtTheirBoundsAndIntegersStayInRange) {
  EXPECT_EQ(Value::Gauge(-5).number, 0);
  EXPECT_EQ(Value::Gauge(std::nan("")).number, 0);
  EXPECT_EQ(Value::Gauge(1e12).number, 0xFFFFFFFF);
  EXPECT_EQ(Value::Integer(int64_t{1} << 40).number, INT32_MAX);
  EXPECT_EQ(Value::Unsigned(uint64_t{1} << 40).number, 0xFFFFFFFF);
}

TEST(Rows, FarmScalarsCoverEveryScalarOfTheMib) {
  FarmScalars f;
  f.name = "headend-a";
  f.this_server = "s2";
  f.servers_alive = 3;
  f.config_version = 7;
  auto values = FarmScalarValues(f);
  size_t scalars = 0;
  for (const auto& o : MibObjects()) {
    if (o.kind != MibKind::kScalar) continue;
    ++scalars;
    EXPECT_TRUE(values.count(o.oid.back())) << o.name;
  }
  EXPECT_EQ(values.size(), scalars);
  EXPECT_EQ(values.at(farm_scalar::kName), Value::String("headend-a"));
  EXPECT_EQ(values.at(farm_scalar::kConfigVersion).number, 7);
}

TEST(Rows, SessionMoveCountersAreCounter32sThatWrap) {
  FarmScalars f;
  f.session_moves_out = 12;
  f.session_moves_in = 7;
  f.session_move_failures = (uint64_t{1} << 32) + 2;
  auto values = FarmScalarValues(f);
  EXPECT_EQ(values.at(farm_scalar::kSessionMovesOut), Value::Counter(12));
  EXPECT_EQ(values.at(farm_scalar::kSessionMovesIn), Value::Counter(7));
  EXPECT_EQ(values.at(farm_scalar::kSessionMoveFailures).number, 2);
  EXPECT_EQ(values.at(farm_scalar::kSessionMoveFailures).type, Value::Type::kCounter);
  for (uint32_t n : {farm_scalar::kSessionMovesOut, farm_scalar::kSessionMovesIn,
                     farm_scalar::kSessionMoveFailures}) {
    bool found = false;
    for (const auto& o : MibObjects()) {
      if (o.oid != FarmScalarOid(n)) continue;
      found = true;
      EXPECT_EQ(o.syntax, Syntax::kCounter32) << o.name;
    }
    EXPECT_TRUE(found) << n;
  }
}

MoveRow Move(uint64_t seq, std::string outcome) {
  MoveRow m;
  m.seq = seq;
  m.client_va = 0x00200401;
  m.app = "calc";
  m.from = "s1";
  m.to = "s3";
  m.why = "lock timeout";
  m.pause_us = 2750;
  m.outcome = std::move(outcome);
  return m;
}

TEST(Rows, MoveRowsAreIndexedBySequenceAndShowFailedMovesToo) {
  auto rows = MoveRows({Move(9, "moved"), Move(12, "the sink refused: full")});
  ASSERT_EQ(rows.size(), 2u);
  using namespace move_column;
  EXPECT_EQ(rows[0].index, (Oid{9}));
  EXPECT_EQ(rows[1].index, (Oid{12}));
  EXPECT_EQ(rows[0].columns.at(kClientVa), Value::Unsigned(0x00200401));
  EXPECT_EQ(rows[0].columns.at(kApp), Value::String("calc"));
  EXPECT_EQ(rows[0].columns.at(kFrom), Value::String("s1"));
  EXPECT_EQ(rows[0].columns.at(kTo), Value::String("s3"));
  EXPECT_EQ(rows[0].columns.at(kWhy), Value::String("lock timeout"));
  EXPECT_EQ(rows[0].columns.at(kPause).number, 2750);
  EXPECT_EQ(rows[0].columns.at(kOutcome), Value::String("moved"));
  EXPECT_EQ(rows[1].columns.at(kOutcome), Value::String("the sink refused: full"));
  ExpectServedColumns(rows, &MoveColumnOid, kFirstServed, kLast);
  EXPECT_EQ(MoveRows({Move((uint64_t{1} << 32) + 3, "moved")})[0].index, (Oid{3}));
}

TEST(Rows, ASessionMovedCarriesTheMovesObjectsInTheMibsOrderForItsRow) {
  Notification n;
  n.kind = NotificationKind::kSessionMoved;
  n.move = Move(9, "moved");
  auto binds = NotificationVarBinds(n);
  ASSERT_EQ(binds.size(), 7u);
  EXPECT_EQ(binds[0].oid, kSnmpTrapOid);
  EXPECT_EQ(binds[0].value, Value::ObjectId(NotificationOid(notification::kSessionMoved)));
  const MibObject* def = FindMibObject("dabsSessionMoved");
  ASSERT_NE(def, nullptr);
  ASSERT_EQ(def->objects.size(), binds.size() - 1);
  for (size_t i = 0; i < def->objects.size(); ++i) {
    Oid instance = FindMibObject(def->objects[i])->oid;
    instance.push_back(9);
    EXPECT_EQ(binds[i + 1].oid, instance) << def->objects[i];
  }
  EXPECT_EQ(binds[1].value, Value::Unsigned(0x00200401));
  EXPECT_EQ(binds[2].value, Value::String("calc"));
  EXPECT_EQ(binds[3].value, Value::String("s1"));
  EXPECT_EQ(binds[4].value, Value::String("s3"));
  EXPECT_EQ(binds[5].value, Value::String("lock timeout"));
  EXPECT_EQ(binds[6].value.number, 2750);
}

TEST(Rows, ADaspStateChangeCarriesTheTrapOidThenItsObjectsForThatInstance) {
  Notification n;
  n.kind = NotificationKind::kDaspStateChange;
  n.dasp.va = 0x00100001;
  n.dasp.app = "calc";
  n.dasp.server = "s1";
  n.dasp.state = "stopped";
  auto binds = NotificationVarBinds(n);
  ASSERT_EQ(binds.size(), 4u);
  EXPECT_EQ(binds[0].oid, kSnmpTrapOid);
  EXPECT_EQ(binds[0].value, Value::ObjectId(NotificationOid(notification::kDaspStateChange)));
  Oid app = DaspColumnOid(dasp_column::kApp);
  app.push_back(0x00100001);
  EXPECT_EQ(binds[1].oid, app);
  EXPECT_EQ(binds[1].value, Value::String("calc"));
  EXPECT_EQ(binds[3].value, Value::Integer(5));
  // The varbinds are the notification's OBJECTS, in the MIB's order.
  const MibObject* def = FindMibObject("dabsDaspStateChange");
  ASSERT_NE(def, nullptr);
  ASSERT_EQ(def->objects.size(), binds.size() - 1);
  for (size_t i = 0; i < def->objects.size(); ++i) {
    const Oid column = FindMibObject(def->objects[i])->oid;
    EXPECT_TRUE(std::equal(column.begin(), column.end(), binds[i + 1].oid.begin()))
        << def->objects[i];
  }
}

TEST(Rows, ServerNotificationsNameTheServerInTheirIndex) {
  for (auto kind : {NotificationKind::kServerJoined, NotificationKind::kServerLeft,
                    NotificationKind::kLatencyHigh, NotificationKind::kLatencyLow}) {
    Notification n;
    n.kind = kind;
    n.server = Server("s3");
    auto binds = NotificationVarBinds(n);
    ASSERT_GE(binds.size(), 2u);
    const Oid index = StringIndex("s3");
    for (size_t i = 1; i < binds.size(); ++i) {
      EXPECT_TRUE(std::equal(index.rbegin(), index.rend(), binds[i].oid.rbegin()));
    }
  }
}

}  // namespace
}  // namespace dabs::snmp
