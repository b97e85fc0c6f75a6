// How a process opens a server's store. Every process of one server must open it with the
// same durability and max_readers (daemons take both from StoreOptions' defaults); map sizes
// may differ, since each process grows its own view of the map (see store.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include <sys/types.h>

#include <dabs/mp/result.h>

namespace dabs::store {

class WriteTxn;

// The layout version this build reads and writes. Bump it, and teach the migration hook
// the step, whenever the meaning of any stored key or value changes.
inline constexpr uint32_t kSchemaVersion = 1;

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

enum class Durability {
  // Every committed transaction is on disk (data and meta page fsynced) when Write returns.
  kFull,
  // MDB_NOMETASYNC: the data is fsynced but the meta page is not, so an operating-system
  // crash or power cut may undo the last committed transactions (never corrupt the store).
  // A killed process loses nothing. About twice the commits per second.
  kNoMetaSync,
};

// Brings the data from schema version `from` to `to` (from < to) inside the transaction
// that opens the store. It may run more than once (the transaction is redone if the map
// grows), so it must have no side effects outside the transaction.
using MigrationHook = std::function<Status(WriteTxn& txn, uint32_t from, uint32_t to)>;

struct StoreOptions {
  // The map is a sparse reservation of address space, not disk: start large so that growth
  // (which must wait for every transaction of the process to end) is rare.
  uint64_t initial_map_bytes = 1 * kGiB;
  // Growth doubles the map up to this; a write that still does not fit fails with kMapFull.
  uint64_t max_map_bytes = 64 * kGiB;
  // Reader slots in the lock file, shared by every process (one per live read transaction).
  unsigned max_readers = 256;
  Durability durability = Durability::kFull;
  // Permissions of data.mdb and lock.mdb when created (existing ones of ours with group or
  // other access are tightened to the owner's bits; the directory itself is made 0700).
  mode_t file_mode = 0600;
  // Largest value Put accepts; larger ones fail with kValueTooLarge.
  size_t max_value_bytes = 16 * kMiB;
  // The schema version this process reads and writes. Only tests and migration tools set
  // anything but kSchemaVersion.
  uint32_t schema_version = kSchemaVersion;
  // Called when the files hold an older schema; without a hook only the stored version
  // number is raised (no layout has changed yet).
  MigrationHook migrate;
};

}  // namespace dabs::store
