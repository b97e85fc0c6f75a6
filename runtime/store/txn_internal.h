// What the store's own code needs of a transaction and the public API hides: the database
// handles, the raw MDB_txn, and the private "meta" database (schema version, audit
// sequence). Private to the store.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include <lmdb.h>

#include <dabs/store/txn.h>

#include "lmdb_error.h"

namespace dabs::store::detail {

// The process's handles on the named databases (valid from Open until the Store goes) and
// the bounds every transaction checks. Written only while Open runs, read-only after.
struct Handles {
  std::array<MDB_dbi, kDatabaseCount + 1> dbis{};  // indexed by slot; kMetaSlot last
  size_t max_key_bytes = 0;
  size_t max_value_bytes = 0;
};

// Keys of the meta database.
inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr std::string_view kAuditNextSequenceKey = "audit_next_sequence";

struct TxnInternals {
  static MDB_txn* Raw(const ReadTxn& txn) { return txn.txn_; }
  static Result<std::optional<std::string_view>> GetMeta(const ReadTxn& txn, std::string_view key) {
    return txn.GetAt(kMetaSlot, key);
  }
  static Status PutMeta(WriteTxn& txn, std::string_view key, std::string_view value) {
    return txn.PutAt(kMetaSlot, key, value);
  }
  // WriteTxn::Check for LMDB calls made on the raw transaction.
  static Status Check(WriteTxn& txn, int rc, const char* operation, unsigned slot) {
    return txn.Check(rc, operation, slot);
  }
  static bool MapFull(const WriteTxn& txn) { return txn.map_full_; }
};

}  // namespace dabs::store::detail
