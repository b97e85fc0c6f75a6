// The purchase ledger of a ppv-dasp process: its own LMDB environment (ledger_store.h has
// the schema and the rules), one writer thread that commits purchases in groups.
//
// Group commit: purchases queue for the writer, which decides every queued one in a single
// write transaction and commits them with one fsync, then answers each. A purchase is thus
// on disk before its answer is given (a kill -9 after the reply loses nothing), and a burst
// of buyers at an event's start costs one fsync per group, not one per buyer.
//
// Where the ledger lives decides what "exactly once" covers (apps/ppv/README.md): every
// ppv-dasp process on a host should open the same directory (`--ledger DIR`); LMDB
// serialises their writers and each sees the others' purchases at once.
//
// Thread safety: every public method is thread-safe. One Ledger per directory per process.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger_store.h"

namespace dabs::ppv {

struct LedgerOptions {
  std::filesystem::path dir;
  size_t map_bytes = size_t{1} << 30;  // about 30 million purchases
  // Purchases waiting for the writer at most; more are refused at once (kLedgerBusy), so a
  // stalled disk turns into quick refusals the clients retry, not unbounded memory.
  size_t queue_limit = 4096;
  size_t group_limit = 256;  // purchases decided in one transaction at most
};

struct LedgerStats {
  uint64_t purchases = 0;  // attempts decided
  uint64_t commits = 0;    // write transactions committed
  uint64_t largest_group = 0;
  uint64_t busy = 0;  // attempts refused because the queue was full
};

class Ledger {
 public:
  using Done = std::function<void(Result<PurchaseOutcome>)>;

  // Opens (or creates) the ledger and starts its writer. kLedger with LMDB's reason.
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options, PinPolicy policy);
  // Close(), then frees the ledger.
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Stops taking purchases (Submit answers kStopped), decides and answers those queued, and
  // waits until the writer has ended, so that no `done` runs any more: call it before
  // destroying what the callbacks use (an instance's io_context). On the writer thread itself
  // (from a `done`) it does not wait. Idempotent; thread-safe.
  void Close();

  // Queues `attempt`; `done` runs once, on the writer thread, after the transaction that
  // decided it committed (or failed: the error, kLedgerFull, ...). When the queue is full,
  // `done` gets kLedgerBusy at once, on this thread.
  void Submit(PurchaseAttempt attempt, Done done);

  // A page of the subscriber's purchases (ReadPurchases), from a read transaction.
  Result<PurchasesReply> Purchases(std::string_view subscriber, uint64_t after, uint16_t max);
  // Every record, for audits and tests.
  Status ForEach(const std::function<void(std::string_view, const PurchaseRecord&)>& f);
  LedgerStats Stats() const;
  const std::filesystem::path& dir() const;

 private:
  // Everything the writer thread uses, shared with it: the last reference to a Ledger may be
  // dropped on that thread (a `done` that held it), and the thread must outlive the object.
  struct State;
  explicit Ledger(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::mutex close_mu_;
  std::thread writer_;  // guarded by close_mu_
};

}  // namespace dabs::ppv
