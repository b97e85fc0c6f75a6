// The farm's identity (spec 6): an Ed25519 key pair. The farm's DASPs sign every
// ENC_ACCEPT with the private key (farm.identity_key, a PEM file of mode 0600); clients hold
// the public key, delivered with the client portion like the group address, and verify.
//
// Errors are dabs::mp::CryptoErrc. Thread safety: const methods may be called from any
// thread at once (OpenSSL keys are immutable once made).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>

struct evp_pkey_st;

namespace dabs::mp {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;
using Ed25519Signature = std::array<uint8_t, kEd25519SignatureBytes>;

// The farm's public key. Move-only.
class FarmPublicKey {
 public:
  static Result<FarmPublicKey> FromRaw(std::span<const uint8_t, kEd25519PublicKeyBytes> raw);
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of an Ed25519 key; kBadKey otherwise.
  static Result<FarmPublicKey> FromPem(std::string_view pem);
  // A file holding that PEM (a public key: any mode), or the 64 hex digits of the raw key.
  static Result<FarmPublicKey> Load(const std::filesystem::path& path);
  FarmPublicKey(FarmPublicKey&&) noexcept;
  FarmPublicKey& operator=(FarmPublicKey&&) noexcept;
  ~FarmPublicKey();

  const std::array<uint8_t, kEd25519PublicKeyBytes>& raw() const { return raw_; }
  bool Verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const;
  std::string Pem() const;
  // "SHA256:" and the unpadded base64 of SHA-256 over the 32 raw key bytes, as ssh-keygen
  // prints fingerprints: what an operator compares by eye.
  std::string Fingerprint() const;

 private:
  friend class IdentityKey;
  FarmPublicKey() = default;
  evp_pkey_st* key_ = nullptr;  // owned
  std::array<uint8_t, kEd25519PublicKeyBytes> raw_{};
};

// The farm's private key, with its public half. Move-only.
class IdentityKey {
 public:
  static Result<IdentityKey> Generate();
  // From a fixed 32-byte seed (RFC 8032): the test vectors only.
  static Result<IdentityKey> FromSeed(std::span<const uint8_t, 32> seed);
  // A PEM "PRIVATE KEY" (PKCS#8) of an Ed25519 key; kBadKey otherwise.
  static Result<IdentityKey> FromPem(std::string_view pem);
  // Reads the PEM with ReadSecretFile: a file others can read is refused (kUnsafeFile).
  static Result<IdentityKey> Load(const std::filesystem::path& path);
  IdentityKey(IdentityKey&&) noexcept;
  IdentityKey& operator=(IdentityKey&&) noexcept;
  ~IdentityKey();

  const FarmPublicKey& public_key() const { return public_; }
  Result<Ed25519Signature> Sign(std::span<const uint8_t> message) const;
  // The private key as PEM (PKCS#8). Wipe it (OPENSSL_cleanse) once written.
  Result<std::string> PrivatePem() const;
  // Writes PrivatePem() with WriteSecretFile (mode 0600, atomic; `replace` or refuse).
  Status Save(const std::filesystem::path& path, bool replace = false) const;

 private:
  IdentityKey() = default;
  evp_pkey_st* key_ = nullptr;  // owned
  FarmPublicKey public_;
};

}  // namespace dabs::mp
