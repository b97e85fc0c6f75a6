#include "schema.h"

#include <string>

#include <dabs/mp/coding.h>
#include <dabs/store/errc.h>

namespace dabs::store::detail {
namespace {

Status WriteVersion(WriteTxn& txn, uint32_t version) {
  uint8_t bytes[4];
  mp::PutU32(bytes, version);
  return TxnInternals::PutMeta(txn, kSchemaVersionKey,
                               std::string_view(reinterpret_cast<const char*>(bytes), 4));
}

}  // namespace

Status OpenDatabases(WriteTxn& txn, Handles& handles) {
  for (unsigned slot = 0; slot <= kMetaSlot; ++slot) {
    const std::string name(SlotName(slot));
    // Creating a database writes to the main one, so this too can meet MDB_MAP_FULL.
    const int rc =
        mdb_dbi_open(TxnInternals::Raw(txn), name.c_str(), MDB_CREATE, &handles.dbis[slot]);
    if (Status s = TxnInternals::Check(txn, rc, "open database", slot); !s) return s;
  }
  return Status::Ok();
}

Result<uint32_t> CheckSchema(WriteTxn& txn, const StoreOptions& options) {
  const uint32_t ours = options.schema_version;
  auto stored = TxnInternals::GetMeta(txn, kSchemaVersionKey);
  if (!stored) return stored.error();
  if (!stored->has_value()) {
    if (Status s = WriteVersion(txn, ours); !s) return s.error();
    return ours;
  }
  const std::string_view bytes = **stored;
  if (bytes.size() != 4) {
    return Error{make_error_code(Errc::kCorrupted),
                 "schema version record of " + std::to_string(bytes.size()) + " bytes"};
  }
  const uint32_t on_disk = mp::GetU32(reinterpret_cast<const uint8_t*>(bytes.data()));
  if (on_disk == ours) return ours;
  if (on_disk > ours) {
    return Error{make_error_code(Errc::kSchemaTooNew),
                 "the store holds schema " + std::to_string(on_disk) + ", this build knows up to " +
                     std::to_string(ours) + ": run a newer build"};
  }
  if (options.migrate) {
    if (Status s = options.migrate(txn, on_disk, ours); !s) return s.error();
  }
  if (Status s = WriteVersion(txn, ours); !s) return s.error();
  return ours;
}

}  // namespace dabs::store::detail
