// Errors of the MP's cryptography: farm seals (docs/spec/farm-seal.md), session encryption
// (spec 6), and the secret files both read. Their own category ("dabs.crypto"), since
// mp::Errc 1..13 are NAK numbers that travel on the wire.
#pragma once

#include <string_view>
#include <system_error>

namespace dabs::mp {

enum class CryptoErrc {
  kOk = 0,
  kNoSuchFile = 1,        // a key file that is not there
  kUnsafeFile = 2,        // a secret readable by others, or owned by someone else
  kBadKey = 3,            // a key file whose contents are not a key of the expected kind
  kOpenSsl = 4,           // OpenSSL refused an operation (message in the detail)
  kAuthentication = 5,    // a tag or signature that does not verify
  kReplay = 6,            // a counter already seen, or older than the window
  kStale = 7,             // sealed too long ago, or too far in the future
  kUnknownKey = 8,        // sealed with a key this keyring does not hold
  kMalformed = 9,         // too short, or a field out of range
  kExhausted = 10,        // a counter that may not grow further under this key
  kKeyringConflict = 11,  // two keys with one id, removing the primary, ...
};

const std::error_category& CryptoCategory();

inline std::error_code make_error_code(CryptoErrc e) {
  return {static_cast<int>(e), CryptoCategory()};
}

// A short stable name ("replay", "stale", ...) for counters, logs and JSON.
std::string_view CryptoErrcName(CryptoErrc e);

}  // namespace dabs::mp

template <>
struct std::is_error_code_enum<dabs::mp::CryptoErrc> : std::true_type {};
