// The snapshot as SNMP sees it: the rows of each table (index sub-identifiers and a value per
// column), the farm scalars, and the varbinds of each notification. Pure functions, free of
// Net-SNMP, so that the conversion is tested on its own; the subagent copies these into its
// tdata tables and trap varbinds as they are.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/snmp/mib.h>
#include <dabs/snmp/snapshot.h>

namespace dabs::snmp {

struct Value {
  enum class Type { kInteger, kUnsigned, kGauge, kCounter, kString, kOid };
  Type type = Type::kInteger;
  int64_t number = 0;  // kInteger (int32 range), kUnsigned/kGauge/kCounter (uint32 range)
  std::string text;    // kString
  Oid oid;             // kOid

  static Value Integer(int64_t v);
  // Clamped to 0..2^32-1: Gauge32 latches at its maximum (RFC 2578 7.1.7).
  static Value Gauge(double v);
  static Value Unsigned(uint64_t v);
  static Value Counter(uint64_t v);  // wraps modulo 2^32, as Counter32 does
  static Value String(std::string_view v);
  static Value ObjectId(Oid v);
  friend bool operator==(const Value&, const Value&) = default;
};

struct TableRow {
  Oid index;                          // the row's index sub-identifiers
  std::map<uint32_t, Value> columns;  // column number -> value (served columns only)
};

// A DisplayString index, not IMPLIED: its length, then one sub-identifier per byte.
Oid StringIndex(std::string_view text);

// The longest DisplayString index kept within SNMP's 128 sub-identifiers (the MIB says
// SIZE (1..64)); rows with longer names are left out of the tables.
inline constexpr size_t kMaxIndexText = 64;

std::map<uint32_t, Value> FarmScalarValues(const FarmScalars& farm);
std::vector<TableRow> ServerRows(const std::vector<ServerRow>& servers);
std::vector<TableRow> DaspRows(const std::vector<DaspRow>& dasps);
std::vector<TableRow> AppRows(const std::vector<AppRow>& apps);
// Indexed by the low 32 bits of the sequence number (unique among the few moves listed).
std::vector<TableRow> MoveRows(const std::vector<MoveRow>& moves);

// dabsAppSessionUse: sessions as a percentage of what this server's instances may hold
// (instances x limits.instance.sessions); 0 with no instance.
double SessionUsePct(const AppRow& app);

struct VarBind {
  Oid oid;
  Value value;
};

// snmpTrapOID.0 first, then the notification's OBJECTS (mib.h), each with the row's index.
std::vector<VarBind> NotificationVarBinds(const Notification& n);

}  // namespace dabs::snmp
