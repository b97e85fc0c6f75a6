// CONFIG_SYNC (0x0040) payloads as dabs-configd sends them (README.md, "CONFIG_SYNC"):
// an announcement (VERSION, ORIGIN, DIGEST), a whole configuration in one datagram
// (config::EncodeConfigSync's VERSION, ORIGIN, RECORDs, plus DIGEST), or, when it does not
// fit one datagram, its parts: each VERSION, ORIGIN, DIGEST, PART, DATA, the DATA of all
// parts in order being the whole configuration's payload.
//
// The MP node does not send multi-buffer messages to a group (README.md, C2),
// hence the parts.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <dabs/config/records.h>
#include <dabs/mp/farm_seal.h>
#include <dabs/mp/result.h>
#include <dabs/mp/wire.h>

#include "sync_policy.h"

namespace dabs::configd {

namespace sync_tag {
inline constexpr uint8_t kVersion = 0x50;  // u64 (config/persist.cc)
inline constexpr uint8_t kOrigin = 0x51;   // string (config/persist.cc)
inline constexpr uint8_t kRecord = 0x52;   // path, 0, value (config/persist.cc)
inline constexpr uint8_t kDigest = 0x53;   // 32 bytes: SHA-256 of the records
inline constexpr uint8_t kPart = 0x54;     // u16 part number, u16 parts in all
inline constexpr uint8_t kData = 0x55;     // bytes: this part's slice of the whole payload
}  // namespace sync_tag

// The largest CONFIG_SYNC payload one group datagram carries: spec 1's 512 bytes less the
// basic header, the CRC and the farm seal (group messages are never multi-buffer, see above;
// docs/spec/farm-seal.md).
inline constexpr size_t kMaxGroupPayload = mp::farm_seal::kMaxPayload;

struct SyncMessage {
  Heard kind = Heard::kAnnounce;
  ConfigId id;                   // digest empty when the sender sent none
  config::Records records;       // kFull
  uint16_t part = 0, parts = 0;  // kPart: this one is `part` of `parts` (0-based)
  std::vector<uint8_t> data;     // kPart: its slice
};

std::vector<uint8_t> EncodeAnnounce(const ConfigId& id);

// The payloads that carry `records` (whose digest is `digest`, hex): one when it fits
// `max_payload` bytes, else parts of at most `max_payload` bytes. Empty when it would need
// more than 65535 parts. REQUIRES: max_payload >= 256.
std::vector<std::vector<uint8_t>> EncodeFull(const config::Records& records,
                                             const std::string& digest,
                                             size_t max_payload = kMaxGroupPayload);

// Decodes any CONFIG_SYNC payload; kMalformed with what is wrong. A full configuration
// whose DIGEST does not match its records is malformed (an end-to-end check the CRC-8
// cannot give). Bounded: allocates no more than the payload's size.
Result<SyncMessage> DecodeSync(std::span<const uint8_t> payload);

// Hex <-> the 32 bytes on the wire. FromHex: empty when `hex` is not 64 hex digits.
std::vector<uint8_t> DigestFromHex(const std::string& hex);
std::string DigestToHex(std::span<const uint8_t> bytes);

}  // namespace dabs::configd
