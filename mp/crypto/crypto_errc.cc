#include <string>

#include <dabs/mp/crypto_errc.h>

namespace dabs::mp {

std::string_view CryptoErrcName(CryptoErrc e) {
  switch (e) {
    case CryptoErrc::kOk:
      return "ok";
    case CryptoErrc::kNoSuchFile:
      return "no_such_file";
    case CryptoErrc::kUnsafeFile:
      return "unsafe_file";
    case CryptoErrc::kBadKey:
      return "bad_key";
    case CryptoErrc::kOpenSsl:
      return "openssl";
    case CryptoErrc::kAuthentication:
      return "authentication";
    case CryptoErrc::kReplay:
      return "replay";
    case CryptoErrc::kStale:
      return "stale";
    case CryptoErrc::kUnknownKey:
      return "unknown_key";
    case CryptoErrc::kMalformed:
      return "malformed";
    case CryptoErrc::kExhausted:
      return "exhausted";
    case CryptoErrc::kKeyringConflict:
      return "keyring_conflict";
  }
  return "unknown";
}

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.crypto"; }
  std::string message(int v) const override {
    switch (static_cast<CryptoErrc>(v)) {
      case CryptoErrc::kOk:
        return "ok";
      case CryptoErrc::kNoSuchFile:
        return "key file not found";
      case CryptoErrc::kUnsafeFile:
        return "key file not private";
      case CryptoErrc::kBadKey:
        return "not a valid key";
      case CryptoErrc::kOpenSsl:
        return "OpenSSL error";
      case CryptoErrc::kAuthentication:
        return "authentication failed";
      case CryptoErrc::kReplay:
        return "replayed";
      case CryptoErrc::kStale:
        return "outside the time window";
      case CryptoErrc::kUnknownKey:
        return "sealed with an unknown key";
      case CryptoErrc::kMalformed:
        return "malformed sealed datagram";
      case CryptoErrc::kExhausted:
        return "counter exhausted under this key";
      case CryptoErrc::kKeyringConflict:
        return "keyring conflict";
    }
    return "crypto error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& CryptoCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::mp
