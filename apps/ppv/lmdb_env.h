// A small LMDB environment for the ppv ledger: open with named databases, run a function
// in a read or a write transaction. Private to apps/ppv: runtime/store wraps LMDB for the
// daemons, but apps may not depend on runtime (DESIGN.md section 2), and the ledger needs
// only this much.
//
// Durability: the environment is opened without MDB_NOSYNC and MDB_NOMETASYNC, so a write
// transaction that returned OK is on disk (fdatasync) and survives a kill -9 or a power cut.
//
// LMDB allows many processes on one environment (one writer at a time, across processes),
// but one environment per directory per process: a second mdb_env_open of the same files in
// one process would drop its POSIX locks when closed (docs/decisions.md D20). Open refuses
// that. Thread safety: Read and Write are thread-safe (MDB_NOTLS); a Txn belongs to the
// function it is passed to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/result.h>

struct MDB_env;
struct MDB_txn;

namespace dabs::ppv {

using Bytes = std::span<const uint8_t>;

// One transaction. The first error of Get, Put, Del or Scan sticks: later calls do nothing,
// and the transaction aborts instead of committing.
class Txn {
 public:
  Txn(MDB_txn* txn, const std::vector<unsigned>* dbs) : txn_(txn), dbs_(dbs) {}
  // The value under `key` in database `db` (the index given to Open); valid until the
  // transaction ends. nullopt when absent or after an error.
  std::optional<Bytes> Get(size_t db, Bytes key);
  void Put(size_t db, Bytes key, Bytes value);
  void Del(size_t db, Bytes key);
  // Calls `visit` for the entries from the first key >= `from`, in key order, while it
  // returns true.
  void Scan(size_t db, Bytes from, const std::function<bool(Bytes key, Bytes value)>& visit);
  const Status& status() const { return status_; }
  void Fail(Error e);
  MDB_txn* native() const { return txn_; }

 private:
  void Check(int rc, const char* what);
  MDB_txn* txn_;
  const std::vector<unsigned>* dbs_;
  Status status_;
};

struct LmdbOptions {
  std::filesystem::path dir;           // created if missing
  std::vector<std::string> databases;  // named databases, created if missing
  size_t map_bytes = size_t{1} << 30;  // a sparse reservation; every process must agree
};

class LmdbEnv {
 public:
  // kLedger with LMDB's reason when the directory cannot be made or opened; kLedger too
  // when this process has it open already.
  static Result<std::unique_ptr<LmdbEnv>> Open(const LmdbOptions& options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Runs `fn` in a write transaction (one writer at a time, in all processes) and commits
  // if `fn` and the transaction succeeded. `fn` may run twice (after another process grew
  // the map), so it must not act outside the transaction. kLedgerFull when the map is full.
  Status Write(const std::function<Status(Txn&)>& fn);
  Status Read(const std::function<Status(Txn&)>& fn);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  LmdbEnv(MDB_env* env, std::filesystem::path dir) : env_(env), dir_(std::move(dir)) {}
  // `lmdb_rc` gets LMDB's code of a failure to begin or commit (else MDB_SUCCESS).
  Status Run(bool write, const std::function<Status(Txn&)>& fn, int* lmdb_rc);

  MDB_env* env_;
  std::filesystem::path dir_;
  std::vector<unsigned> dbs_;  // MDB_dbi per database index
};

}  // namespace dabs::ppv
