// Session encryption, spec 6: X25519 key agreement, HKDF-SHA256 session keys, and the AEAD
// that seals each datagram's payload as 8-byte counter || ciphertext || 16-byte tag, with
// nonce 0x00000000 || counter and the datagram's header (basic + multi-buffer, E = 1) as
// associated data. docs/spec/mp-crypto-vectors.json has byte-exact examples.
//
// Errors are dabs::mp::CryptoErrc (crypto_errc.h).
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <dabs/mp/cipher.h>
#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>

struct evp_pkey_st;

namespace dabs::mp {

namespace crypto {
class AeadKey;
}

// Spec 6's suites; the id is what ENC_OFFER and ENC_ACCEPT carry.
enum class Suite : uint8_t {
  kChaCha20Poly1305 = 1,  // X25519, ChaCha20-Poly1305, Ed25519
  kAes256Gcm = 2,         // X25519, AES-256-GCM, Ed25519
};
bool IsKnownSuite(uint8_t id);
std::string_view SuiteName(Suite suite);  // "chacha20-poly1305", "aes-256-gcm"

inline constexpr size_t kX25519KeyBytes = 32;
inline constexpr size_t kSessionKeyBytes = 32;
inline constexpr size_t kCounterBytes = 8;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kSealOverhead = kCounterBytes + kTagBytes;  // 24 bytes a datagram
inline constexpr uint64_t kReplayWindow = 1024;                     // spec 6

using X25519PublicKey = std::array<uint8_t, kX25519KeyBytes>;
using SessionKey = std::array<uint8_t, kSessionKeyBytes>;

// An X25519 key pair; a DACP and a DASP make a fresh one for every session. Move-only.
// Thread safety: const methods may be called from any thread.
class X25519KeyPair {
 public:
  static Result<X25519KeyPair> Generate();
  // From a fixed private key: the test vectors only (a real key is never reused).
  static Result<X25519KeyPair> FromPrivate(std::span<const uint8_t, kX25519KeyBytes> priv);
  X25519KeyPair(X25519KeyPair&&) noexcept;
  X25519KeyPair& operator=(X25519KeyPair&&) noexcept;
  ~X25519KeyPair();

  const X25519PublicKey& public_key() const { return public_; }
  // The shared secret with `peer`. kBadKey for a low-order peer key (an all-zero result,
  // RFC 7748 section 6.1), kOpenSsl when OpenSSL refuses.
  Result<SessionKey> Agree(const X25519PublicKey& peer) const;

 private:
  X25519KeyPair() = default;
  evp_pkey_st* key_ = nullptr;  // owned
  X25519PublicKey public_{};
};

struct SessionKeys {
  SessionKey client_to_server{};
  SessionKey server_to_client{};
  friend bool operator==(const SessionKeys&, const SessionKeys&) = default;
};

// Spec 6: HKDF-SHA256, salt "dabs-mp-v1", IKM the shared secret, info client public key ||
// DASP public key || session id (1 byte); 64 bytes out, the first 32 client-to-server.
Result<SessionKeys> DeriveSessionKeys(const SessionKey& shared_secret,
                                      const X25519PublicKey& client_public,
                                      const X25519PublicKey& dasp_public, uint8_t session);

// How far one key may be used. Seal refuses past `hard` (kExhausted): a counter never
// wraps and a key never seals more than its AEAD bound allows. Past `soft` the session
// should be replaced (a DACP reopens: a new OPEN_SESSION is new keys). The defaults keep
// AES-256-GCM within 2^-57 of an ideal cipher for 512-byte datagrams (2^31 of them per key,
// draft-irtf-cfrg-aead-limits); ChaCha20-Poly1305 gets the same, for one rule. Tests set
// them tiny. docs/decisions.md has the reasoning.
struct CipherLimits {
  uint64_t soft = uint64_t{1} << 30;
  uint64_t hard = uint64_t{1} << 31;
};

// Which key a side seals with: a DACP seals with client_to_server and opens with the other.
enum class CipherRole : uint8_t { kClient, kServer };

// One session's AEAD in both directions, as the engine's SessionCipher. It keeps one
// EVP_CIPHER_CTX per direction for the session's life (keys set once; each datagram sets
// only its nonce), the send counter and the 1024-counter replay window.
// Thread safety: Seal and Open are called by one thread at a time (the engine's); sent(),
// highest_received() and NeedsRekey() may be called from any thread.
class SessionCrypto final : public SessionCipher {
 public:
  static Result<std::shared_ptr<SessionCrypto>> Create(Suite suite, const SessionKeys& keys,
                                                       CipherRole role, CipherLimits limits = {});
  ~SessionCrypto() override;
  SessionCrypto(const SessionCrypto&) = delete;
  SessionCrypto& operator=(const SessionCrypto&) = delete;

  // SessionCipher (the engine's seam).
  size_t Overhead() const override { return kSealOverhead; }
  bool Seal(std::span<const uint8_t> header, std::span<const uint8_t> plain,
            std::vector<uint8_t>& out) override;
  Opened Open(std::span<const uint8_t> header, std::span<const uint8_t> sealed,
              std::vector<uint8_t>& out) override;

  // The same with the reason: kExhausted past the hard limit, kOpenSsl.
  Status SealPayload(std::span<const uint8_t> header, std::span<const uint8_t> plain,
                     std::vector<uint8_t>& out);
  // kMalformed (shorter than counter + tag), kReplay, kAuthentication.
  Status OpenPayload(std::span<const uint8_t> header, std::span<const uint8_t> sealed,
                     std::vector<uint8_t>& out);

  Suite suite() const { return suite_; }
  const CipherLimits& limits() const { return limits_; }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }  // next counter
  // The highest counter opened so far plus one (0: none yet).
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // Either direction's counter has passed the soft limit: time for new keys.
  bool NeedsRekey() const { return sent() >= limits_.soft || received() >= limits_.soft; }

 private:
  SessionCrypto(Suite suite, CipherLimits limits);
  bool SeenOrTooOld(uint64_t counter) const;
  void MarkSeen(uint64_t counter);

  const Suite suite_;
  const CipherLimits limits_;
  std::unique_ptr<crypto::AeadKey> seal_, open_;  // keyed once, for the session's life
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> received_{0};  // highest opened counter + 1
  std::bitset<kReplayWindow> seen_;    // bit (counter % 1024) for the window below received_
};

// Seals one payload with an explicit counter and a fresh context: the test vectors and
// tools. Sessions use SessionCrypto, which never repeats a counter.
Result<std::vector<uint8_t>> SealOnce(Suite suite, const SessionKey& key, uint64_t counter,
                                      std::span<const uint8_t> header,
                                      std::span<const uint8_t> plain);

}  // namespace dabs::mp
