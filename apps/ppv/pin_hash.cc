#include "pin_hash.h"

#include <charconv>
#include <optional>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ppv_errc.h"

namespace dabs::ppv {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kMinSaltBytes = 8, kMaxSaltBytes = 64;

Error Bad(std::string why) {
  return PpvError(PpvErrc::kBadPinHash, std::move(why));
}

std::string Base64(const std::vector<uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Strict base64 with padding. EVP_DecodeBlock alone tolerates blanks and returns whole
// 3-byte groups, so the alphabet and the padding are checked here first.
std::optional<std::vector<uint8_t>> FromBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4 * kMaxSaltBytes) return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=')
    ++pad;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    if (!IsBase64Char(text[i])) return std::nullopt;
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

bool Derive(std::string_view pin, const std::vector<uint8_t>& salt, uint32_t iterations,
            std::vector<uint8_t>& key) {
  key.assign(kPinKeyBytes, 0);
  return PKCS5_PBKDF2_HMAC(pin.data(), static_cast<int>(pin.size()), salt.data(),
                           static_cast<int>(salt.size()), static_cast<int>(iterations),
                           EVP_sha256(), static_cast<int>(key.size()), key.data()) == 1;
}

}  // namespace

Result<PinHash> ParsePinHash(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    const size_t dollar = text.find('$', at);
    parts.push_back(text.substr(at, dollar == std::string_view::npos ? dollar : dollar - at));
    if (dollar == std::string_view::npos) break;
    at = dollar + 1;
  }
  if (parts.size() != 4 || parts[0] != kScheme)
    return Bad("expected pbkdf2-sha256$ITERATIONS$SALT$KEY (ppv-dasp --hash-pin makes one)");
  PinHash h;
  const auto& n = parts[1];
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), h.iterations);
  if (ec != std::errc() || end != n.data() + n.size() || n.empty() || n[0] == '0' ||
      h.iterations < kMinPinIterations || h.iterations > kMaxPinIterations) {
    return Bad("iterations must be a number from " + std::to_string(kMinPinIterations) + " to " +
               std::to_string(kMaxPinIterations));
  }
  auto salt = FromBase64(parts[2]);
  if (!salt || salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes)
    return Bad("the salt must be 8-64 bytes in base64");
  auto key = FromBase64(parts[3]);
  if (!key || key->size() != kPinKeyBytes) return Bad("the key must be 32 bytes in base64");
  h.salt = std::move(*salt);
  h.key = std::move(*key);
  return h;
}

std::string FormatPinHash(const PinHash& h) {
  return std::string(kScheme) + "$" + std::to_string(h.iterations) + "$" + Base64(h.salt) + "$" +
         Base64(h.key);
}

Result<std::string> HashPin(std::string_view pin, uint32_t iterations) {
  PinHash h;
  h.iterations = iterations;
  h.salt.resize(kPinSaltBytes);
  if (RAND_bytes(h.salt.data(), static_cast<int>(h.salt.size())) != 1)
    return PpvError(PpvErrc::kCrypto, "RAND_bytes failed");
  if (!Derive(pin, h.salt, iterations, h.key))
    return PpvError(PpvErrc::kCrypto, "PKCS5_PBKDF2_HMAC failed");
  return FormatPinHash(h);
}

bool VerifyPin(const PinHash& h, std::string_view pin) {
  std::vector<uint8_t> key;
  if (h.key.size() != kPinKeyBytes || !Derive(pin, h.salt, h.iterations, key)) return false;
  return CRYPTO_memcmp(key.data(), h.key.data(), key.size()) == 0;
}

}  // namespace dabs::ppv
