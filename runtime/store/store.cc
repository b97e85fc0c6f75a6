// Opening and closing a store, and what it reports about itself. Transactions and map
// changes are in store_txn.cc.
#include <string>

#include <lmdb.h>

#include <dabs/store/errc.h>
#include <dabs/store/private_files.h>
#include <dabs/store/store.h>

#include "lmdb_error.h"
#include "process_guard.h"
#include "schema.h"
#include "txn_internal.h"

namespace dabs::store {
namespace {

using detail::LmdbError;

Status InvalidOption(const std::string& what) {
  return Error{make_error_code(Errc::kInvalidArgument), "StoreOptions: " + what};
}

Status Validate(const StoreOptions& o) {
  if (o.initial_map_bytes == 0) return InvalidOption("initial_map_bytes is 0");
  if (o.max_map_bytes < o.initial_map_bytes) {
    return InvalidOption("max_map_bytes is below initial_map_bytes");
  }
  // Doubling must not overflow, and no machine maps more than this.
  if (o.max_map_bytes > (uint64_t{1} << 46)) return InvalidOption("max_map_bytes over 64 TiB");
  if (o.max_readers == 0) return InvalidOption("max_readers is 0");
  if (o.max_value_bytes == 0 || o.max_value_bytes > 0xFFFF'FFFF) {
    return InvalidOption("max_value_bytes must be in 1..4 GiB-1");
  }
  if (o.schema_version == 0) return InvalidOption("schema_version is 0");
  return Status::Ok();
}

}  // namespace

Store::Store(std::filesystem::path dir, const StoreOptions& options)
    : dir_(std::move(dir)), options_(options), handles_(std::make_unique<detail::Handles>()) {}

Store::~Store() {
  // Closes the database handles too. Before claim_ goes, so that no second environment
  // on this directory can exist in the process even for a moment.
  if (env_ != nullptr) mdb_env_close(env_);
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& dir,
                                           const StoreOptions& options) {
  if (Status s = Validate(options); !s) return s.error();
  auto private_dir = EnsurePrivateDirectory(dir, "data.mdb");
  if (!private_dir) return private_dir.error();
  auto claim = detail::DirectoryClaim::Make(dir);
  if (!claim) return claim.error();
  std::unique_ptr<Store> store(new Store(dir, options));
  store->claim_ = std::move(*claim);
  if (Status s = store->OpenEnvironment(); !s) return s.error();
  if (Status s = store->PrepareDatabases(); !s) return s.error();
  return store;
}

Status Store::OpenEnvironment() {
  fork_generation_ = detail::ForkGeneration();
  if (int rc = mdb_env_create(&env_); rc != 0) {
    env_ = nullptr;
    return LmdbError(rc, "create environment");
  }
  // Every process of a server passes the same flags and max_readers (LMDB keeps no record
  // of them to check). MDB_NOTLS ties a reader slot to the transaction, not the thread, so
  // any thread of a pool may run any Read. Never MDB_NOSYNC: acknowledged writes must
  // survive an operating-system crash.
  unsigned flags = MDB_NOTLS;
  if (options_.durability == Durability::kNoMetaSync) flags |= MDB_NOMETASYNC;
  int rc = mdb_env_set_maxreaders(env_, options_.max_readers);
  if (rc == 0) rc = mdb_env_set_maxdbs(env_, kDatabaseCount + 1);
  if (rc == 0) rc = mdb_env_set_mapsize(env_, options_.initial_map_bytes);
  if (rc != 0) return LmdbError(rc, "configure environment");
  if (rc = mdb_env_open(env_, dir_.c_str(), flags, options_.file_mode); rc != 0) {
    return LmdbError(rc, "open environment " + dir_.string());
  }
  // file_mode applies only to files LMDB creates; older builds' files may be 0644.
  for (const char* file : {"data.mdb", "lock.mdb"}) {
    if (Status s = TightenPrivateFile(dir_ / file); !s) return s;
  }
  handles_->max_key_bytes = static_cast<size_t>(mdb_env_get_maxkeysize(env_));
  handles_->max_value_bytes = options_.max_value_bytes;
  // Slots of processes killed inside a read transaction would keep their snapshots'
  // pages from reuse, and the file would grow without bound.
  if (rc = mdb_reader_check(env_, &cleared_at_open_); rc != 0) {
    return LmdbError(rc, "clear stale readers");
  }
  return Status::Ok();
}

Status Store::PrepareDatabases() {
  uint32_t version = 0;
  Status s = Write([&](WriteTxn& txn) -> Status {
    if (Status o = detail::OpenDatabases(txn, *handles_); !o) return o;
    auto v = detail::CheckSchema(txn, options_);
    if (!v) return v.error();
    version = *v;
    return Status::Ok();
  });
  if (!s) return s;
  schema_version_ = version;
  return Status::Ok();
}

Result<int> Store::ClearStaleReaders() {
  int dead = 0;
  if (int rc = mdb_reader_check(env_, &dead); rc != 0) return LmdbError(rc, "clear stale readers");
  return dead;
}

size_t Store::max_key_bytes() const {
  return handles_->max_key_bytes;
}

uint64_t Store::MapBytes() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

StoreStats Store::stats() const {
  // The map may not move while LMDB's view of it is read. A thread inside a transaction
  // of this store already holds the lock (and may not take it twice).
  std::shared_lock lock(map_mutex_, std::defer_lock);
  if (!detail::TxnScope::Active(this)) lock.lock();
  StoreStats out;
  out.map_grows = map_grows_.load();
  out.map_adoptions = map_adoptions_.load();
  out.write_redos = write_redos_.load();
  if (broken_.load()) return out;  // no map to look at
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  MDB_stat stat{};
  mdb_env_stat(env_, &stat);
  out.map_bytes = info.me_mapsize;
  out.used_bytes = (info.me_last_pgno + 1) * uint64_t{stat.ms_psize};
  return out;
}

}  // namespace dabs::store
