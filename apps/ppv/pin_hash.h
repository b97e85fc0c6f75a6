// Purchase PINs are kept as salted PBKDF2-HMAC-SHA256 hashes, in the text form of the farm
// file's password hashes (docs/decisions.md D35): pbkdf2-sha256$ITERATIONS$SALT$KEY, salt and
// key in base64 with padding. A hash from `dabsctl passwd` is therefore accepted too.
//
// Why not runtime/auth's code: apps depend on the frameworks and mp only (DESIGN.md section
// 2), so this is a small implementation of the same format on OpenSSL. Why a modest
// iteration count (kDefaultPinIterations, about 1 ms here) rather than D35's 600,000: a PIN
// is checked on every purchase, by a worker that serves other viewers meanwhile, and a
// 4-digit PIN has 10,000 values, which no iteration count protects against an offline
// search of a stolen file. What protects a PIN is the per-subscriber lockout, enforced
// online; the hash keeps PINs out of plain sight (files, backups, config exports) and the
// salt makes every subscriber's search separate.
//
// Thread safety: all functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::ppv {

inline constexpr uint32_t kDefaultPinIterations = 4096;
inline constexpr uint32_t kMinPinIterations = 1000;
inline constexpr uint32_t kMaxPinIterations = 10'000'000;
inline constexpr size_t kPinSaltBytes = 16;
inline constexpr size_t kPinKeyBytes = 32;

struct PinHash {
  uint32_t iterations = 0;
  std::vector<uint8_t> salt;  // 8..64 bytes
  std::vector<uint8_t> key;   // kPinKeyBytes
};

// kBadPinHash, with what is wrong, unless `text` is a well-formed hash.
Result<PinHash> ParsePinHash(std::string_view text);
std::string FormatPinHash(const PinHash& h);
// A new hash of `pin` with a random salt. kCrypto if OpenSSL fails.
Result<std::string> HashPin(std::string_view pin, uint32_t iterations = kDefaultPinIterations);
// Whether `pin` matches; the comparison takes the same time whatever the bytes.
bool VerifyPin(const PinHash& h, std::string_view pin);

}  // namespace dabs::ppv
