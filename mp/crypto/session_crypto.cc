// Spec 6 session encryption with OpenSSL 3's EVP API: X25519, HKDF-SHA256 and the AEAD of
// each datagram (ChaCha20-Poly1305 or AES-256-GCM).
#include <algorithm>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include <dabs/mp/coding.h>
#include <dabs/mp/session_crypto.h>

#include "aead.h"
#include "openssl_util.h"

namespace dabs::mp {

using namespace crypto_internal;

namespace {

constexpr std::string_view kHkdfSalt = "dabs-mp-v1";

crypto::AeadKind KindOf(Suite suite) {
  return suite == Suite::kChaCha20Poly1305 ? crypto::AeadKind::kChaCha20Poly1305
                                           : crypto::AeadKind::kAes256Gcm;
}

// counter || ciphertext || tag into `out`.
Status SealWith(crypto::AeadKey& key, uint64_t counter, std::span<const uint8_t> ad,
                std::span<const uint8_t> plain, std::vector<uint8_t>& out) {
  out.resize(kCounterBytes + plain.size() + kTagBytes);
  PutU64(out.data(), counter);
  return key.Seal(crypto::CounterNonce(counter), ad, plain, std::span(out).subspan(kCounterBytes));
}

}  // namespace

bool IsKnownSuite(uint8_t id) {
  return id == static_cast<uint8_t>(Suite::kChaCha20Poly1305) ||
         id == static_cast<uint8_t>(Suite::kAes256Gcm);
}

std::string_view SuiteName(Suite suite) {
  switch (suite) {
    case Suite::kChaCha20Poly1305:
      return "chacha20-poly1305";
    case Suite::kAes256Gcm:
      return "aes-256-gcm";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------- X25519

Result<X25519KeyPair> X25519KeyPair::Generate() {
  X25519KeyPair pair;
  pair.key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  size_t len = kX25519KeyBytes;
  if (!pair.key_ || EVP_PKEY_get_raw_public_key(pair.key_, pair.public_.data(), &len) != 1) {
    return OpenSslFailure("making an X25519 key");
  }
  return pair;
}

Result<X25519KeyPair> X25519KeyPair::FromPrivate(std::span<const uint8_t, kX25519KeyBytes> priv) {
  X25519KeyPair pair;
  pair.key_ = EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, priv.data(), priv.size());
  size_t len = kX25519KeyBytes;
  if (!pair.key_ || EVP_PKEY_get_raw_public_key(pair.key_, pair.public_.data(), &len) != 1) {
    return OpenSslFailure("reading an X25519 private key");
  }
  return pair;
}

X25519KeyPair::X25519KeyPair(X25519KeyPair&& o) noexcept
    : key_(std::exchange(o.key_, nullptr)), public_(o.public_) {}

X25519KeyPair& X25519KeyPair::operator=(X25519KeyPair&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(o.key_, nullptr);
    public_ = o.public_;
  }
  return *this;
}

X25519KeyPair::~X25519KeyPair() {
  EVP_PKEY_free(key_);
}

Result<SessionKey> X25519KeyPair::Agree(const X25519PublicKey& peer) const {
  PkeyPtr theirs(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(), peer.size()));
  if (!theirs) return OpenSslFailure("reading the peer's X25519 key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  SessionKey secret{};
  size_t len = secret.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1) {
    return OpenSslFailure("X25519 key agreement");
  }
  // OpenSSL refuses an all-zero result (a low-order peer key); check anyway.
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != secret.size() ||
      std::all_of(secret.begin(), secret.end(), [](uint8_t b) { return b == 0; })) {
    ERR_clear_error();
    return Fail(CryptoErrc::kBadKey, "the peer's X25519 public key is of low order");
  }
  return secret;
}

// ---------------------------------------------------------------------------- HKDF

Result<SessionKeys> DeriveSessionKeys(const SessionKey& shared_secret,
                                      const X25519PublicKey& client_public,
                                      const X25519PublicKey& dasp_public, uint8_t session) {
  std::array<uint8_t, 2 * kX25519KeyBytes + 1> info;
  std::copy(client_public.begin(), client_public.end(), info.begin());
  std::copy(dasp_public.begin(), dasp_public.end(), info.begin() + kX25519KeyBytes);
  info.back() = session;
  std::array<uint8_t, 2 * kSessionKeyBytes> okm{};
  if (Status s = crypto::Hkdf(crypto::AsBytes(kHkdfSalt), shared_secret, info, okm); !s) {
    return s.error();
  }
  SessionKeys keys;
  std::copy_n(okm.begin(), kSessionKeyBytes, keys.client_to_server.begin());
  std::copy_n(okm.begin() + kSessionKeyBytes, kSessionKeyBytes, keys.server_to_client.begin());
  OPENSSL_cleanse(okm.data(), okm.size());
  return keys;
}

