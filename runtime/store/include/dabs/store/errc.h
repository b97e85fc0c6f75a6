// The store's error vocabulary (category "dabs.store"). LMDB's own return codes are turned
// into these; an errno from LMDB (EACCES, ENOSPC, ...) keeps std::system_category. Either
// way the Error's detail names the operation, the database and mdb_strerror's text.
#pragma once

#include <system_error>

namespace dabs::store {

enum class Errc {
  kOk = 0,
  kInvalidArgument = 1,     // bad StoreOptions, or an argument out of its documented bounds
  kInvalidKey = 2,          // empty, or longer than Store::max_key_bytes()
  kValueTooLarge = 3,       // longer than StoreOptions::max_value_bytes
  kMapFull = 4,             // the map reached StoreOptions::max_map_bytes
  kSchemaTooNew = 5,        // the files were written by a newer build than this one
  kAlreadyOpen = 6,         // this process already has a Store on that directory
  kNestedTransaction = 7,   // Read/Write called from inside a Read/Write of the same Store
  kForked = 8,              // the Store was opened before a fork(): the child may not use it
  kReadersFull = 9,         // every reader slot is taken (StoreOptions::max_readers)
  kCorrupted = 10,          // LMDB found damage, or a record of the store's own is malformed
  kIncompatible = 11,       // files of another LMDB version or format
  kTooManyRetries = 12,     // a transaction kept meeting map changes; should never happen
  kLmdb = 13,               // any other LMDB code: see the detail
  kUnsafePermissions = 14,  // a state directory other users can reach, and not ours to change
};

// The "dabs.store" category. Thread-safe.
const std::error_category& StoreCategory();

inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), StoreCategory()};
}

}  // namespace dabs::store

template <>
struct std::is_error_code_enum<dabs::store::Errc> : std::true_type {};
