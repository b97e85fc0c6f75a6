#include <algorithm>
#include <cmath>
#include <limits>

#include <dabs/snmp/rows.h>

namespace dabs::snmp {

namespace {

constexpr double kMax32 = 4294967295.0;

// The instance sub-identifiers of a column object: the column's OID plus the row's index.
Oid Instance(Oid column, const Oid& index) {
  column.insert(column.end(), index.begin(), index.end());
  return column;
}

// A move's row: the low 32 bits of its sequence number, unique among the few moves listed.
Oid MoveIndex(const MoveRow& m) {
  return {static_cast<uint32_t>(m.seq & 0xFFFFFFFFu)};
}

}  // namespace

Value Value::Integer(int64_t v) {
  Value out;
  out.type = Type::kInteger;
  out.number = std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                   std::numeric_limits<int32_t>::max());
  return out;
}

Value Value::Gauge(double v) {
  Value out;
  out.type = Type::kGauge;
  out.number = !(v > 0) ? 0 : static_cast<int64_t>(std::llround(std::min(v, kMax32)));
  return out;
}

Value Value::Unsigned(uint64_t v) {
  Value out;
  out.type = Type::kUnsigned;
  out.number = static_cast<int64_t>(std::min<uint64_t>(v, 0xFFFFFFFFu));
  return out;
}

Value Value::Counter(uint64_t v) {
  Value out;
  out.type = Type::kCounter;
  out.number = static_cast<int64_t>(v & 0xFFFFFFFFu);
  return out;
}

Value Value::String(std::string_view v) {
  Value out;
  out.type = Type::kString;
  out.text = std::string(v);
  return out;
}

Value Value::ObjectId(Oid v) {
  Value out;
  out.type = Type::kOid;
  out.oid = std::move(v);
  return out;
}

Oid StringIndex(std::string_view text) {
  Oid out;
  out.reserve(text.size() + 1);
  out.push_back(static_cast<uint32_t>(text.size()));
  for (char c : text)
    out.push_back(static_cast<unsigned char>(c));
  return out;
}

std::map<uint32_t, Value> FarmScalarValues(const FarmScalars& farm) {
  using namespace farm_scalar;
  return {{kName, Value::String(farm.name)},
          {kThisServer, Value::String(farm.this_server)},
          {kServersAlive, Value::Gauge(farm.servers_alive)},
          {kSessions, Value::Gauge(static_cast<double>(farm.sessions))},
          {kInstances, Value::Gauge(static_cast<double>(farm.instances))},
          {kConfigVersion, Value::Unsigned(farm.config_version)},
          {kRejectedDatagrams, Value::Counter(farm.rejected_datagrams)},
          {kFarmKey, Value::String(farm.farm_key)},
          {kSessionMovesOut, Value::Counter(farm.session_moves_out)},
          {kSessionMovesIn, Value::Counter(farm.session_moves_in)},
          {kSessionMoveFailures, Value::Counter(farm.session_move_failures)}};
}

