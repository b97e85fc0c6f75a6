#include <dabs/snmp/mib.h>

namespace dabs::snmp {

namespace {

Oid Append(Oid base, std::initializer_list<uint32_t> tail) {
  base.insert(base.end(), tail.begin(), tail.end());
  return base;
}

std::vector<MibObject> Build() {
  using S = Syntax;
  std::vector<MibObject> out;
  auto note = [&](std::string_view name, uint32_t n, std::vector<std::string_view> objects) {
    out.push_back({name, NotificationOid(n), MibKind::kNotification, S::kNone, Access::kNone,
                   std::move(objects)});
  };
  note("dabsDaspStateChange", notification::kDaspStateChange,
       {"dabsDaspApp", "dabsDaspServer", "dabsDaspState"});
  note("dabsLatencyHigh", notification::kLatencyHigh, {"dabsServerLatencyP99"});
  note("dabsLatencyLow", notification::kLatencyLow, {"dabsServerLatencyP99"});
  note("dabsServerJoined", notification::kServerJoined, {"dabsServerAddress", "dabsServerState"});
  note("dabsServerLeft", notification::kServerLeft, {"dabsServerAddress", "dabsServerState"});
  note("dabsSessionMoved", notification::kSessionMoved,
       {"dabsMoveClientVa", "dabsMoveApp", "dabsMoveFrom", "dabsMoveTo", "dabsMoveWhy",
        "dabsMovePause"});

  auto scalar = [&](std::string_view name, uint32_t n, S syntax) {
    out.push_back({name, FarmScalarOid(n), MibKind::kScalar, syntax, Access::kReadOnly, {}});
  };
  scalar("dabsFarmName", farm_scalar::kName, S::kDisplayString);
  scalar("dabsFarmThisServer", farm_scalar::kThisServer, S::kDisplayString);
  scalar("dabsFarmServersAlive", farm_scalar::kServersAlive, S::kGauge32);
  scalar("dabsFarmSessions", farm_scalar::kSessions, S::kGauge32);
  scalar("dabsFarmInstances", farm_scalar::kInstances, S::kGauge32);
  scalar("dabsFarmConfigVersion", farm_scalar::kConfigVersion, S::kUnsigned32);
  scalar("dabsFarmRejectedDatagrams", farm_scalar::kRejectedDatagrams, S::kCounter32);
  scalar("dabsFarmKey", farm_scalar::kFarmKey, S::kDisplayString);
  scalar("dabsFarmSessionMovesOut", farm_scalar::kSessionMovesOut, S::kCounter32);
  scalar("dabsFarmSessionMovesIn", farm_scalar::kSessionMovesIn, S::kCounter32);
  scalar("dabsFarmSessionMoveFailures", farm_scalar::kSessionMoveFailures, S::kCounter32);

  auto table = [&](std::string_view table_name, std::string_view entry_name, uint32_t arc,
                   Oid (*column_oid)(uint32_t),
                   std::vector<std::pair<std::string_view, S>> columns) {
    const Oid table_oid = EnterpriseOid({kObjectsArc, arc});
    out.push_back({table_name, table_oid, MibKind::kTable, S::kNone, Access::kNotAccessible, {}});
    out.push_back({entry_name,
                   Append(table_oid, {1}),
                   MibKind::kEntry,
                   S::kNone,
                   Access::kNotAccessible,
                   {}});
    uint32_t column = 1;
    for (const auto& [name, syntax] : columns) {
      // Column 1 of every table is its index: not-accessible (RFC 2578 7.7, auxiliary).
      out.push_back({name,
                     column_oid(column),
                     MibKind::kColumn,
                     syntax,
                     column == 1 ? Access::kNotAccessible : Access::kReadOnly,
                     {}});
      ++column;
    }
  };
  table("dabsServerTable", "dabsServerEntry", kServerTableArc, &ServerColumnOid,
        {{"dabsServerId", S::kDisplayString},
         {"dabsServerIndex", S::kUnsigned32},
         {"dabsServerAddress", S::kDisplayString},
         {"dabsServerState", S::kEnumeration},
         {"dabsServerCpu", S::kGauge32},
         {"dabsServerMemory", S::kGauge32},
         {"dabsServerNetwork", S::kGauge32},
         {"dabsServerLoad", S::kGauge32},
         {"dabsServerLatencyP99", S::kGauge32},
         {"dabsServerInstances", S::kGauge32},
         {"dabsServerSessions", S::kGauge32},
         {"dabsServerLeaseRemaining", S::kGauge32}});
  table("dabsDaspTable", "dabsDaspEntry", kDaspTableArc, &DaspColumnOid,
        {{"dabsDaspVa", S::kUnsigned32},
         {"dabsDaspUri", S::kDisplayString},
         {"dabsDaspApp", S::kDisplayString},
         {"dabsDaspServer", S::kDisplayString},
         {"dabsDaspPid", S::kInteger32},
         {"dabsDaspState", S::kEnumeration},
         {"dabsDaspSessions", S::kGauge32},
         {"dabsDaspLatencyP99", S::kGauge32},
         {"dabsDaspLockTimeouts", S::kCounter32}});
  table("dabsAppTable", "dabsAppEntry", kAppTableArc, &AppColumnOid,
        {{"dabsAppName", S::kDisplayString},
         {"dabsAppInstances", S::kGauge32},
         {"dabsAppSessions", S::kGauge32},
         {"dabsAppFarmInstanceLimit", S::kGauge32},
         {"dabsAppFarmSessionLimit", S::kGauge32},
         {"dabsAppFarmMemoryLimit", S::kGauge32},
         {"dabsAppInstanceSessionLimit", S::kGauge32},
         {"dabsAppInstanceMemoryLimit", S::kGauge32},
         {"dabsAppSessionUse", S::kGauge32}});
  table("dabsMoveTable", "dabsMoveEntry", kMoveTableArc, &MoveColumnOid,
        {{"dabsMoveSeq", S::kUnsigned32},
         {"dabsMoveClientVa", S::kUnsigned32},
         {"dabsMoveApp", S::kDisplayString},
         {"dabsMoveFrom", S::kDisplayString},
         {"dabsMoveTo", S::kDisplayString},
         {"dabsMoveWhy", S::kDisplayString},
         {"dabsMovePause", S::kGauge32},
         {"dabsMoveOutcome", S::kDisplayString}});
  return out;
}

}  // namespace

std::string_view SyntaxName(Syntax s) {
  switch (s) {
    case Syntax::kNone:
      return "";
    case Syntax::kDisplayString:
      return "DisplayString";
    case Syntax::kInteger32:
      return "Integer32";
    case Syntax::kUnsigned32:
      return "Unsigned32";
    case Syntax::kGauge32:
      return "Gauge32";
    case Syntax::kCounter32:
      return "Counter32";
    case Syntax::kEnumeration:
      return "INTEGER";
  }
  return "";
}

const std::vector<MibObject>& MibObjects() {
  static const std::vector<MibObject> objects = Build();
  return objects;
}

const MibObject* FindMibObject(std::string_view name) {
  for (const auto& o : MibObjects()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Oid EnterpriseOid(std::initializer_list<uint32_t> tail) {
  return Append(Oid(kEnterpriseArc.begin(), kEnterpriseArc.end()), tail);
}

Oid FarmScalarOid(uint32_t scalar) {
  return EnterpriseOid({kObjectsArc, kFarmArc, scalar});
}
Oid ServerColumnOid(uint32_t column) {
  return EnterpriseOid({kObjectsArc, kServerTableArc, 1, column});
}
Oid DaspColumnOid(uint32_t column) {
  return EnterpriseOid({kObjectsArc, kDaspTableArc, 1, column});
}
Oid AppColumnOid(uint32_t column) {
  return EnterpriseOid({kObjectsArc, kAppTableArc, 1, column});
}
Oid MoveColumnOid(uint32_t column) {
  return EnterpriseOid({kObjectsArc, kMoveTableArc, 1, column});
}
Oid NotificationOid(uint32_t n) {
  return EnterpriseOid({kNotificationsArc, n});
}

std::string OidToString(const Oid& oid) {
  std::string out;
  for (uint32_t sub : oid) {
    if (!out.empty()) out.push_back('.');
    out += std::to_string(sub);
  }
  return out;
}

}  // namespace dabs::snmp
