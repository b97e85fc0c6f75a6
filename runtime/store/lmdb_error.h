// Turning LMDB return codes into dabs Errors (private to the store).
#pragma once

#include <string_view>

#include <dabs/mp/result.h>
#include <dabs/store/database.h>

namespace dabs::store::detail {

// The slot of the store's private database; slots below it are Database values.
inline constexpr unsigned kMetaSlot = kDatabaseCount;

// "config", ..., "audit", or "meta".
std::string_view SlotName(unsigned slot);

// An Error for LMDB's `rc` (REQUIRES: rc != 0): LMDB's own codes map to store::Errc,
// errno values keep std::system_category. The detail reads
// "<operation> [<database>]: <mdb_strerror text>".
Error LmdbError(int rc, std::string_view operation, std::string_view database = {});

}  // namespace dabs::store::detail
