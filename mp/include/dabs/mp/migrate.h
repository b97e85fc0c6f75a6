// MIGRATE (0x0042, dabs): moving a live session from one DASP instance to another
// (starvation avoidance, seed 000; docs/payloads.md "MIGRATE"; decisions D72-D74).
//
//   source dabs-lbd -> its DASP (local)   kSave     freeze the session, answer with its state
//   source dabs-lbd -> sink dabs-lbd      kPlace    place the saved session there (sealed);
//                                                   the reply is mp::Redirect's TLVs
//   source dabs-lbd -> its DASP (local)   kRelease  the move failed before REDIRECT: go on
//   source dabs-lbd -> sink dabs-lbd      kDrop     the REDIRECT failed: forget the copy
//   sink dabs-lbd -> its DASP (local)     kDrop     close the restored session, silently
//
// The sink's instance restores the state from ADD_CLIENT's SAVED tag; the source commits the
// move with a local REDIRECT naming the client (mp::Redirect plus CLIENT_VA).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

namespace migrate_tag {
inline constexpr uint8_t kOp = 0x50;        // u8, MigrateOp
inline constexpr uint8_t kMoveId = 0x51;    // u64, the source's id for this move
inline constexpr uint8_t kClientVa = 0x52;  // u32, the session's client
inline constexpr uint8_t kClient = 0x53;    // endpoint, where the client is
inline constexpr uint8_t kRequest = 0x54;   // an OPEN_SESSION request payload: APP, CAPS, CLIENT_ID
inline constexpr uint8_t kState = 0x55;     // bytes, Server::SaveSession's
inline constexpr uint8_t kMoves = 0x56;     // u32, times the session moved before this one
inline constexpr uint8_t kFrom = 0x57;      // string, the source server's id
inline constexpr uint8_t kReason = 0x58;    // string, why it moves (for the record)
}  // namespace migrate_tag

enum class MigrateOp : uint8_t { kSave = 1, kPlace = 2, kRelease = 3, kDrop = 4 };
const char* MigrateOpName(MigrateOp op);

struct Migrate {
  MigrateOp op = MigrateOp::kSave;
  Va client_va = kVaNone;  // required
  uint64_t move_id = 0;
  std::optional<Endpoint> client;
  std::vector<uint8_t> request;
  std::vector<uint8_t> state;
  uint32_t moves = 0;
  std::string from;
  std::string reason;

  // Just the op and the client (save, release, drop).
  static Migrate Of(MigrateOp op, Va client_va) {
    Migrate m;
    m.op = op;
    m.client_va = client_va;
    return m;
  }

  std::vector<uint8_t> Encode() const;
  // kMalformed without OP and CLIENT_VA, or with an unknown op.
  static Result<Migrate> Decode(std::span<const uint8_t> payload);
};

}  // namespace dabs::mp
