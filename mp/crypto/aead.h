// Thin RAII wrappers over OpenSSL 3's EVP interface for what the MP's cryptography needs: an
// AEAD keyed once for one direction (ChaCha20-Poly1305 or AES-256-GCM, 12-byte nonce, 16-byte
// tag), HKDF-SHA256, SHA-256 and random bytes. Private to mp: session encryption (spec 6,
// session_crypto.cc) and farm seals (farm_seal.cc) both build on it.
//
// Thread safety: an AeadKey is used by one thread at a time; the functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace dabs::mp::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

enum class AeadKind : uint8_t { kChaCha20Poly1305, kAes256Gcm };
enum class Direction : uint8_t { kSeal, kOpen };

// One key, one direction: the EVP context is keyed once, and each message sets only its nonce,
// so that sealing or opening a datagram allocates nothing.
class AeadKey {
 public:
  static Result<std::unique_ptr<AeadKey>> Create(AeadKind kind,
                                                 std::span<const uint8_t, kAeadKeyBytes> key,
                                                 Direction direction);
  ~AeadKey();
  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;

  // Writes plain.size() bytes of ciphertext and then the tag to `out`.
  // REQUIRES: a kSeal key; out.size() == plain.size() + kAeadTagBytes.
  Status Seal(std::span<const uint8_t, kAeadNonceBytes> nonce, std::span<const uint8_t> ad,
              std::span<const uint8_t> plain, std::span<uint8_t> out);
  // Checks the tag at the end of `sealed` and writes the plaintext to `out`: kAuthentication
  // when it does not verify (nothing of `out` may then be used).
  // REQUIRES: a kOpen key; sealed.size() >= kAeadTagBytes, out.size() == sealed.size() - tag.
  Status Open(std::span<const uint8_t, kAeadNonceBytes> nonce, std::span<const uint8_t> ad,
              std::span<const uint8_t> sealed, std::span<uint8_t> out);

 private:
  AeadKey() = default;
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

// 4 zero bytes || the counter, big-endian: the nonce of spec 6 and of farm seals.
std::array<uint8_t, kAeadNonceBytes> CounterNonce(uint64_t counter);

// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` into `out`.
Status Hkdf(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
            std::span<const uint8_t> info, std::span<uint8_t> out);

// Fills `out` from OpenSSL's CSPRNG.
Status RandomBytes(std::span<uint8_t> out);

// SHA-256 of the concatenation of `parts`.
std::array<uint8_t, 32> Sha256(std::initializer_list<std::span<const uint8_t>> parts);

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace dabs::mp::crypto
