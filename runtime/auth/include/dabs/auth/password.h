// Password hashes for the farm's users (users[].password_hash in the farm file): made by
// `dabsctl passwd`, checked by the web GUI's login (dabs-configd).
//
//   pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>
//
// PBKDF2-HMAC-SHA256 (OpenSSL), a 16-byte random salt and a 32-byte derived key, base64 with
// padding (RFC 4648). The iteration count travels in the hash, so it can be raised later
// without invalidating the hashes already in configurations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>

namespace dabs::auth {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256. On one 2020s server core a check takes about
// 0.1-0.2 s: slow for an offline guesser (about 5 guesses per second per core), still fine
// for a person logging in once per GUI session. Not for checking on every HTTP request: the
// GUI should keep a session after one successful login.
inline constexpr uint32_t kDefaultIterations = 600'000;
// The counts VerifyPassword accepts. Below the minimum a hash is too weak to honour; above
// the maximum a check would take seconds, a denial of service from a doctored hash.
inline constexpr uint32_t kMinIterations = 1'000;
inline constexpr uint32_t kMaxIterations = 10'000'000;

// Longer passwords are refused (HashPassword) or never match (VerifyPassword).
inline constexpr size_t kMaxPasswordBytes = 4096;

inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kKeyBytes = 32;
inline constexpr std::string_view kScheme = "pbkdf2-sha256";

// The hash of `password` with a fresh salt from the system's random source (RAND_bytes).
// Fails (mp::Errc::kMalformed) when `iterations` is outside [kMinIterations,
// kMaxIterations], the password is longer than kMaxPasswordBytes, or the random source
// fails. Thread-safe.
Result<std::string> HashPassword(std::string_view password,
                                 uint32_t iterations = kDefaultIterations);

// True when `password` matches `hash`. The comparison of the derived keys takes the same
// time wherever they differ (CRYPTO_memcmp). A malformed hash, an unknown scheme or an
// iteration count out of bounds gives false, never a crash. Thread-safe.
bool VerifyPassword(std::string_view password, std::string_view hash);

}  // namespace dabs::auth
