// PBKDF2-HMAC-SHA256 password hashes (password.h): hashing, strict parsing, checking.
#include <charconv>
#include <optional>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <dabs/auth/password.h>
#include <dabs/mp/errc.h>

namespace dabs::auth {

namespace {

// Bounds on what a stored hash may carry, checked before anything is allocated.
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinKeyBytes = 16;
constexpr size_t kMaxKeyBytes = 64;

Error Malformed(std::string what) {
  return Error{make_error_code(mp::Errc::kMalformed), std::move(what)};
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

// Strict RFC 4648 base64 with padding. EVP_DecodeBlock alone skips blanks and counts the
// padding as zero bytes, so the text is checked first and the padding taken off after.
std::optional<std::vector<uint8_t>> FromBase64(std::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() % 4 != 0 || text.size() / 4 * 3 > max_bytes + 2) {
    return std::nullopt;
  }
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=')
    ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!IsBase64Char(text[i])) return std::nullopt;
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  if (out.size() > max_bytes) return std::nullopt;
  return out;
}

bool Derive(std::string_view password, const std::vector<uint8_t>& salt, uint32_t iterations,
            std::vector<uint8_t>& key) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), static_cast<int>(iterations),
                           EVP_sha256(), static_cast<int>(key.size()), key.data()) == 1;
}

struct ParsedHash {
  uint32_t iterations = 0;
  std::vector<uint8_t> salt, key;
};

// scheme$iterations$salt$key, every part checked; nullopt for anything else.
std::optional<ParsedHash> Parse(std::string_view hash) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dollar = hash.find('$', start);
    parts.push_back(hash.substr(start, dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 4 || parts[0] != kScheme) return std::nullopt;
  ParsedHash p;
  const std::string_view count = parts[1];
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), p.iterations);
  if (ec != std::errc() || end != count.data() + count.size() || count.empty() || count[0] == '0' ||
      p.iterations < kMinIterations || p.iterations > kMaxIterations) {
    return std::nullopt;
  }
  auto salt = FromBase64(parts[2], kMaxSaltBytes);
  auto key = FromBase64(parts[3], kMaxKeyBytes);
  if (!salt || !key || key->size() < kMinKeyBytes) return std::nullopt;
  p.salt = std::move(*salt);
  p.key = std::move(*key);
  return p;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, uint32_t iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return Malformed("iterations must be " + std::to_string(kMinIterations) + " to " +
                     std::to_string(kMaxIterations) + ", got " + std::to_string(iterations));
  }
  if (password.size() > kMaxPasswordBytes) {
    return Malformed("passwords are limited to " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  std::vector<uint8_t> salt(kSaltBytes), key(kKeyBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return Malformed("the random source failed (RAND_bytes)");
  }
  if (!Derive(password, salt, iterations, key)) return Malformed("PKCS5_PBKDF2_HMAC failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + Base64(salt) + "$" +
         Base64(key);
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (password.size() > kMaxPasswordBytes) return false;
  auto parsed = Parse(hash);
  if (!parsed) return false;
  std::vector<uint8_t> key(parsed->key.size());
  if (!Derive(password, parsed->salt, parsed->iterations, key)) return false;
  return CRYPTO_memcmp(key.data(), parsed->key.data(), key.size()) == 0;
}

}  // namespace dabs::auth
