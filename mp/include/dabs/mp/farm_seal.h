// Farm seals (docs/spec/farm-seal.md): every datagram between the farm's own daemons is
// sealed with the farm key, an AEAD over the whole datagram with the MP header, the seal
// header and the farm's name as associated data, and opened (authenticated, then checked
// for freshness and replay) before anything of its payload is parsed.
//
//   MP header (E = 1, C = 0) | seal header (33 bytes) | ciphertext of the payload | tag (16)
//
// FarmKeySet is an immutable value shared between threads. FarmSealer and FarmOpener keep
// per-sender state and are used by one thread at a time (a node's strand).
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>
#include <dabs/mp/wire.h>

namespace dabs::mp {

namespace crypto {
class AeadKey;
enum class Direction : uint8_t;
}  // namespace crypto

namespace farm_seal {
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kKeyBytes = 32;
// version (1) | key id (4) | sender (4) | incarnation (8) | sequence (8) | sealed at ms (8)
inline constexpr size_t kHeaderBytes = 33;
inline constexpr size_t kOffVersion = 0, kOffKeyId = 1, kOffSender = 5, kOffIncarnation = 9,
                        kOffSequence = 17, kOffSealedAt = 25;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kOverhead = kHeaderBytes + kTagBytes;
// The largest payload of a one-datagram farm message: the engine keeps room for its CRC,
// which the seal then replaces (sealed datagrams carry none).
inline constexpr size_t kMaxPayload =
    wire::kMaxDatagram - wire::kHeaderSize - wire::kCrcSize - kOverhead;
// Datagrams sealed further than this from the receiver's clock, either way, are refused.
inline constexpr int64_t kMaxSkewMs = 30'000;
// Per sender incarnation, the receiver remembers this many sequence numbers below the highest.
inline constexpr uint64_t kReplayWindow = 1024;
// A receiver that starts remembers nothing; it refuses what was sealed more than this long
// before it started, so that a restart does not reopen the replay window.
inline constexpr int64_t kStartSlackMs = 5'000;
}  // namespace farm_seal

using FarmKeyId = uint32_t;

// Which daemon of a server seals: the low byte of a sender id (index << 8 | role).
enum class FarmRole : uint8_t { kLbd = 1, kStatd = 2, kConfigd = 3 };

constexpr uint32_t FarmSenderId(uint16_t server_index, FarmRole role) {
  return (uint32_t{server_index} << 8) | static_cast<uint8_t>(role);
}
// "s3/lbd": for logs.
std::string FarmSenderName(uint32_t sender);

struct FarmKey {
  FarmKeyId id = 0;
  std::array<uint8_t, farm_seal::kKeyBytes> bytes{};

  // The key with its id: the first 4 bytes (big-endian) of SHA-256("dabs-farm-key-id" || key).
  static FarmKey FromBytes(std::span<const uint8_t, farm_seal::kKeyBytes> bytes);
  // 32 bytes from OpenSSL's CSPRNG.
  static Result<FarmKey> Generate();
  // A key file's text: 64 hex digits (optionally followed by a newline), or exactly 32 raw
  // bytes. kBadKey otherwise, without echoing the contents.
  static Result<FarmKey> Parse(std::string_view text);
  // 64 lower-case hex digits and a newline: what `dabsctl keys generate` writes.
  std::string ToFileText() const;
  // "1a2b3c4d".
  std::string IdText() const;
};
std::string FarmKeyIdText(FarmKeyId id);
// Parses "1a2b3c4d" (8 hex digits).
Result<FarmKeyId> ParseFarmKeyId(std::string_view text);

// The keys a server holds: one primary (what it seals with) and the others it accepts.
class FarmKeySet {
 public:
  // REQUIRES: `keys` holds `primary` and no two keys share an id.
  FarmKeySet(std::string farm, std::vector<FarmKey> keys, FarmKeyId primary);
  const FarmKey* Find(FarmKeyId id) const;
  const FarmKey& primary() const { return *Find(primary_); }
  const std::string& farm() const { return farm_; }
  const std::vector<FarmKey>& keys() const { return keys_; }

