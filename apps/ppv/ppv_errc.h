// The pay-per-view application's own error category ("dabs.ppv"): its failures are not MP
// NAK numbers (mp::Errc 1..13 travel on the wire), so they get their own codes.
#pragma once

#include <string>
#include <system_error>

#include <dabs/mp/result.h>

namespace dabs::ppv {

enum class PpvErrc {
  kBadCatalogue = 1,  // the catalogue file is missing or invalid (details: file:line:column)
  kBadPinHash = 2,    // a PIN hash is not pbkdf2-sha256$ITERATIONS$SALT$KEY
  kLedger = 3,        // LMDB refused an operation (the detail names it and LMDB's reason)
  kLedgerFull = 4,    // the ledger's map is full
  kLedgerBusy = 5,    // too many purchases wait for the ledger's writer
  kStopped = 6,       // the ledger is closing
  kCrypto = 7,        // OpenSSL failed (random bytes, PBKDF2)
};

const std::error_category& PpvCategory();

inline std::error_code make_error_code(PpvErrc e) {
  return {static_cast<int>(e), PpvCategory()};
}

inline Error PpvError(PpvErrc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

}  // namespace dabs::ppv

template <>
struct std::is_error_code_enum<dabs::ppv::PpvErrc> : std::true_type {};
