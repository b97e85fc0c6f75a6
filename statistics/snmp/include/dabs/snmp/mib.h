// The OIDs dabs-statd's SNMP subagent serves, declared once: the agent registers its handlers
// and builds its notifications from this table, and a test checks it against the hand-written
// statistics/mib/DABS-MIB.txt (every object there is here with the same number, syntax and
// access, and the other way round).
//
// The enterprise arc is a PLACEHOLDER: 1.3.6.1.4.1.32473 is the Private Enterprise Number
// IANA reserves for documentation (RFC 5612). An operator replaces it with their own PEN in
// kEnterpriseArc and in DABS-MIB.txt (the MODULE-IDENTITY line) before deploying.
//
//   dabsMIB            E        = 1.3.6.1.4.1.32473
//   dabsNotifications  E.0      notifications (E.0.n, SNMPv2 style)
//   dabsObjects        E.1      E.1.1 farm scalars, E.1.2 servers, E.1.3 DASP instances,
//                               E.1.4 applications, E.1.5 session moves
//                               (tables: E.1.t.1.column)
//   dabsConformance    E.2      compliance statements and groups (documentation only)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dabs::snmp {

using Oid = std::vector<uint32_t>;

inline constexpr std::array<uint32_t, 7> kEnterpriseArc = {1, 3, 6, 1, 4, 1, 32473};

// snmpTrapOID.0 (SNMPv2-MIB): the first varbind of every SNMPv2 notification.
inline const Oid kSnmpTrapOid = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

// Sub-identifiers under the enterprise arc.
inline constexpr uint32_t kNotificationsArc = 0;
inline constexpr uint32_t kObjectsArc = 1;
inline constexpr uint32_t kConformanceArc = 2;
inline constexpr uint32_t kFarmArc = 1;         // under dabsObjects
inline constexpr uint32_t kServerTableArc = 2;  // under dabsObjects
inline constexpr uint32_t kDaspTableArc = 3;
inline constexpr uint32_t kAppTableArc = 4;
inline constexpr uint32_t kMoveTableArc = 5;

namespace farm_scalar {
inline constexpr uint32_t kName = 1;
inline constexpr uint32_t kThisServer = 2;
inline constexpr uint32_t kServersAlive = 3;
inline constexpr uint32_t kSessions = 4;
inline constexpr uint32_t kInstances = 5;
inline constexpr uint32_t kConfigVersion = 6;
inline constexpr uint32_t kRejectedDatagrams = 7;
inline constexpr uint32_t kFarmKey = 8;
inline constexpr uint32_t kSessionMovesOut = 9;
inline constexpr uint32_t kSessionMovesIn = 10;
inline constexpr uint32_t kSessionMoveFailures = 11;
inline constexpr uint32_t kLast = kSessionMoveFailures;
}  // namespace farm_scalar

namespace server_column {
inline constexpr uint32_t kId = 1;  // index, not-accessible
inline constexpr uint32_t kIndex = 2;
inline constexpr uint32_t kAddress = 3;
inline constexpr uint32_t kState = 4;
inline constexpr uint32_t kCpu = 5;
inline constexpr uint32_t kMemory = 6;
inline constexpr uint32_t kNetwork = 7;
inline constexpr uint32_t kLoad = 8;
inline constexpr uint32_t kLatencyP99 = 9;
inline constexpr uint32_t kInstances = 10;
inline constexpr uint32_t kSessions = 11;
inline constexpr uint32_t kLeaseRemaining = 12;
inline constexpr uint32_t kFirstServed = kIndex;
inline constexpr uint32_t kLast = kLeaseRemaining;
}  // namespace server_column

