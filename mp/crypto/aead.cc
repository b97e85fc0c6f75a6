#include "aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <dabs/mp/coding.h>

#include "openssl_util.h"

namespace dabs::mp::crypto {

using crypto_internal::OpenSslFailure;

namespace {

// Fetched once per process: an implicit fetch on every init costs a provider lookup.
const EVP_CIPHER* CipherOf(AeadKind kind) {
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* const gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return kind == AeadKind::kChaCha20Poly1305 ? chacha : gcm;
}

int Int(size_t n) {
  return static_cast<int>(n);
}

}  // namespace

Result<std::unique_ptr<AeadKey>> AeadKey::Create(AeadKind kind,
                                                 std::span<const uint8_t, kAeadKeyBytes> key,
                                                 Direction direction) {
  const EVP_CIPHER* cipher = CipherOf(kind);
  if (!cipher) return OpenSslFailure("no such AEAD in this OpenSSL");
  std::unique_ptr<AeadKey> k(new AeadKey());
  k->ctx_ = EVP_CIPHER_CTX_new();
  if (!k->ctx_) return OpenSslFailure("EVP_CIPHER_CTX_new");
  const int ok = direction == Direction::kSeal
                     ? EVP_EncryptInit_ex2(k->ctx_, cipher, key.data(), nullptr, nullptr)
                     : EVP_DecryptInit_ex2(k->ctx_, cipher, key.data(), nullptr, nullptr);
  if (ok != 1) return OpenSslFailure("keying the AEAD");
  return k;
}

AeadKey::~AeadKey() {
  EVP_CIPHER_CTX_free(ctx_);
}

Status AeadKey::Seal(std::span<const uint8_t, kAeadNonceBytes> nonce, std::span<const uint8_t> ad,
                     std::span<const uint8_t> plain, std::span<uint8_t> out) {
  if (out.size() != plain.size() + kAeadTagBytes) {
    return Error{make_error_code(CryptoErrc::kMalformed), "AEAD output size"};
  }
  int n = 0, tail = 0;
  if (EVP_EncryptInit_ex2(ctx_, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (!ad.empty() && EVP_EncryptUpdate(ctx_, nullptr, &n, ad.data(), Int(ad.size())) != 1) ||
      (!plain.empty() &&
       EVP_EncryptUpdate(ctx_, out.data(), &n, plain.data(), Int(plain.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx_, out.data() + plain.size(), &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, Int(kAeadTagBytes),
                          out.data() + plain.size()) != 1) {
    return OpenSslFailure("AEAD seal");
  }
  return Status::Ok();
}

Status AeadKey::Open(std::span<const uint8_t, kAeadNonceBytes> nonce, std::span<const uint8_t> ad,
                     std::span<const uint8_t> sealed, std::span<uint8_t> out) {
  if (sealed.size() < kAeadTagBytes || out.size() != sealed.size() - kAeadTagBytes) {
    return Error{make_error_code(CryptoErrc::kMalformed), "AEAD input size"};
  }
  const size_t body = out.size();
  // EVP takes the tag through a non-const pointer: a copy.
  std::array<uint8_t, kAeadTagBytes> tag;
  std::copy(sealed.begin() + static_cast<ptrdiff_t>(body), sealed.end(), tag.begin());
  int n = 0, tail = 0;
  if (EVP_DecryptInit_ex2(ctx_, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (!ad.empty() && EVP_DecryptUpdate(ctx_, nullptr, &n, ad.data(), Int(ad.size())) != 1) ||
      (body > 0 && EVP_DecryptUpdate(ctx_, out.data(), &n, sealed.data(), Int(body)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, Int(kAeadTagBytes), tag.data()) != 1) {
    return OpenSslFailure("AEAD open");
  }
  if (EVP_DecryptFinal_ex(ctx_, out.data() + body, &tail) != 1) {
    ERR_clear_error();
    return Error{make_error_code(CryptoErrc::kAuthentication), "the tag does not verify"};
  }
  return Status::Ok();
}

std::array<uint8_t, kAeadNonceBytes> CounterNonce(uint64_t counter) {
  std::array<uint8_t, kAeadNonceBytes> nonce{};
  PutU64(nonce.data() + 4, counter);
  return nonce;
}

Status Hkdf(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
            std::span<const uint8_t> info, std::span<uint8_t> out) {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) return OpenSslFailure("no HKDF in this OpenSSL");
  std::unique_ptr<EVP_KDF_CTX, void (*)(EVP_KDF_CTX*)> ctx(EVP_KDF_CTX_new(kdf), EVP_KDF_CTX_free);
  if (!ctx) return OpenSslFailure("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
                         OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return OpenSslFailure("HKDF-SHA256");
  }
  return Status::Ok();
}

Status RandomBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), Int(out.size())) != 1) return OpenSslFailure("RAND_bytes");
  return Status::Ok();
}

std::array<uint8_t, 32> Sha256(std::initializer_list<std::span<const uint8_t>> parts) {
  std::array<uint8_t, 32> out{};
  crypto_internal::MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned len = 0;
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (auto p : parts)
    EVP_DigestUpdate(ctx.get(), p.data(), p.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

}  // namespace dabs::mp::crypto
