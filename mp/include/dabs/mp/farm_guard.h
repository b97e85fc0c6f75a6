// The farm guard: what a farm daemon's node lets through (docs/spec/farm-seal.md, spec 7).
// Every datagram to or from another daemon of the farm is sealed with the farm key; of
// outsiders (set-tops, tools) a node takes only what its policy names: dabs-lbd takes
// OPEN_SESSION and VA_QUERY on the load-balancing group, and ACKs or NAKs of the replies it
// sent them. Everything else is dropped without a reply, counted, and logged at most once
// per source every 10 s.
//
// Thread safety: Inbound and Outbound run on the owning node's strand, one call at a time.
// SetKeys, Stats and TrustPeer may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/farm_seal.h>

namespace dabs::mp {

// What outsiders may send a node in plaintext.
struct FarmGuardPolicy {
  // Messages (A = N = 0) arriving on the node's multicast group sockets.
  std::vector<uint16_t> open_group_commands;
  // ACKs and NAKs arriving on its unicast socket, answering what we sent an outsider.
  std::vector<uint16_t> open_answer_commands;
};

// Why a datagram was dropped. Stable names: FarmRejectName.
enum class FarmReject : uint8_t {
  kNotSealed,       // plaintext an outsider may not send
  kMemberPlain,     // plaintext from the endpoint of a farm member (spoofed or misconfigured)
  kMalformed,       // not a well-formed sealed datagram
  kUnknownKey,      // sealed with a key we do not hold
  kStale,           // sealed more than 30 s away from our clock
  kReplay,          // seen before, or older than the replay window
  kAuthentication,  // the tag does not verify: forged, tampered, or another farm
};
inline constexpr size_t kFarmRejectKinds = 7;
const char* FarmRejectName(FarmReject r);

struct FarmGuardStats {
  uint64_t sealed_in = 0, sealed_out = 0;  // farm datagrams opened, sealed
  uint64_t open_in = 0, open_out = 0;      // plaintext taken from, sent to outsiders
  uint64_t seal_failures = 0;              // datagrams we could not seal (not sent)
  std::array<uint64_t, kFarmRejectKinds> rejected{};
  uint64_t rejected_total() const;
};

class FarmGuard {
 public:
  // `log` receives one line per rate-limited report; it may be empty.
  // `started_ms`: now, by the wall clock (FarmOpener: nothing sealed long before is taken).
  FarmGuard(std::shared_ptr<const FarmKeySet> keys, uint32_t sender, uint64_t incarnation,
            FarmGuardPolicy policy, std::function<void(const std::string&)> log = {},
            int64_t started_ms = 0);
  FarmGuard(const FarmGuard&) = delete;
  FarmGuard& operator=(const FarmGuard&) = delete;

  // A new keyring (after a rotation): seals with its primary from the next datagram on.
  void SetKeys(std::shared_ptr<const FarmKeySet> keys);
  // Called, at most every kUnknownKeyRecheckMs, when a datagram comes sealed with a key we do
  // not hold: another daemon of this server may have just adopted it. It returns true when it
  // called SetKeys, and the datagram is then opened again. Thread-safe; empty: none.
  void OnUnknownKey(std::function<bool()> recheck);
  static constexpr int64_t kUnknownKeyRecheckMs = 100;
  std::shared_ptr<const FarmKeySet> keys() const;

  enum class Verdict { kDrop, kPlain, kOpened };
  // One datagram from the network. kOpened: `opened` holds the MP datagram inside and
  // `sealed_by` its sender id; kPlain: an outsider's datagram the policy allows, as it came.
  Verdict Inbound(const Endpoint& from, bool via_group, std::span<const uint8_t> bytes,
                  int64_t now_ms, std::vector<uint8_t>& opened, uint32_t& sealed_by);
  // One datagram the engine made for `to`, sealed into `sealed`; or, for the reply or NAK
  // to a command outsiders may send, to an endpoint that is not a farm member, the bytes as
  // they are. Empty: do not send it.
  std::span<const uint8_t> Outbound(const Endpoint& to, std::span<const uint8_t> bytes,
                                    int64_t now_ms, std::vector<uint8_t>& sealed);

  // Marks `peer` as a farm member's endpoint before it has sent us anything sealed.
  void TrustPeer(const Endpoint& peer);
  bool IsMember(const Endpoint& peer) const;

  FarmGuardStats Stats() const;
  uint32_t sender() const { return sealer_.sender(); }

  // How long an endpoint stays a member after its last sealed datagram, and how many are kept.
  static constexpr int64_t kMemberTtlMs = 10 * 60'000;
  static constexpr size_t kMaxMembers = 65536;
  static constexpr int64_t kLogPeriodMs = 10'000;

 private:
  bool PolicyAllows(const Endpoint& from, bool via_group, std::span<const uint8_t> bytes) const;
  bool IsAnswerToOutsider(std::span<const uint8_t> bytes) const;
  void Reject(const Endpoint& from, FarmReject why, int64_t now_ms, const std::string& detail);
  void NoteMember(const Endpoint& peer, int64_t now_ms);

  mutable std::mutex keys_mu_;
  std::shared_ptr<const FarmKeySet> keys_;
  FarmSealer sealer_;
  FarmOpener opener_;
  FarmGuardPolicy policy_;
  std::function<void(const std::string&)> log_;
  std::function<bool()> recheck_;  // under keys_mu_
  int64_t last_recheck_ms_ = 0;

  mutable std::mutex members_mu_;
  std::unordered_map<Endpoint, int64_t, EndpointHash> members_;  // -> last sealed datagram
  int64_t last_member_sweep_ms_ = 0;

  // Rate-limited reports, per source.
  struct Source {
    int64_t window_start_ms = 0;
    uint64_t suppressed = 0;
    std::array<uint64_t, kFarmRejectKinds> by_reason{};
  };
  std::map<std::string, Source> sources_;
  static constexpr size_t kMaxSources = 1024;

  mutable std::mutex stats_mu_;
  FarmGuardStats stats_;
};

}  // namespace dabs::mp
