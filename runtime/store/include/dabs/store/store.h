// A server's store: one LMDB environment in a directory, shared by every daemon of the
// server (dabs-lbd, dabs-statd, dabs-configd), with the named databases of database.h.
//
//   auto store = Store::Open("/var/lib/dabs/store");
//   if (!store) return store.error();
//   Status s = (*store)->Write([&](WriteTxn& txn) {
//     return txn.Put(Database::kConfig, "heartbeat_ms", "500");
//   });
//
// Processes. Open a Store after exec, never before a fork: a Store opened before fork() is
// unusable in the child (its calls fail with kForked). One Store per directory per process
// (a second Open fails with kAlreadyOpen): share it between threads instead.
//
// Durability. When Write returns Ok the transaction is committed and, with the default
// Durability::kFull, on disk: a crash or kill of any process afterwards loses none of it.
// A process killed inside a transaction leaves nothing of it and blocks no later writer.
//
// The map. LMDB maps the file into a fixed address range. When a write does not fit, the
// store aborts the transaction, doubles the map (up to StoreOptions::max_map_bytes) and
// runs the function again; a process whose view is smaller than another's adopts the larger
// size when LMDB says so (MDB_MAP_RESIZED). Changing the map needs every transaction of the
// process to have ended, so growth waits for running Read and Write functions.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <shared_mutex>

#include <dabs/mp/result.h>
#include <dabs/store/database.h>
#include <dabs/store/options.h>
#include <dabs/store/txn.h>

struct MDB_env;

namespace dabs::store {

namespace detail {
class DirectoryClaim;
}

// What this process has seen of the map. A snapshot; counters only grow.
struct StoreStats {
  uint64_t map_bytes = 0;      // the size of this process's map now
  uint64_t used_bytes = 0;     // pages in use by the last committed transaction
  uint64_t map_grows = 0;      // times this process enlarged the map itself
  uint64_t map_adoptions = 0;  // times it took a larger size another process had set
  uint64_t write_redos = 0;    // write transactions run again after a map change
};

class Store {
 public:
  // Opens (creating if needed) the store in `dir`: creates the directory (0700, or makes an
  // existing one private: private_files.h) and every named database, clears reader slots left
  // by dead processes, and checks the schema version (newer on disk: kSchemaTooNew; older:
  // options.migrate runs and the number is raised).
  // The Store owns the environment; keep it for the life of the process. Thread-safe.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& dir,
                                             const StoreOptions& options = {});

  // REQUIRES: no Read or Write of this Store is running on any thread.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `fn` in a read transaction (a snapshot) and returns what it returns.
  // Thread-safe: any number of threads may read at once, and read while another writes.
  // REQUIRES: `fn` calls no Read or Write of this Store (kNestedTransaction) and does not
  // wait for another thread's store call.
  Status Read(const std::function<Status(const ReadTxn&)>& fn) const;

  // Runs `fn` in a write transaction and commits it if `fn` returns Ok; aborts it and
  // returns the error otherwise. `fn` may run more than once (the map grew): it must have
  // no side effects outside the transaction, and other threads' and processes' writers
  // wait while it runs, so keep it short. Thread-safe; writers are serialised.
  // REQUIRES: as for Read.
  Status Write(const std::function<Status(WriteTxn&)>& fn);

  // Frees the reader slots of processes that died inside a read transaction (kill -9) and
  // returns how many it freed. Open does this once; a supervisor may call it again after a
  // child died. Thread-safe.
  Result<int> ClearStaleReaders();

  // How many slots Open freed. Thread-safe.
  int stale_readers_cleared_at_open() const { return cleared_at_open_; }
  // The schema version on disk after Open (StoreOptions::schema_version). Thread-safe.
  uint32_t schema_version() const { return schema_version_; }
  // The longest key LMDB accepts (511 bytes with Debian's build). Thread-safe.
  size_t max_key_bytes() const;
  // Thread-safe.
  const std::filesystem::path& directory() const { return dir_; }
  // Thread-safe.
  StoreStats stats() const;

 private:
  enum class Retry { kNo, kGrowMap, kAdoptMap, kClearReaders };
  struct Attempt {
    Status status;
    Retry retry = Retry::kNo;
    uint64_t map_bytes = 0;  // the map size the attempt ran with
  };

  Store(std::filesystem::path dir, const StoreOptions& options);
  Status OpenEnvironment();
  Status PrepareDatabases();

  // Runs `once` until it needs no retry, changing the map between attempts as it asks.
  Status Retrying(const std::function<Attempt()>& once) const;
  Attempt ReadOnce(const std::function<Status(const ReadTxn&)>& fn) const;
  Attempt WriteOnce(const std::function<Status(WriteTxn&)>& fn);
  Status Recover(const Attempt& attempt) const;
  Status GrowMap(uint64_t seen_bytes) const;
  Status AdoptMapSize() const;
  // REQUIRES: map_mutex_ held exclusively. `bytes` 0 adopts the size on disk.
  Status Remap(uint64_t bytes, const char* why) const;
  // REQUIRES: map_mutex_ held (either way).
  uint64_t MapBytes() const;
  // kForked or kNestedTransaction if this thread may not begin a transaction here.
  Status CheckCaller() const;

  std::filesystem::path dir_;
  StoreOptions options_;
  std::unique_ptr<detail::DirectoryClaim> claim_;
  MDB_env* env_ = nullptr;
  std::unique_ptr<detail::Handles> handles_;
  uint64_t fork_generation_ = 0;
  int cleared_at_open_ = 0;
  uint32_t schema_version_ = 0;

  // Held shared by every running transaction of this process and exclusively to change
  // the map: LMDB requires that no transaction of the process be active then.
  mutable std::shared_mutex map_mutex_;
  mutable std::atomic<bool> broken_{false};  // a remap failed and could not be undone
  mutable std::atomic<uint64_t> map_grows_{0};
  mutable std::atomic<uint64_t> map_adoptions_{0};
  mutable std::atomic<uint64_t> write_redos_{0};
};

}  // namespace dabs::store
