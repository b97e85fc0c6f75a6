#include <memory>
#include <string>

#include <lmdb.h>

#include <dabs/store/errc.h>
#include <dabs/store/txn.h>

#include "lmdb_error.h"
#include "txn_internal.h"

namespace dabs::store {
namespace {

using detail::LmdbError;
using detail::SlotName;

MDB_val Val(std::string_view s) {
  // LMDB never writes through a key or a value given to it.
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view View(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// The slot of a public database; values outside the enum (a cast) would otherwise index
// past the handles or reach the private meta database.
Result<unsigned> SlotOf(Database db) {
  const auto slot = static_cast<unsigned>(db);
  if (slot >= kDatabaseCount) {
    return Error{make_error_code(Errc::kInvalidArgument),
                 "no database numbered " + std::to_string(slot)};
  }
  return slot;
}

struct CursorCloser {
  void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using CursorPtr = std::unique_ptr<MDB_cursor, CursorCloser>;

}  // namespace

Status ReadTxn::CheckKey(std::string_view key, const char* operation, unsigned slot) const {
  if (!key.empty() && key.size() <= handles_.max_key_bytes) return Status::Ok();
  return Error{make_error_code(Errc::kInvalidKey),
               std::string(operation) + " [" + std::string(SlotName(slot)) + "]: key of " +
                   std::to_string(key.size()) + " bytes (allowed 1.." +
                   std::to_string(handles_.max_key_bytes) + ")"};
}

Result<std::optional<std::string_view>> ReadTxn::GetAt(unsigned slot, std::string_view key) const {
  if (Status s = CheckKey(key, "get", slot); !s) return s.error();
  MDB_val k = Val(key);
  MDB_val v{};
  const int rc = mdb_get(txn_, handles_.dbis[slot], &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return LmdbError(rc, "get", SlotName(slot));
  return std::optional<std::string_view>(View(v));
}

Result<std::optional<std::string_view>> ReadTxn::Get(Database db, std::string_view key) const {
  auto slot = SlotOf(db);
  if (!slot) return slot.error();
  return GetAt(*slot, key);
}

Status ReadTxn::ForEach(Database db, std::string_view prefix, const Visitor& visit,
                        std::string_view start) const {
  auto slot = SlotOf(db);
  if (!slot) return slot.error();
  if (!prefix.empty()) {
    if (Status s = CheckKey(prefix, "scan prefix", *slot); !s) return s;
  }
  if (!start.empty()) {
    if (Status s = CheckKey(start, "scan start", *slot); !s) return s;
  }
  MDB_cursor* raw = nullptr;
  if (int rc = mdb_cursor_open(txn_, handles_.dbis[*slot], &raw); rc != 0) {
    return LmdbError(rc, "open cursor", SlotName(*slot));
  }
  CursorPtr cursor(raw);
  // The first key that can match is the larger of the prefix and the start key.
  const std::string_view first = std::max(prefix, start);
  MDB_val k = Val(first);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, first.empty() ? MDB_FIRST : MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    const std::string_view key = View(k);
    if (!key.starts_with(prefix)) return Status::Ok();  // sorted: no later key matches
    if (visit(key, View(v)) == Visit::kStop) return Status::Ok();
  }
  if (rc == MDB_NOTFOUND) return Status::Ok();
  return LmdbError(rc, "scan", SlotName(*slot));
}

Status WriteTxn::Check(int rc, const char* operation, unsigned slot) {
  if (rc == 0) return Status::Ok();
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return LmdbError(rc, operation, SlotName(slot));
}

Status WriteTxn::PutAt(unsigned slot, std::string_view key, std::string_view value) {
  if (Status s = CheckKey(key, "put", slot); !s) return s;
  if (value.size() > handles_.max_value_bytes) {
    return Error{make_error_code(Errc::kValueTooLarge),
                 "put [" + std::string(SlotName(slot)) + "]: value of " +
                     std::to_string(value.size()) + " bytes (allowed " +
                     std::to_string(handles_.max_value_bytes) + ")"};
  }
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  return Check(mdb_put(txn_, handles_.dbis[slot], &k, &v, 0), "put", slot);
}

Status WriteTxn::Put(Database db, std::string_view key, std::string_view value) {
  auto slot = SlotOf(db);
  if (!slot) return slot.error();
  return PutAt(*slot, key, value);
}

Result<bool> WriteTxn::Delete(Database db, std::string_view key) {
  auto slot = SlotOf(db);
  if (!slot) return slot.error();
  if (Status s = CheckKey(key, "delete", *slot); !s) return s.error();
  MDB_val k = Val(key);
  const int rc = mdb_del(txn_, handles_.dbis[*slot], &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (Status s = Check(rc, "delete", *slot); !s) return s.error();
  return true;
}

Status WriteTxn::DeleteAll(Database db) {
  auto slot = SlotOf(db);
  if (!slot) return slot.error();
  return Check(mdb_drop(txn_, handles_.dbis[*slot], 0), "delete all", *slot);
}

}  // namespace dabs::store
