// Payloads of the commands the servers of a farm exchange over its groups (spec 7 leaves
// them to the implementation; docs/payloads.md documents them): HELLO and LEAVE
// (membership, seed 001), BALLOT (placement by voting), VA_UPDATE and VA_QUERY (the VA
// directory), SERVER_STATS (statistics). All TLVs (spec 5); unknown tags are skipped, so
// newer servers may add tags.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/farm_seal.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

namespace farm_tag {
inline constexpr uint8_t kServer = 0x15;          // server id (as in OPEN_SESSION replies)
inline constexpr uint8_t kIndex = 0x60;           // u16 server index (1..4095)
inline constexpr uint8_t kLbdEndpoint = 0x61;     // dabs-lbd's UDP endpoint
inline constexpr uint8_t kStatsEndpoint = 0x62;   // dabs-statd's UDP endpoint
inline constexpr uint8_t kConfigEndpoint = 0x63;  // dabs-configd's HTTP endpoint (if any)
inline constexpr uint8_t kLeaseMs = 0x64;         // u32
inline constexpr uint8_t kIncarnation = 0x65;     // u64, new at every start of the server
inline constexpr uint8_t kConfigVersion = 0x66;   // u64
inline constexpr uint8_t kLoad = 0x67;            // u32, the smoothed load score x 100
inline constexpr uint8_t kEligible = 0x68;        // u8, 1 if the server takes new sessions
inline constexpr uint8_t kBalance = 0x69;         // u8: 0 neither, 1 source, 2 sink (seed 000)
inline constexpr uint8_t kRequestKey = 0x70;      // the request a ballot is for
inline constexpr uint8_t kVotes = 0x71;           // u32
inline constexpr uint8_t kBallotTime = 0x72;      // u64, microseconds since the Unix epoch
inline constexpr uint8_t kHasInstance = 0x73;     // u8
inline constexpr uint8_t kApp = 0x01;             // application name
inline constexpr uint8_t kVa = 0x11;              // u32
inline constexpr uint8_t kUdpEndpoint = 0x12;     // endpoint
inline constexpr uint8_t kUri = 0x74;             // mp://FARM/APP/INSTANCE
inline constexpr uint8_t kRemoved = 0x75;         // u8: the entry is gone
inline constexpr uint8_t kPid = 0x25;             // u32
inline constexpr uint8_t kLocal = 0x26;           // local socket path
inline constexpr uint8_t kKind = 0x76;            // u8: 1 DASP instance, 2 client
inline constexpr uint8_t kState = 0x77;           // u8 DASP state (spec 7 STATE_CHANGE values)
inline constexpr uint8_t kSessions = 0x78;        // u32 open sessions
inline constexpr uint8_t kDaspVa = 0x79;          // u32: a client's DASP instance
inline constexpr uint8_t kOpenedMs = 0x7A;        // u64 Unix milliseconds a session opened
inline constexpr uint8_t kInstances = 0x7B;       // u32 DASP instances running on a server
inline constexpr uint8_t kAbstain = 0x7C;         // u8 Abstain: why a ballot carries no votes
// Keys (docs/spec/farm-seal.md sections 5 and 6). Ids only in HELLO; key material only in
// KEYRING, which travels sealed.
inline constexpr uint8_t kKeyringVersion = 0x6A;  // u64
inline constexpr uint8_t kKeyringPrimary = 0x6B;  // u32 key id
inline constexpr uint8_t kKeyIds = 0x6C;          // u32 key ids, 4 bytes each
inline constexpr uint8_t kKrVersion = 0x90;       // u64
inline constexpr uint8_t kKrPrimary = 0x91;       // u32 key id
inline constexpr uint8_t kKrKey = 0x92;           // key id (4) || key (32)
inline constexpr uint8_t kKrOp = 0x93;            // u8 KeyringRequest::Op
inline constexpr uint8_t kKrKeyId = 0x94;         // u32 key id
inline constexpr uint8_t kKrForce = 0x95;         // u8 1: even while a live server lacks the key
}  // namespace farm_tag

// HELLO (server -> LB group, every heartbeat): who the server is and its lease (seed 001).
struct Hello {
  std::string server;
  uint16_t index = 0;
  Endpoint lbd;
  std::optional<Endpoint> stats;
  std::optional<Endpoint> config;
  uint32_t lease_ms = 0;
  uint64_t incarnation = 0;
  uint64_t config_version = 0;
  uint32_t load_x100 = 0;
  bool eligible = true;
  uint8_t balance = 0;
  uint32_t instances = 0;  // DASP instances running there
  uint32_t sessions = 0;   // sessions open there
  uint64_t keyring_version = 0;
  FarmKeyId keyring_primary = 0;   // the key it seals with
  std::vector<FarmKeyId> key_ids;  // every key it holds (at most 16 are read)

  std::vector<uint8_t> Encode() const;
  static Result<Hello> Decode(std::span<const uint8_t> payload);
};

// LEAVE (server -> LB group): the server goes.
struct Leave {
  std::string server;
  uint64_t incarnation = 0;
  std::vector<uint8_t> Encode() const;
  static Result<Leave> Decode(std::span<const uint8_t> payload);
};

