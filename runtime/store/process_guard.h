// Guards for LMDB's rules about processes and threads, which LMDB itself does not check
// and which corrupt a store or deadlock when broken (private to the store):
//  - one MDB_env per directory per process: a second one's close() would drop the first's
//    fcntl locks (POSIX locks are per process and file), and other processes would then
//    take its live readers for dead;
//  - no use of an MDB_env in a child after fork();
//  - no transaction begun on a thread that already runs one of the same store: a write
//    inside a write waits for itself, and growing the map inside any transaction waits for
//    the transaction to end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <sys/types.h>

#include <dabs/mp/result.h>

namespace dabs::store::detail {

// This process's claim on a store directory, released when destroyed. Thread-safe.
class DirectoryClaim {
 public:
  // Claims `dir` (REQUIRES: it exists) by device and inode, so that two spellings of one
  // directory collide. Fails with kAlreadyOpen if a live claim holds it.
  static Result<std::unique_ptr<DirectoryClaim>> Make(const std::filesystem::path& dir);
  ~DirectoryClaim();
  DirectoryClaim(const DirectoryClaim&) = delete;
  DirectoryClaim& operator=(const DirectoryClaim&) = delete;

 private:
  DirectoryClaim(dev_t dev, ino_t ino) : dev_(dev), ino_(ino) {}
  dev_t dev_;
  ino_t ino_;
};

// How many fork()s separate this process from the one that first called this function: a
// Store remembers it at Open and refuses work when it has changed. Thread-safe.
uint64_t ForkGeneration();

// Marks the calling thread as inside a transaction of `store` for the scope's lifetime.
// Scopes nest (a thread may run transactions of two different stores).
class TxnScope {
 public:
  explicit TxnScope(const void* store);
  ~TxnScope();
  TxnScope(const TxnScope&) = delete;
  TxnScope& operator=(const TxnScope&) = delete;

  // Whether the calling thread is inside a transaction of `store`.
  static bool Active(const void* store);

 private:
  const void* store_;
  TxnScope* outer_;
};

}  // namespace dabs::store::detail