namespace dasp_column {
inline constexpr uint32_t kVa = 1;  // index, not-accessible
inline constexpr uint32_t kUri = 2;
inline constexpr uint32_t kApp = 3;
inline constexpr uint32_t kServer = 4;
inline constexpr uint32_t kPid = 5;
inline constexpr uint32_t kState = 6;
inline constexpr uint32_t kSessions = 7;
inline constexpr uint32_t kLatencyP99 = 8;
inline constexpr uint32_t kLockTimeouts = 9;
inline constexpr uint32_t kFirstServed = kUri;
inline constexpr uint32_t kLast = kLockTimeouts;
}  // namespace dasp_column

namespace app_column {
inline constexpr uint32_t kName = 1;  // index, not-accessible
inline constexpr uint32_t kInstances = 2;
inline constexpr uint32_t kSessions = 3;
inline constexpr uint32_t kFarmInstanceLimit = 4;
inline constexpr uint32_t kFarmSessionLimit = 5;
inline constexpr uint32_t kFarmMemoryLimit = 6;
inline constexpr uint32_t kInstanceSessionLimit = 7;
inline constexpr uint32_t kInstanceMemoryLimit = 8;
inline constexpr uint32_t kSessionUse = 9;
inline constexpr uint32_t kFirstServed = kInstances;
inline constexpr uint32_t kLast = kSessionUse;
}  // namespace app_column

// The last moves this server made as a source (dabs-lbd's "moves/dabs-lbd" record), indexed
// by dabs-lbd's sequence number; dabsSessionMoved names its row.
namespace move_column {
inline constexpr uint32_t kSeq = 1;  // index, not-accessible
inline constexpr uint32_t kClientVa = 2;
inline constexpr uint32_t kApp = 3;
inline constexpr uint32_t kFrom = 4;
inline constexpr uint32_t kTo = 5;
inline constexpr uint32_t kWhy = 6;
inline constexpr uint32_t kPause = 7;
inline constexpr uint32_t kOutcome = 8;
inline constexpr uint32_t kFirstServed = kClientVa;
inline constexpr uint32_t kLast = kOutcome;
}  // namespace move_column

namespace notification {
inline constexpr uint32_t kDaspStateChange = 1;
inline constexpr uint32_t kLatencyHigh = 2;
inline constexpr uint32_t kLatencyLow = 3;
inline constexpr uint32_t kServerJoined = 4;
inline constexpr uint32_t kServerLeft = 5;
inline constexpr uint32_t kSessionMoved = 6;
}  // namespace notification

// The SMIv2 syntax of an object, as the MIB file spells it.
enum class Syntax {
  kNone,           // tables, entries, notifications
  kDisplayString,  // OCTET STRING on the wire
  kInteger32,
  kUnsigned32,
  kGauge32,
  kCounter32,
  kEnumeration,  // INTEGER { ... }
};
std::string_view SyntaxName(Syntax s);

enum class MibKind { kScalar, kTable, kEntry, kColumn, kNotification };
enum class Access { kNone, kNotAccessible, kReadOnly };

struct MibObject {
  std::string_view name;  // as in DABS-MIB.txt
  Oid oid;                // full OID
  MibKind kind;
  Syntax syntax = Syntax::kNone;
  Access access = Access::kNone;
  std::vector<std::string_view> objects;  // a notification's OBJECTS, in order
};

// Every object and notification of DABS-MIB, in OID order. Thread-safe (built once).
const std::vector<MibObject>& MibObjects();
// The object named `name`, or nullptr.
const MibObject* FindMibObject(std::string_view name);

// E + `tail`.
Oid EnterpriseOid(std::initializer_list<uint32_t> tail);
Oid FarmScalarOid(uint32_t scalar);  // without the .0 instance
Oid ServerColumnOid(uint32_t column);
Oid DaspColumnOid(uint32_t column);
Oid AppColumnOid(uint32_t column);
Oid MoveColumnOid(uint32_t column);
Oid NotificationOid(uint32_t n);

// "1.3.6.1.4.1.32473.1.2" (no leading dot).
std::string OidToString(const Oid& oid);

}  // namespace dabs::snmp
