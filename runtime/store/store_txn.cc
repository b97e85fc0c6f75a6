// Transactions, and the map changes that make MDB_MAP_FULL and MDB_MAP_RESIZED invisible to
// callers: an attempt that meets one ends its transaction, the map is changed with no
// transaction of the process active (LMDB's rule for mdb_env_set_mapsize), and the whole
// function runs again.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <lmdb.h>

#include <dabs/store/errc.h>
#include <dabs/store/store.h>

#include "lmdb_error.h"
#include "process_guard.h"
#include "txn_internal.h"

namespace dabs::store {
namespace {

using detail::LmdbError;

// Each retry follows a map change; doubling from 1 byte to 64 TiB takes 46, so more than
// this means something keeps undoing our changes.
constexpr int kMaxAttempts = 64;

struct TxnAborter {
  void operator()(MDB_txn* txn) const { mdb_txn_abort(txn); }
};
// Aborts on every path, including an exception thrown by the caller's function: a write
// transaction left open would hold the writer lock of every process of the server.
using TxnPtr = std::unique_ptr<MDB_txn, TxnAborter>;

}  // namespace

Status Store::CheckCaller() const {
  if (detail::ForkGeneration() != fork_generation_) {
    return Error{make_error_code(Errc::kForked),
                 dir_.string() + " was opened before fork(): open it again after exec"};
  }
  if (detail::TxnScope::Active(this)) {
    return Error{make_error_code(Errc::kNestedTransaction),
                 "a Read or Write function called Read or Write of the same store"};
  }
  if (broken_.load()) {
    return Error{make_error_code(Errc::kLmdb),
                 "the map could not be restored after a failed resize"};
  }
  return Status::Ok();
}

Status Store::Read(const std::function<Status(const ReadTxn&)>& fn) const {
  if (Status s = CheckCaller(); !s) return s;
  detail::TxnScope scope(this);
  return Retrying([&] { return ReadOnce(fn); });
}

Status Store::Write(const std::function<Status(WriteTxn&)>& fn) {
  if (Status s = CheckCaller(); !s) return s;
  detail::TxnScope scope(this);
  bool first = true;
  return Retrying([&] {
    if (!std::exchange(first, false)) ++write_redos_;
    return WriteOnce(fn);
  });
}

Status Store::Retrying(const std::function<Attempt()>& once) const {
  for (int attempt = 1;; ++attempt) {
    const Attempt a = once();
    if (a.retry == Retry::kNo) return a.status;
    if (attempt == kMaxAttempts) {
      return Error{make_error_code(Errc::kTooManyRetries),
                   "gave up after " + std::to_string(kMaxAttempts) + " map changes"};
    }
    if (Status s = Recover(a); !s) return s;
  }
}

Store::Attempt Store::ReadOnce(const std::function<Status(const ReadTxn&)>& fn) const {
  std::shared_lock lock(map_mutex_);
  MDB_txn* raw = nullptr;
  const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
  if (rc == MDB_MAP_RESIZED) return {Status::Ok(), Retry::kAdoptMap};
  if (rc == MDB_READERS_FULL) {
    return {LmdbError(rc, "begin read transaction"), Retry::kClearReaders};
  }
  if (rc != 0) return {LmdbError(rc, "begin read transaction")};
  const TxnPtr txn(raw);  // a snapshot has nothing to commit
  const ReadTxn view(raw, *handles_);
  return {fn(view)};
}

Store::Attempt Store::WriteOnce(const std::function<Status(WriteTxn&)>& fn) {
  // Declared before the transaction, so released after it ends on every path.
  std::shared_lock lock(map_mutex_);
  const uint64_t map_bytes = MapBytes();
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
  if (rc == MDB_MAP_RESIZED) return {Status::Ok(), Retry::kAdoptMap, map_bytes};
  if (rc != 0) return {LmdbError(rc, "begin write transaction")};
  TxnPtr txn(raw);
  WriteTxn view(raw, *handles_);
  const Status s = fn(view);
  // After MDB_MAP_FULL LMDB refuses the transaction whatever the function made of it.
  if (detail::TxnInternals::MapFull(view)) return {Status::Ok(), Retry::kGrowMap, map_bytes};
  if (!s) return {s};
  // mdb_txn_commit frees the transaction whether it succeeds or not.
  rc = mdb_txn_commit(txn.release());
  if (rc == MDB_MAP_FULL) return {Status::Ok(), Retry::kGrowMap, map_bytes};
  if (rc != 0) return {LmdbError(rc, "commit")};
  return {};
}

Status Store::Recover(const Attempt& attempt) const {
  switch (attempt.retry) {
    case Retry::kGrowMap:
      return GrowMap(attempt.map_bytes);
    case Retry::kAdoptMap:
      return AdoptMapSize();
    case Retry::kClearReaders: {
      int dead = 0;
      if (mdb_reader_check(env_, &dead) != 0 || dead == 0) return attempt.status;
      return Status::Ok();
    }
    case Retry::kNo:
      break;
  }
  return attempt.status;
}

Status Store::GrowMap(uint64_t seen_bytes) const {
  std::unique_lock lock(map_mutex_);
  const uint64_t current = MapBytes();
  if (current > seen_bytes) return Status::Ok();  // another thread grew it meanwhile
  // Another process may have grown the map and committed past our end already: its size
  // is on disk, and adopting it may be enough.
  if (Status s = Remap(0, "adopt map size"); !s) return s;
  if (MapBytes() > current) {
    ++map_adoptions_;
    return Status::Ok();
  }
  if (current >= options_.max_map_bytes) {
    if (Status s = Remap(current, "restore map size"); !s) return s;
    return Error{make_error_code(Errc::kMapFull), "the map of " + std::to_string(current) +
                                                      " bytes is at StoreOptions::max_map_bytes"};
  }
  if (Status s = Remap(std::min(options_.max_map_bytes, current * 2), "grow map"); !s) return s;
  ++map_grows_;
  return Status::Ok();
}

Status Store::AdoptMapSize() const {
  std::unique_lock lock(map_mutex_);
  const uint64_t before = MapBytes();
  if (Status s = Remap(0, "adopt map size"); !s) return s;
  if (MapBytes() != before) ++map_adoptions_;
  return Status::Ok();
}

Status Store::Remap(uint64_t bytes, const char* why) const {
  const uint64_t before = MapBytes();
  const int rc = mdb_env_set_mapsize(env_, bytes);
  if (rc == 0) return Status::Ok();
  // LMDB unmapped the old map before failing to map the new one (address space, ENOMEM):
  // put the old size back, or no transaction may run again.
  if (mdb_env_set_mapsize(env_, before) != 0) broken_ = true;
  return LmdbError(rc, why);
}

}  // namespace dabs::store
