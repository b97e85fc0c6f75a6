// The audit trail: who changed what and when, in the kAudit database, in the order the
// changes were committed. Append in the same write transaction as the change it records,
// so that a change and its record are committed (or lost) together.
//
// Layout (part of the schema): key = sequence number, u64 big-endian, so that key order is
// append order; value = unix milliseconds (i64 big-endian), the length of `who` (u16
// big-endian), `who`, then `what`. Sequence numbers start at 1 and are never reused, even
// after records are deleted: the next one is kept in the store's meta database.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>
#include <dabs/store/txn.h>

namespace dabs::store {

inline constexpr size_t kMaxAuditWhoBytes = 256;
inline constexpr size_t kMaxAuditWhatBytes = 64 * 1024;

struct AuditRecord {
  uint64_t sequence = 0;
  int64_t unix_millis = 0;
  std::string who;   // "dabs-configd", "operator:alice", ...
  std::string what;  // free text, e.g. "limits.calculator.sessions 100 -> 200"
};

// Appends a record stamped `unix_millis` and returns its sequence number. Fails with
// kInvalidArgument if `who` or `what` exceeds its bound. Not thread-safe (as the txn).
Result<uint64_t> AppendAudit(WriteTxn& txn, std::string_view who, std::string_view what,
                             int64_t unix_millis);
// The same, stamped with the system clock now.
Result<uint64_t> AppendAudit(WriteTxn& txn, std::string_view who, std::string_view what);

// Visits the records with sequence >= `from_sequence` in order; the visitor returns false
// to stop. Fails with kCorrupted on a record that does not decode. Not thread-safe.
Status ForEachAudit(const ReadTxn& txn, uint64_t from_sequence,
                    const std::function<bool(const AuditRecord&)>& visit);

}  // namespace dabs::store