 private:
  std::string farm_;
  std::vector<FarmKey> keys_;
  FarmKeyId primary_;
};

// The fixed fields in front of the ciphertext.
struct FarmSealHeader {
  uint8_t version = farm_seal::kVersion;
  FarmKeyId key_id = 0;
  uint32_t sender = 0;
  uint64_t incarnation = 0;
  uint64_t sequence = 0;
  uint64_t sealed_at_ms = 0;  // as on the wire: any value an outsider puts there
  // Reads the seal header of a sealed datagram, checking only lengths and fixed fields.
  static Result<FarmSealHeader> Peek(std::span<const uint8_t> datagram);
};

// The per-(key, sender, incarnation) AEAD keys, derived once and kept (bounded).
class FarmKeyCache {
 public:
  FarmKeyCache(size_t capacity, crypto::Direction direction);
  ~FarmKeyCache();
  // The AEAD for `key` as `sender` in `incarnation`: HKDF-SHA256(salt "dabs-farm-seal-v1",
  // ikm = key, info = sender (u32) || incarnation (u64)) -> a ChaCha20-Poly1305 key.
  Result<crypto::AeadKey*> Get(const FarmKey& key, uint32_t sender, uint64_t incarnation);

 private:
  struct Entry;
  size_t capacity_;
  crypto::Direction direction_;
  std::list<Entry> entries_;  // most recently used first
};

// Seals as one sender (one daemon of one server, in one incarnation).
class FarmSealer {
 public:
  // `incarnation`: new at every start of the daemon (FarmIncarnation()).
  FarmSealer(uint32_t sender, uint64_t incarnation);
  // `plain`: an MP datagram with E = 0 (a CRC, if any, is dropped). `out`: the sealed form.
  Status Seal(const FarmKeySet& keys, std::span<const uint8_t> plain, int64_t now_ms,
              std::vector<uint8_t>& out);
  uint32_t sender() const { return sender_; }
  uint64_t incarnation() const { return incarnation_; }
  uint64_t next_sequence() const { return sequence_; }

 private:
  uint32_t sender_;
  uint64_t incarnation_;
  uint64_t sequence_ = 0;
  FarmKeyCache cache_;
};

// What an opened datagram says about who sealed it.
struct FarmSealed {
  uint32_t sender = 0;
  uint64_t incarnation = 0;
  FarmKeyId key_id = 0;
};

// Opens datagrams from any sender of the farm, remembering what each has sent.
class FarmOpener {
 public:
  // `started_ms`: when this receiver started (its clock); what was sealed more than
  // kStartSlackMs before is stale. 0: no such bound (tests of the window alone).
  explicit FarmOpener(int64_t started_ms = 0, size_t max_senders = 16384);
  // `sealed`: a datagram with E = 1. On success `out` holds the MP datagram inside (E = 0,
  // no CRC) and the sender's replay window has moved. Errors (CryptoErrc): kMalformed,
  // kUnknownKey, kStale, kReplay, kAuthentication; none of them changes any state.
  Result<FarmSealed> Open(const FarmKeySet& keys, std::span<const uint8_t> sealed, int64_t now_ms,
                          std::vector<uint8_t>& out);
  size_t senders() const { return senders_.size(); }

 private:
  struct Window {
    uint64_t incarnation = 0;
    uint64_t highest = 0;
    std::array<uint64_t, farm_seal::kReplayWindow / 64> seen{};  // bit i: highest - i
    bool any = false;
    bool Seen(uint64_t sequence) const;
    void Accept(uint64_t sequence);
  };
  // The last few incarnations of one sender (a daemon that restarted keeps its old
  // datagrams refused), most recent first.
  struct Sender {
    std::vector<Window> incarnations;
    int64_t last_ms = 0;
  };
  static constexpr size_t kIncarnationsKept = 4;

  bool IsReplay(const FarmSealHeader& h) const;
  void Accept(const FarmSealHeader& h, int64_t now_ms);

  int64_t not_before_ms_;
  size_t max_senders_;
  std::map<uint32_t, Sender> senders_;
  FarmKeyCache cache_;
};

// A fresh incarnation for a sealer: Unix milliseconds << 16 with 16 random bits.
uint64_t FarmIncarnation(int64_t now_ms);

}  // namespace dabs::mp