std::vector<TableRow> ServerRows(const std::vector<ServerRow>& servers) {
  using namespace server_column;
  std::vector<TableRow> rows;
  for (const auto& s : servers) {
    if (s.id.empty() || s.id.size() > kMaxIndexText) continue;
    TableRow row;
    row.index = StringIndex(s.id);
    row.columns = {
        {kIndex, Value::Unsigned(s.index)},
        {kAddress, Value::String(s.address)},
        {kState, Value::Integer(static_cast<int32_t>(s.state))},
        {kCpu, Value::Gauge(s.cpu_pct)},
        {kMemory, Value::Gauge(s.memory_pct)},
        {kNetwork, Value::Gauge(s.net_pct)},
        {kLoad, Value::Gauge(s.load * 100)},  // hundredths of a point
        {kLatencyP99, Value::Gauge(s.latency_p99_ms)},
        {kInstances, Value::Gauge(static_cast<double>(s.instances))},
        {kSessions, Value::Gauge(static_cast<double>(s.sessions))},
        {kLeaseRemaining, Value::Gauge(static_cast<double>(s.lease_remaining_ms))},
    };
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<TableRow> DaspRows(const std::vector<DaspRow>& dasps) {
  using namespace dasp_column;
  std::vector<TableRow> rows;
  for (const auto& d : dasps) {
    TableRow row;
    row.index = {d.va};
    row.columns = {
        {kUri, Value::String(d.uri)},
        {kApp, Value::String(d.app)},
        {kServer, Value::String(d.server)},
        {kPid, Value::Integer(d.pid)},
        {kState, Value::Integer(DaspStateNumber(d.state))},
        {kSessions, Value::Gauge(static_cast<double>(d.sessions))},
        {kLatencyP99, Value::Gauge(d.latency_p99_ms)},
        {kLockTimeouts, Value::Counter(d.lock_timeouts)},
    };
    rows.push_back(std::move(row));
  }
  return rows;
}

double SessionUsePct(const AppRow& app) {
  const double capacity = static_cast<double>(app.instances) * app.instance_sessions;
  if (capacity <= 0) return 0;
  return std::min(100.0, 100.0 * static_cast<double>(app.sessions) / capacity);
}

std::vector<TableRow> AppRows(const std::vector<AppRow>& apps) {
  using namespace app_column;
  std::vector<TableRow> rows;
  auto limit = [](const std::optional<uint64_t>& v) {
    return Value::Gauge(static_cast<double>(v.value_or(0)));
  };
  for (const auto& a : apps) {
    if (a.name.empty() || a.name.size() > kMaxIndexText) continue;
    TableRow row;
    row.index = StringIndex(a.name);
    row.columns = {
        {kInstances, Value::Gauge(static_cast<double>(a.instances))},
        {kSessions, Value::Gauge(static_cast<double>(a.sessions))},
        {kFarmInstanceLimit, limit(a.farm_instances)},
        {kFarmSessionLimit, limit(a.farm_sessions)},
        {kFarmMemoryLimit, limit(a.farm_memory_mb)},
        {kInstanceSessionLimit, Value::Gauge(static_cast<double>(a.instance_sessions))},
        {kInstanceMemoryLimit, limit(a.instance_memory_mb)},
        {kSessionUse, Value::Gauge(SessionUsePct(a))},
    };
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<TableRow> MoveRows(const std::vector<MoveRow>& moves) {
  using namespace move_column;
  std::vector<TableRow> rows;
  for (const auto& m : moves) {
    TableRow row;
    row.index = MoveIndex(m);
    row.columns = {
        {kClientVa, Value::Unsigned(m.client_va)},
        {kApp, Value::String(m.app)},
        {kFrom, Value::String(m.from)},
        {kTo, Value::String(m.to)},
        {kWhy, Value::String(m.why)},
        {kPause, Value::Gauge(m.pause_us)},
        {kOutcome, Value::String(m.outcome)},
    };
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<VarBind> NotificationVarBinds(const Notification& n) {
  std::vector<VarBind> out;
  auto trap = [&](uint32_t which) {
    out.push_back({kSnmpTrapOid, Value::ObjectId(NotificationOid(which))});
  };
  switch (n.kind) {
    case NotificationKind::kDaspStateChange: {
      trap(notification::kDaspStateChange);
      const Oid index = {n.dasp.va};
      out.push_back({Instance(DaspColumnOid(dasp_column::kApp), index), Value::String(n.dasp.app)});
      out.push_back(
          {Instance(DaspColumnOid(dasp_column::kServer), index), Value::String(n.dasp.server)});
      out.push_back({Instance(DaspColumnOid(dasp_column::kState), index),
                     Value::Integer(DaspStateNumber(n.dasp.state))});
      break;
    }
    case NotificationKind::kLatencyHigh:
    case NotificationKind::kLatencyLow: {
      trap(n.kind == NotificationKind::kLatencyHigh ? notification::kLatencyHigh
                                                    : notification::kLatencyLow);
      out.push_back(
          {Instance(ServerColumnOid(server_column::kLatencyP99), StringIndex(n.server.id)),
           Value::Gauge(n.server.latency_p99_ms)});
      break;
    }
    case NotificationKind::kServerJoined:
    case NotificationKind::kServerLeft: {
      trap(n.kind == NotificationKind::kServerJoined ? notification::kServerJoined
                                                     : notification::kServerLeft);
      const Oid index = StringIndex(n.server.id);
      out.push_back({Instance(ServerColumnOid(server_column::kAddress), index),
                     Value::String(n.server.address)});
      out.push_back({Instance(ServerColumnOid(server_column::kState), index),
                     Value::Integer(static_cast<int32_t>(n.server.state))});
      break;
    }
    case NotificationKind::kSessionMoved: {
      trap(notification::kSessionMoved);
      const Oid index = MoveIndex(n.move);
      const MoveRow& m = n.move;
      out.push_back(
          {Instance(MoveColumnOid(move_column::kClientVa), index), Value::Unsigned(m.client_va)});
      out.push_back({Instance(MoveColumnOid(move_column::kApp), index), Value::String(m.app)});
      out.push_back({Instance(MoveColumnOid(move_column::kFrom), index), Value::String(m.from)});
      out.push_back({Instance(MoveColumnOid(move_column::kTo), index), Value::String(m.to)});
      out.push_back({Instance(MoveColumnOid(move_column::kWhy), index), Value::String(m.why)});
      out.push_back(
          {Instance(MoveColumnOid(move_column::kPause), index), Value::Gauge(m.pause_us)});
      break;
    }
  }
  return out;
}

}  // namespace dabs::snmp
