#include <chrono>
#include <string>

#include <dabs/mp/coding.h>
#include <dabs/store/audit.h>
#include <dabs/store/errc.h>

#include "txn_internal.h"

namespace dabs::store {
namespace {

using detail::TxnInternals;

constexpr size_t kHeaderBytes = 8 + 2;  // unix millis, length of `who`

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::string SequenceKey(uint64_t sequence) {
  std::string key(8, '\0');
  mp::PutU64(reinterpret_cast<uint8_t*>(key.data()), sequence);
  return key;
}

Error Corrupted(const std::string& what) {
  return Error{make_error_code(Errc::kCorrupted), "audit: " + what};
}

// The next sequence number to hand out (1 for a store that never had a record).
Result<uint64_t> NextSequence(const WriteTxn& txn) {
  auto stored = TxnInternals::GetMeta(txn, detail::kAuditNextSequenceKey);
  if (!stored) return stored.error();
  if (!stored->has_value()) return uint64_t{1};
  if ((*stored)->size() != 8) return Corrupted("next sequence record is not 8 bytes");
  return mp::GetU64(Bytes(**stored));
}

Result<AuditRecord> Decode(std::string_view key, std::string_view value) {
  if (key.size() != 8) return Corrupted("key of " + std::to_string(key.size()) + " bytes");
  if (value.size() < kHeaderBytes) return Corrupted("record shorter than its header");
  AuditRecord r;
  r.sequence = mp::GetU64(Bytes(key));
  r.unix_millis = static_cast<int64_t>(mp::GetU64(Bytes(value)));
  const size_t who_bytes = mp::GetU16(Bytes(value) + 8);
  if (value.size() < kHeaderBytes + who_bytes) return Corrupted("`who` runs past the record");
  r.who = std::string(value.substr(kHeaderBytes, who_bytes));
  r.what = std::string(value.substr(kHeaderBytes + who_bytes));
  return r;
}

}  // namespace

Result<uint64_t> AppendAudit(WriteTxn& txn, std::string_view who, std::string_view what,
                             int64_t unix_millis) {
  static_assert(kMaxAuditWhoBytes <= 0xFFFF, "the length of `who` is stored in a u16");
  if (who.size() > kMaxAuditWhoBytes || what.size() > kMaxAuditWhatBytes) {
    return Error{make_error_code(Errc::kInvalidArgument),
                 "audit: `who` is limited to " + std::to_string(kMaxAuditWhoBytes) +
                     " bytes and `what` to " + std::to_string(kMaxAuditWhatBytes)};
  }
  auto sequence = NextSequence(txn);
  if (!sequence) return sequence;
  std::string value(kHeaderBytes, '\0');
  auto* header = reinterpret_cast<uint8_t*>(value.data());
  mp::PutU64(header, static_cast<uint64_t>(unix_millis));
  mp::PutU16(header + 8, static_cast<uint16_t>(who.size()));
  value.append(who).append(what);
  if (Status s = txn.Put(Database::kAudit, SequenceKey(*sequence), value); !s) return s.error();
  const std::string next = SequenceKey(*sequence + 1);
  if (Status s = TxnInternals::PutMeta(txn, detail::kAuditNextSequenceKey, next); !s) {
    return s.error();
  }
  return *sequence;
}

Result<uint64_t> AppendAudit(WriteTxn& txn, std::string_view who, std::string_view what) {
  using namespace std::chrono;
  const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch());
  return AppendAudit(txn, who, what, now.count());
}

Status ForEachAudit(const ReadTxn& txn, uint64_t from_sequence,
                    const std::function<bool(const AuditRecord&)>& visit) {
  Status decode_error;
  const std::string start = SequenceKey(from_sequence);
  Status s = txn.ForEach(
      Database::kAudit, {},
      [&](std::string_view key, std::string_view value) {
        auto record = Decode(key, value);
        if (!record) {
          decode_error = record.error();
          return Visit::kStop;
        }
        return visit(*record) ? Visit::kContinue : Visit::kStop;
      },
      start);
  if (!s) return s;
  return decode_error;
}

}  // namespace dabs::store
