// The farm's Ed25519 identity with OpenSSL 3's EVP API: PEM in and out, sign, verify.
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <dabs/mp/identity_key.h>
#include <dabs/mp/secret_file.h>

#include "openssl_util.h"

namespace dabs::mp {

using namespace crypto_internal;

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

bool IsEd25519(EVP_PKEY* key) {
  return key && EVP_PKEY_is_a(key, "ED25519");
}

// The 32 raw public bytes of an Ed25519 key.
Status RawPublic(EVP_PKEY* key, std::array<uint8_t, kEd25519PublicKeyBytes>& raw) {
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size()) {
    return OpenSslFailure("reading an Ed25519 public key");
  }
  return Status::Ok();
}

std::optional<std::array<uint8_t, kEd25519PublicKeyBytes>> ParseHexKey(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  if (text.size() != 2 * kEd25519PublicKeyBytes) return std::nullopt;
  std::array<uint8_t, kEd25519PublicKeyBytes> raw{};
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned v = 0;
    for (char c : text.substr(2 * i, 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 16 +
          static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c))
                                    ? c - '0'
                                    : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    raw[i] = static_cast<uint8_t>(v);
  }
  return raw;
}

}  // namespace

// ---------------------------------------------------------------------------- public key

Result<FarmPublicKey> FarmPublicKey::FromRaw(std::span<const uint8_t, kEd25519PublicKeyBytes> raw) {
  FarmPublicKey k;
  k.key_ = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw.data(), raw.size());
  if (!k.key_) return OpenSslFailure("reading a raw Ed25519 public key");
  std::copy(raw.begin(), raw.end(), k.raw_.begin());
  return k;
}

Result<FarmPublicKey> FarmPublicKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  FarmPublicKey k;
  k.key_ = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  ERR_clear_error();
  if (!IsEd25519(k.key_)) return Fail(CryptoErrc::kBadKey, "not an Ed25519 public key in PEM");
  if (Status s = RawPublic(k.key_, k.raw_); !s) return s.error();
  return k;
}

Result<FarmPublicKey> FarmPublicKey::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Fail(CryptoErrc::kNoSuchFile, "cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  if (auto raw = ParseHexKey(text.str())) return FromRaw(*raw);
  auto k = FromPem(text.str());
  if (!k) {
    return Fail(CryptoErrc::kBadKey, path.string() +
                                         " holds neither an Ed25519 public key in PEM nor "
                                         "its 64 hex digits");
  }
  return k;
}

FarmPublicKey::FarmPublicKey(FarmPublicKey&& o) noexcept
    : key_(std::exchange(o.key_, nullptr)), raw_(o.raw_) {}

FarmPublicKey& FarmPublicKey::operator=(FarmPublicKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(o.key_, nullptr);
    raw_ = o.raw_;
  }
  return *this;
}

FarmPublicKey::~FarmPublicKey() {
  EVP_PKEY_free(key_);
}

bool FarmPublicKey::Verify(std::span<const uint8_t> message,
                           std::span<const uint8_t> signature) const {
  if (!key_ || signature.size() != kEd25519SignatureBytes) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_, nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string FarmPublicKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !key_ || PEM_write_bio_PUBKEY(bio.get(), key_) != 1) return "";
  return BioText(bio.get());
}

std::string FarmPublicKey::Fingerprint() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(raw_.data(), raw_.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  std::string text(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  return "SHA256:" + text;
}

// ---------------------------------------------------------------------------- private key

namespace {
// The public half of a private key just read or made.
Result<FarmPublicKey> PublicOf(EVP_PKEY* key) {
  std::array<uint8_t, kEd25519PublicKeyBytes> raw{};
  if (Status s = RawPublic(key, raw); !s) return s.error();
  return FarmPublicKey::FromRaw(raw);
}
}  // namespace

Result<IdentityKey> IdentityKey::Generate() {
  IdentityKey k;
  k.key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!k.key_) return OpenSslFailure("making an Ed25519 key");
  auto pub = PublicOf(k.key_);
  if (!pub) return pub.error();
  k.public_ = std::move(*pub);
  return k;
}

Result<IdentityKey> IdentityKey::FromSeed(std::span<const uint8_t, 32> seed) {
  IdentityKey k;
  k.key_ = EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size());
  if (!k.key_) return OpenSslFailure("reading an Ed25519 seed");
  auto pub = PublicOf(k.key_);
  if (!pub) return pub.error();
  k.public_ = std::move(*pub);
  return k;
}

Result<IdentityKey> IdentityKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  IdentityKey k;
  k.key_ = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  ERR_clear_error();
  if (!IsEd25519(k.key_)) return Fail(CryptoErrc::kBadKey, "not an Ed25519 private key in PEM");
  auto pub = PublicOf(k.key_);
  if (!pub) return pub.error();
  k.public_ = std::move(*pub);
  return k;
}

Result<IdentityKey> IdentityKey::Load(const std::filesystem::path& path) {
  auto pem = ReadSecretFile(path);
  if (!pem) return pem.error();
  auto k = FromPem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!k) return Fail(CryptoErrc::kBadKey, path.string() + ": " + k.error().detail);
  return k;
}

IdentityKey::IdentityKey(IdentityKey&& o) noexcept
    : key_(std::exchange(o.key_, nullptr)), public_(std::move(o.public_)) {}

IdentityKey& IdentityKey::operator=(IdentityKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(o.key_, nullptr);
    public_ = std::move(o.public_);
  }
  return *this;
}

IdentityKey::~IdentityKey() {
  EVP_PKEY_free(key_);
}

Result<Ed25519Signature> IdentityKey::Sign(std::span<const uint8_t> message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Ed25519Signature sig{};
  size_t len = sig.size();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    return OpenSslFailure("Ed25519 signing");
  }
  return sig;
}

Result<std::string> IdentityKey::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("writing the Ed25519 private key");
  }
  return BioText(bio.get());
}

Status IdentityKey::Save(const std::filesystem::path& path, bool replace) const {
  auto pem = PrivatePem();
  if (!pem) return pem.error();
  Status s = WriteSecretFile(path, *pem, replace);
  OPENSSL_cleanse(pem->data(), pem->size());
  return s;
}

}  // namespace dabs::mp