// Why a server casts no votes. Every live server answers every request, eligible or not,
// so that a decision need not wait for the ballot window (decisions.md).
enum class Abstain : uint8_t {
  kNone = 0,
  kUnknownApp = 1,   // the application is not configured
  kNotEligible = 2,  // below minimums, latency high, a source, not in the sub-group, draining
  kLimit = 3,        // a farm or instance limit leaves no room (seed 003)
  kNoCapacity = 4,   // no available instance and none may be started here
};
const char* AbstainName(Abstain a);

// BALLOT (LB -> LB group): a server's votes for taking a session (DESIGN.md section 3).
struct Ballot {
  std::string request_key;  // identifies the OPEN_SESSION: client endpoint, transaction, id
  std::string app;
  std::string server;
  uint16_t index = 0;
  uint32_t votes = 0;
  uint64_t ballot_time_us = 0;
  bool has_instance = false;
  Abstain abstain = Abstain::kNone;  // with votes == 0

  std::vector<uint8_t> Encode() const;
  static Result<Ballot> Decode(std::span<const uint8_t> payload);
};

// A VA directory entry as VA_UPDATE carries it and VA_QUERY answers (spec 3). For a DASP
// instance: where it listens, its state and sessions; for a client (a session): its
// endpoint, its DASP instance and when it opened.
struct DirectoryUpdate {
  Va va = kVaNone;
  std::string uri;     // may be empty for a client
  uint8_t kind = 1;    // 1 DASP instance, 2 client
  std::string server;  // the server it lives on (a client: the server of its DASP)
  Endpoint udp;        // a client: its own endpoint
  std::string local;   // local socket on that server
  uint32_t pid = 0;
  bool removed = false;
  std::string app;
  uint8_t state = 0;       // DASP instance: spec 7 state, 0 unknown
  uint32_t sessions = 0;   // DASP instance
  Va dasp_va = kVaNone;    // client
  uint64_t opened_ms = 0;  // client

  std::vector<uint8_t> Encode() const;
  static Result<DirectoryUpdate> Decode(std::span<const uint8_t> payload);
};

// VA_QUERY request: a VA or a URI.
struct VaQuery {
  Va va = kVaNone;
  std::string uri;
  std::vector<uint8_t> Encode() const;
  static Result<VaQuery> Decode(std::span<const uint8_t> payload);
};

// KEYRING (dabs-lbd -> LB group, sealed): a server's whole keyring (farm-seal.md section 6).
struct KeyringMessage {
  static constexpr size_t kMaxKeys = 8;
  uint64_t version = 0;
  FarmKeyId primary = 0;
  std::vector<FarmKey> keys;
  std::string server;  // where the change was made

  std::vector<uint8_t> Encode() const;
  // Checks the shape only (1..8 keys, each id matching its key, the primary among them).
  static Result<KeyringMessage> Decode(std::span<const uint8_t> payload);
};

// KEYRING on dabs-lbd's local socket: one operator's request from dabsctl.
struct KeyringRequest {
  enum class Op : uint8_t { kInstall = 1, kUse = 2, kRemove = 3 };
  Op op = Op::kInstall;
  std::optional<FarmKey> key;  // kInstall
  FarmKeyId key_id = 0;        // kUse, kRemove
  bool force = false;          // kUse: even while a live server lacks the key

  std::vector<uint8_t> Encode() const;
  static Result<KeyringRequest> Decode(std::span<const uint8_t> payload);
};

// SERVER_STATS (statistics -> statistics group): the server's figures. Every figure is a
// u64 TLV; percentages and the load score are x 100 (docs/payloads.md).
namespace server_stat {
inline constexpr uint8_t kCpuPctX100 = 0x80;
inline constexpr uint8_t kMemoryPctX100 = 0x81;
inline constexpr uint8_t kNetPctX100 = 0x82;
inline constexpr uint8_t kLoadX100 = 0x83;  // smoothed load score
inline constexpr uint8_t kLatencyP99Ms = 0x84;
inline constexpr uint8_t kFreeMemoryMb = 0x85;
inline constexpr uint8_t kFreeDiskMb = 0x86;
inline constexpr uint8_t kFreeCpuPctX100 = 0x87;
inline constexpr uint8_t kInstances = 0x88;
inline constexpr uint8_t kSessions = 0x89;
inline constexpr uint8_t kBelowMinimums = 0x8A;  // bits: 1 cpu, 2 memory, 4 disk
inline constexpr uint8_t kLatencyHigh = 0x8B;    // 1 over high water (until under low)
inline constexpr uint8_t kSampledAtMs = 0x8C;    // Unix milliseconds
inline constexpr uint8_t kCpuCores = 0x8D;
inline constexpr uint8_t kMemoryTotalMb = 0x8E;
inline constexpr uint8_t kRawLoadX100 = 0x8F;
}  // namespace server_stat

struct ServerStats {
  std::string server;
  uint16_t index = 0;
  Statistics figures;  // server_stat tags

  std::vector<uint8_t> Encode() const;
  static Result<ServerStats> Decode(std::span<const uint8_t> payload);
};

}  // namespace dabs::mp
