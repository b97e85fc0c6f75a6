// Payloads of the system commands exchanged on one server between dabs-lbd and its DASP
// processes over local sockets (spec 7, seed Table 4), and REDIRECT to a DACP. The spec
// leaves them to the implementation; they are TLVs (spec 5) and documented in
// docs/payloads.md. Both the DASP framework and the runtime use them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>
#include <dabs/mp/wire.h>

namespace dabs::mp {

// Tags of the local payloads (0x10-0x15 keep their OPEN_SESSION reply meaning).
namespace local_tag {
inline constexpr uint8_t kRequest = 0x20;         // the client's OPEN_SESSION request payload
inline constexpr uint8_t kClientEndpoint = 0x21;  // where the client sent it from
inline constexpr uint8_t kTransaction = 0x22;     // u8, its transaction id
inline constexpr uint8_t kInstanceVa = 0x24;      // u32, the instance asked to take it
inline constexpr uint8_t kPid = 0x25;             // u32
inline constexpr uint8_t kControl = 0x26;         // the instance's local socket path
inline constexpr uint8_t kMaxSessions = 0x27;     // u32
inline constexpr uint8_t kSaved = 0x28;           // bytes: restore a moved session (MIGRATE)
inline constexpr uint8_t kMovable = 0x29;         // u8 1: its sessions can move (SavesSessions)
inline constexpr uint8_t kApp = 0x01;             // application name (as in OPEN_SESSION)
inline constexpr uint8_t kReason = 0x30;          // u8, StateReason
inline constexpr uint8_t kResourceType = 0x31;    // string
inline constexpr uint8_t kDetail = 0x32;          // string
inline constexpr uint8_t kSessions = 0x33;        // u32
inline constexpr uint8_t kClientVa = 0x34;        // u32, the client a session report is about
}  // namespace local_tag

// ADD_CLIENT (dabs-lbd -> DASP): a client's OPEN_SESSION handed to an instance (spec 4).
struct AddClient {
  std::vector<uint8_t> request;  // the OPEN_SESSION request payload, as the client sent it
  Endpoint client;               // the client's UDP endpoint
  uint8_t transaction = 0;       // the request's transaction id (the reply repeats it)
  Va client_va = kVaNone;        // the VA the farm allocated to the client
  Va instance_va = kVaNone;      // which instance of the process
  // A session moved here (MIGRATE): restore this state instead of opening; the instance
  // sends no OPEN_SESSION reply (the source sends REDIRECT).
  std::optional<std::vector<uint8_t>> saved;

  std::vector<uint8_t> Encode() const;
  static Result<AddClient> Decode(std::span<const uint8_t> payload);
};

// STARTED (DASP -> dabs-lbd): one instance is up.
struct Started {
  Va va = kVaNone;
  Endpoint udp;         // where clients reach it
  std::string control;  // its local socket path
  std::string app;
  uint32_t pid = 0;
  uint32_t max_sessions = 0;
  bool movable = false;  // Server::SavesSessions(): its sessions may be moved

  std::vector<uint8_t> Encode() const;
  static Result<Started> Decode(std::span<const uint8_t> payload);
};

// Why an instance's state changed or why it asks for help (STATE_CHANGE's optional TLVs).
enum class StateReason : uint8_t {
  kNone = 0,
  kBacklog = 1,        // the read timer saw many reads in a row that did not time out
  kLockTimeout = 2,    // a resource lock timed out: start another instance (resource type)
  kWriteTimeout = 3,   // a write timer timed out
  kLatencyHigh = 4,    // latency crossed the high-water mark
  kLatencyLow = 5,     // latency fell back below the low-water mark
  kShutdown = 6,       // clean or emergency shutdown
  kThreshold = 7,      // a configured statistic threshold is near
  kSessionsFull = 8,   // no room for another session
  kSessionClosed = 9,  // a session ended (the client VA says which); the state is unchanged
};
const char* StateReasonName(StateReason r);

// STATE_CHANGE (DASP -> dabs-lbd): u8 state (spec 7), then optional TLVs.
struct StateChange {
  wire::DaspState state = wire::DaspState::kReady;
  Va va = kVaNone;
  StateReason reason = StateReason::kNone;
  std::string resource_type;  // for kLockTimeout: the resource the new instance should have
  std::string detail;
  std::optional<uint32_t> sessions;
  Va client_va = kVaNone;  // for kSessionClosed

  std::vector<uint8_t> Encode() const;
  static Result<StateChange> Decode(std::span<const uint8_t> payload);
};
const char* DaspStateName(wire::DaspState s);

// GET_STATISTICS reply: every figure a u64 TLV (tags in docs/payloads.md).
namespace stat_tag {
inline constexpr uint8_t kSessions = 0x40;
inline constexpr uint8_t kQueueDepth = 0x41;
inline constexpr uint8_t kMessagesPerSecond = 0x42;
inline constexpr uint8_t kLatencyP50Ms = 0x43;
inline constexpr uint8_t kLatencyP99Ms = 0x44;
inline constexpr uint8_t kHighWaterCrossings = 0x45;
inline constexpr uint8_t kLockTimeouts = 0x46;
inline constexpr uint8_t kReadsNotTimedOut = 0x47;
inline constexpr uint8_t kWriteTimeouts = 0x48;
inline constexpr uint8_t kResidentKb = 0x49;
inline constexpr uint8_t kMessagesTotal = 0x4A;
inline constexpr uint8_t kState = 0x4B;
inline constexpr uint8_t kVa = 0x4C;
inline constexpr uint8_t kBacklogReports = 0x4D;
inline constexpr uint8_t kProcessingP99Us = 0x4E;
inline constexpr uint8_t kErrors = 0x4F;
inline constexpr uint8_t kFirstApplication = 0x80;  // 0x80-0xFF: the application's own
}  // namespace stat_tag

struct Statistics {
  std::map<uint8_t, uint64_t> values;

  uint64_t Get(uint8_t tag) const {
    auto it = values.find(tag);
    return it == values.end() ? 0 : it->second;
  }
  std::vector<uint8_t> Encode() const;
  static Result<Statistics> Decode(std::span<const uint8_t> payload);
};

// REDIRECT (DASP -> DACP): continue the session there (spec 7).
struct Redirect {
  uint8_t session = 0;
  Va dasp_va = kVaNone;
  Endpoint dasp_endpoint;
  // dabs-lbd -> DASP (local): the client to send it to (CLIENT_VA 0x34); none to a DACP.
  Va client = kVaNone;

  std::vector<uint8_t> Encode() const;
  static Result<Redirect> Decode(std::span<const uint8_t> payload);
};

}  // namespace dabs::mp
