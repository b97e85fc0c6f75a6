#include <string>

#include <lmdb.h>

#include <dabs/store/errc.h>

#include "lmdb_error.h"

namespace dabs::store {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.store"; }
  std::string message(int v) const override {
    switch (static_cast<Errc>(v)) {
      case Errc::kOk:
        return "ok";
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kInvalidKey:
        return "invalid key";
      case Errc::kValueTooLarge:
        return "value too large";
      case Errc::kMapFull:
        return "store map full";
      case Errc::kSchemaTooNew:
        return "store schema newer than this build";
      case Errc::kAlreadyOpen:
        return "store already open in this process";
      case Errc::kNestedTransaction:
        return "nested store transaction";
      case Errc::kForked:
        return "store used in a forked child";
      case Errc::kReadersFull:
        return "store reader slots full";
      case Errc::kCorrupted:
        return "store corrupted";
      case Errc::kIncompatible:
        return "store files incompatible";
      case Errc::kTooManyRetries:
        return "store transaction retried too often";
      case Errc::kLmdb:
        return "LMDB error";
      case Errc::kUnsafePermissions:
        return "state directory open to other users";
    }
    return "unknown store error " + std::to_string(v);
  }
};

Errc FromLmdb(int rc) {
  switch (rc) {
    case MDB_MAP_FULL:
      return Errc::kMapFull;
    case MDB_READERS_FULL:
      return Errc::kReadersFull;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_PANIC:
      return Errc::kCorrupted;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:
      return Errc::kIncompatible;
    case MDB_BAD_VALSIZE:
      return Errc::kInvalidKey;
    default:
      return Errc::kLmdb;
  }
}

}  // namespace

const std::error_category& StoreCategory() {
  static const Category category;
  return category;
}

namespace detail {

std::string_view SlotName(unsigned slot) {
  return slot == kMetaSlot ? std::string_view("meta") : DatabaseName(static_cast<Database>(slot));
}

Error LmdbError(int rc, std::string_view operation, std::string_view database) {
  std::string detail(operation);
  if (!database.empty()) detail.append(" [").append(database).append("]");
  detail.append(": ").append(mdb_strerror(rc));
  // LMDB returns errno values (EACCES, ENOSPC, EINVAL, ...) as they are, and its own
  // codes in MDB_KEYEXIST..MDB_LAST_ERRCODE (all negative).
  if (rc > 0) return Error{std::error_code(rc, std::system_category()), std::move(detail)};
  return Error{make_error_code(FromLmdb(rc)), std::move(detail)};
}

}  // namespace detail
}  // namespace dabs::store
