// Transactions over the named databases. Both kinds exist only inside the function given to
// Store::Read or Store::Write: the store begins, commits and aborts them, so the map can
// grow and a transaction be redone without the caller noticing.
//
// Thread safety: a transaction belongs to the thread running that function. Do not share
// it with another thread, keep it, or keep a cursor or view of it after the function
// returns.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include <dabs/mp/result.h>
#include <dabs/store/database.h>

struct MDB_txn;

namespace dabs::store {

namespace detail {
struct Handles;       // the process's database handles and bounds (private)
struct TxnInternals;  // the store's own access to its "meta" database (private)
}  // namespace detail

enum class Visit { kContinue, kStop };

// Called for each record of a scan, in key order. The views are valid until the visitor
// returns. Return kStop to end the scan early.
using Visitor = std::function<Visit(std::string_view key, std::string_view value)>;

// A consistent snapshot: it sees every transaction committed before it began, in any
// process, and nothing after. Long-lived snapshots keep old pages from reuse: keep the
// function given to Store::Read short.
class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  // The value stored under `key`, or nullopt. The view points into the map: it is valid
  // until the transaction ends and, in a WriteTxn, until its next Put or Delete.
  // Fails with kInvalidKey if the key is empty or longer than Store::max_key_bytes().
  Result<std::optional<std::string_view>> Get(Database db, std::string_view key) const;

  // Visits, in key order, every record whose key starts with `prefix` (empty: every record)
  // and is not less than `start` (empty: from the first such record). `prefix` and `start`
  // obey the key bounds. REQUIRES: the visitor does not write to `db` (WriteTxn).
  Status ForEach(Database db, std::string_view prefix, const Visitor& visit,
                 std::string_view start = {}) const;

 protected:
  ReadTxn(MDB_txn* txn, const detail::Handles& handles) : txn_(txn), handles_(handles) {}
  ~ReadTxn() = default;

  // A slot is a Database's number, or kDatabaseCount for the store's private "meta".
  Status CheckKey(std::string_view key, const char* operation, unsigned slot) const;
  Result<std::optional<std::string_view>> GetAt(unsigned slot, std::string_view key) const;

  MDB_txn* txn_;
  const detail::Handles& handles_;

 private:
  friend class Store;
  friend struct detail::TxnInternals;
};

// A write transaction: one at a time per server (LMDB serialises writers across every
// process). Changes are visible to others, and durable, only when the function given to
// Store::Write returns Ok and the commit succeeds.
class WriteTxn : public ReadTxn {
 public:
  // Stores `value` (bytes, not necessarily text) under `key`, replacing any old value.
  // Fails with kInvalidKey or kValueTooLarge without touching the transaction.
  Status Put(Database db, std::string_view key, std::string_view value);
  Status Put(Database db, std::string_view key, std::span<const uint8_t> value) {
    return Put(db, key,
               std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
  }

  // Removes `key`; the result says whether it was there.
  Result<bool> Delete(Database db, std::string_view key);

  // Removes every record of `db` (the database itself stays).
  Status DeleteAll(Database db);

 private:
  friend class Store;
  friend struct detail::TxnInternals;
  WriteTxn(MDB_txn* txn, const detail::Handles& handles) : ReadTxn(txn, handles) {}

  Status PutAt(unsigned slot, std::string_view key, std::string_view value);
  // Turns an LMDB code into a Status, remembering MDB_MAP_FULL: after it the transaction is
  // dead whatever the caller's function returns, and the store grows the map and redoes it.
  Status Check(int rc, const char* operation, unsigned slot);

  bool map_full_ = false;
};

}  // namespace dabs::store