// ---------------------------------------------------------------------------- AEAD

Result<std::shared_ptr<SessionCrypto>> SessionCrypto::Create(Suite suite, const SessionKeys& keys,
                                                             CipherRole role, CipherLimits limits) {
  const bool client = role == CipherRole::kClient;
  auto seal =
      crypto::AeadKey::Create(KindOf(suite), client ? keys.client_to_server : keys.server_to_client,
                              crypto::Direction::kSeal);
  if (!seal) return seal.error();
  auto open =
      crypto::AeadKey::Create(KindOf(suite), client ? keys.server_to_client : keys.client_to_server,
                              crypto::Direction::kOpen);
  if (!open) return open.error();
  std::shared_ptr<SessionCrypto> c(new SessionCrypto(suite, limits));
  c->seal_ = std::move(*seal);
  c->open_ = std::move(*open);
  return c;
}

SessionCrypto::SessionCrypto(Suite suite, CipherLimits limits) : suite_(suite), limits_(limits) {}
SessionCrypto::~SessionCrypto() = default;

Status SessionCrypto::SealPayload(std::span<const uint8_t> header, std::span<const uint8_t> plain,
                                  std::vector<uint8_t>& out) {
  const uint64_t counter = sent_.load(std::memory_order_relaxed);
  if (counter >= limits_.hard) {
    return Fail(CryptoErrc::kExhausted, "sealed " + std::to_string(counter) +
                                            " datagrams under this key (limit " +
                                            std::to_string(limits_.hard) + "): open a new session");
  }
  // The counter moves on even if OpenSSL fails: a counter is never used twice.
  sent_.store(counter + 1, std::memory_order_relaxed);
  return SealWith(*seal_, counter, header, plain, out);
}

bool SessionCrypto::Seal(std::span<const uint8_t> header, std::span<const uint8_t> plain,
                         std::vector<uint8_t>& out) {
  return SealPayload(header, plain, out).ok();
}

bool SessionCrypto::SeenOrTooOld(uint64_t counter) const {
  const uint64_t next = received();  // highest + 1, 0 before the first
  if (next == 0 || counter >= next) return false;
  if (next - 1 - counter >= kReplayWindow) return true;
  return seen_[counter % kReplayWindow];
}

void SessionCrypto::MarkSeen(uint64_t counter) {
  const uint64_t next = received();
  if (counter >= next) {
    // Slide the window: the counters skipped between the old highest and this one are
    // not seen yet.
    if (next == 0 || counter - next >= kReplayWindow) {
      seen_.reset();
    } else {
      for (uint64_t c = next; c < counter; ++c)
        seen_.reset(c % kReplayWindow);
    }
    received_.store(counter + 1, std::memory_order_relaxed);
  }
  seen_.set(counter % kReplayWindow);
}

Status SessionCrypto::OpenPayload(std::span<const uint8_t> header, std::span<const uint8_t> sealed,
                                  std::vector<uint8_t>& out) {
  if (sealed.size() < kSealOverhead) {
    return Fail(CryptoErrc::kMalformed,
                std::to_string(sealed.size()) + " bytes cannot hold a counter and a tag");
  }
  const uint64_t counter = GetU64(sealed.data());
  if (SeenOrTooOld(counter)) {
    return Fail(CryptoErrc::kReplay, "counter " + std::to_string(counter) + " seen or too old");
  }
  out.resize(sealed.size() - kSealOverhead);
  if (Status s =
          open_->Open(crypto::CounterNonce(counter), header, sealed.subspan(kCounterBytes), out);
      !s) {
    return s;
  }
  MarkSeen(counter);  // only once authentic: a forgery cannot move the window
  return Status::Ok();
}

SessionCipher::Opened SessionCrypto::Open(std::span<const uint8_t> header,
                                          std::span<const uint8_t> sealed,
                                          std::vector<uint8_t>& out) {
  const Status s = OpenPayload(header, sealed, out);
  if (s) return Opened::kOk;
  return s.code() == CryptoErrc::kReplay ? Opened::kReplayed : Opened::kForged;
}

Result<std::vector<uint8_t>> SealOnce(Suite suite, const SessionKey& key, uint64_t counter,
                                      std::span<const uint8_t> header,
                                      std::span<const uint8_t> plain) {
  auto k = crypto::AeadKey::Create(KindOf(suite), key, crypto::Direction::kSeal);
  if (!k) return k.error();
  std::vector<uint8_t> out;
  if (Status s = SealWith(**k, counter, header, plain, out); !s) return s.error();
  return out;
}

}  // namespace dabs::mp
