// The work of the transaction that opens a store: creating the named databases and
// checking or raising the schema version (private to the store).
#pragma once

#include <cstdint>

#include <dabs/mp/result.h>
#include <dabs/store/options.h>
#include <dabs/store/txn.h>

#include "txn_internal.h"

namespace dabs::store::detail {

// Opens, creating those missing, every named database and the meta database in the
// write transaction `txn`, and records their handles. LMDB closes the handles again if
// the transaction aborts, so this runs in every attempt of the opening transaction.
// REQUIRES: no other transaction of the process opens databases at the same time.
Status OpenDatabases(WriteTxn& txn, Handles& handles);

// Reads the schema version in meta: none (a new store) -> writes options.schema_version;
// newer -> kSchemaTooNew; older -> runs options.migrate, then stores the new number.
// Returns the version stored when the transaction commits.
Result<uint32_t> CheckSchema(WriteTxn& txn, const StoreOptions& options);

}  // namespace dabs::store::detail
