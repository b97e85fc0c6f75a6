#include "ledger_store.h"

#include <dabs/mp/coding.h>

#include "ppv_errc.h"

namespace dabs::ppv {

namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr size_t kStoredRecordBytes = 1 + 4 + 4 + 8 + 8 + 4;
constexpr std::string_view kSchemaKey = "schema";
constexpr std::string_view kReceiptKey = "receipt";

Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> SubscriberKey(std::string_view subscriber) {
  std::vector<uint8_t> k;
  k.reserve(1 + subscriber.size() + 8);
  k.push_back(static_cast<uint8_t>(subscriber.size()));  // <= 64: a CLIENT_ID's limit
  k.insert(k.end(), subscriber.begin(), subscriber.end());
  return k;
}

std::vector<uint8_t> PurchaseKey(std::string_view subscriber, uint64_t purchase_id) {
  auto k = SubscriberKey(subscriber);
  mp::ByteWriter(k).U64(purchase_id);
  return k;
}

std::vector<uint8_t> OwnedKey(std::string_view subscriber, uint32_t event_id) {
  auto k = SubscriberKey(subscriber);
  mp::ByteWriter(k).U32(event_id);
  return k;
}

std::vector<uint8_t> StoreRecord(const PurchaseRecord& r) {
  std::vector<uint8_t> v;
  mp::ByteWriter w(v);
  w.U8(kRecordVersion);
  w.U32(r.event_id);
  w.U32(r.price_cents);
  w.I64(r.purchased_at_ms);
  w.U64(r.receipt);
  w.U32(r.taken_by);
  return v;
}

// The record under `purchase_id`, or nullopt; a damaged one fails the transaction.
std::optional<PurchaseRecord> LoadRecord(Txn& txn, Bytes value, uint64_t purchase_id) {
  if (value.size() != kStoredRecordBytes || value[0] != kRecordVersion) {
    txn.Fail(
        PpvError(PpvErrc::kLedger, "damaged record of purchase " + std::to_string(purchase_id)));
    return std::nullopt;
  }
  mp::ByteReader r(value.subspan(1));
  PurchaseRecord p;
  p.purchase_id = purchase_id;
  p.event_id = *r.U32();
  p.price_cents = *r.U32();
  p.purchased_at_ms = *r.I64();
  p.receipt = *r.U64();
  p.taken_by = *r.U32();
  return p;
}

std::optional<PurchaseRecord> FindRecord(Txn& txn, std::string_view subscriber,
                                         uint64_t purchase_id) {
  auto v = txn.Get(kPurchasesDb, PurchaseKey(subscriber, purchase_id));
  if (!v) return std::nullopt;
  return LoadRecord(txn, *v, purchase_id);
}

struct PinState {
  uint32_t failures = 0;
  int64_t locked_until_ms = 0;  // 0: never locked since the last right PIN
};

PinState LoadPins(Txn& txn, std::string_view subscriber) {
  auto v = txn.Get(kPinsDb, SubscriberKey(subscriber));
  if (!v) return {};
  mp::ByteReader r(*v);
  auto failures = r.U32();
  auto until = r.I64();
  if (!until || r.remaining() != 0) {
    txn.Fail(PpvError(PpvErrc::kLedger, "damaged PIN state of " + std::string(subscriber)));
    return {};
  }
  return {*failures, *until};
}

void StorePins(Txn& txn, std::string_view subscriber, const PinState& s) {
  std::vector<uint8_t> v;
  mp::ByteWriter w(v);
  w.U32(s.failures);
  w.I64(s.locked_until_ms);
  txn.Put(kPinsDb, SubscriberKey(subscriber), v);
}

uint64_t NextReceipt(Txn& txn) {
  uint64_t last = 0;
  if (auto v = txn.Get(kMetaDb, AsBytes(kReceiptKey)); v && v->size() == 8)
    last = mp::GetU64(v->data());
  std::vector<uint8_t> out;
  mp::ByteWriter(out).U64(last + 1);
  txn.Put(kMetaDb, AsBytes(kReceiptKey), out);
  return last + 1;
}

PurchaseOutcome Answer(PpvStatus s) {
  PurchaseOutcome o;
  o.reply.status = s;
  return o;
}

// Step 3 of ApplyPurchase for a wrong PIN: count it, lock at the policy's limit.
PurchaseOutcome WrongPin(Txn& txn, const PurchaseAttempt& a, PinState pins,
                         const PinPolicy& policy) {
  // A lock that has ended starts a fresh count.
  const uint32_t failures = (pins.locked_until_ms != 0 ? 0 : pins.failures) + 1;
  PurchaseOutcome o;
  o.wrong_pin = true;
  if (failures >= policy.max_failures) {
    pins = {0, a.now_ms + int64_t{policy.lockout_s} * 1000};
    o.reply.status = PpvStatus::kPinLocked;
    o.reply.locked_until_ms = pins.locked_until_ms;
  } else {
    pins = {failures, 0};
    o.reply.status = PpvStatus::kWrongPin;
    o.reply.attempts_left = static_cast<uint8_t>(policy.max_failures - failures);
  }
  StorePins(txn, a.subscriber, pins);
  return o;
}

}  // namespace

std::vector<std::string> LedgerDatabases() {
  return {"purchases", "owned", "pins", "meta"};
}

PurchaseOutcome ApplyPurchase(Txn& txn, const PurchaseAttempt& a, const PinPolicy& policy) {
  if (auto earlier = FindRecord(txn, a.subscriber, a.purchase_id)) {
    PurchaseOutcome o = Answer(earlier->event_id == a.event_id ? PpvStatus::kAlreadyPurchased
                                                               : PpvStatus::kIdReused);
    o.reply.record = earlier;
    o.replay = earlier->event_id == a.event_id;
    return o;
  }
  const PinState pins = LoadPins(txn, a.subscriber);
  if (pins.locked_until_ms > a.now_ms) {
    PurchaseOutcome o = Answer(PpvStatus::kPinLocked);
    o.reply.locked_until_ms = pins.locked_until_ms;
    return o;
  }
  if (!a.pin_ok) return WrongPin(txn, a, pins, policy);
  if (pins.failures != 0 || pins.locked_until_ms != 0)
    txn.Del(kPinsDb, SubscriberKey(a.subscriber));
  if (a.event == PurchaseAttempt::EventState::kUnknown) return Answer(PpvStatus::kUnknownEvent);
  if (a.event == PurchaseAttempt::EventState::kClosed) return Answer(PpvStatus::kWindowClosed);
  if (auto owned = txn.Get(kOwnedDb, OwnedKey(a.subscriber, a.event_id));
      owned && owned->size() == 8) {
    PurchaseOutcome o = Answer(PpvStatus::kAlreadyPurchased);
    o.reply.record = FindRecord(txn, a.subscriber, mp::GetU64(owned->data()));
    if (!o.reply.record)
      txn.Fail(PpvError(PpvErrc::kLedger, "an entitlement without its purchase"));
    return o;
  }
  PurchaseRecord r{a.purchase_id, a.event_id,       a.price_cents,
                   a.now_ms,      NextReceipt(txn), a.taken_by};
  txn.Put(kPurchasesDb, PurchaseKey(a.subscriber, a.purchase_id), StoreRecord(r));
  std::vector<uint8_t> id;
  mp::ByteWriter(id).U64(a.purchase_id);
  txn.Put(kOwnedDb, OwnedKey(a.subscriber, a.event_id), id);
  PurchaseOutcome o = Answer(PpvStatus::kOk);
  o.reply.record = r;
  o.recorded = true;
  return o;
}

PurchasesReply ReadPurchases(Txn& txn, std::string_view subscriber, uint64_t after, uint16_t max) {
  PurchasesReply out;
  if (after == UINT64_MAX || max == 0) return out;
  const auto prefix = SubscriberKey(subscriber);
  bool more = false;
  txn.Scan(kPurchasesDb, PurchaseKey(subscriber, after + 1), [&](Bytes key, Bytes value) {
    if (key.size() != prefix.size() + 8 || !std::equal(prefix.begin(), prefix.end(), key.begin()))
      return false;
    if (out.records.size() == max) {
      more = true;
      return false;
    }
    auto r = LoadRecord(txn, value, mp::GetU64(key.data() + prefix.size()));
    if (!r) return false;
    out.records.push_back(*r);
    return true;
  });
  if (more) out.next = out.records.back().purchase_id;
  return out;
}

Status CheckSchema(Txn& txn) {
  auto v = txn.Get(kMetaDb, AsBytes(kSchemaKey));
  if (!txn.status()) return txn.status();
  if (v) {
    const uint32_t schema = v->size() == 4 ? mp::GetU32(v->data()) : UINT32_MAX;
    if (schema > kLedgerSchema)
      return PpvError(PpvErrc::kLedger, "the ledger's schema " + std::to_string(schema) +
                                            " is newer than this ppv-dasp's (" +
                                            std::to_string(kLedgerSchema) + ")");
    return Status::Ok();
  }
  std::vector<uint8_t> out;
  mp::ByteWriter(out).U32(kLedgerSchema);
  txn.Put(kMetaDb, AsBytes(kSchemaKey), out);
  return txn.status();
}

void ForEachPurchase(Txn& txn,
                     const std::function<void(std::string_view, const PurchaseRecord&)>& f) {
  const uint8_t start[] = {0};
  txn.Scan(kPurchasesDb, start, [&](Bytes key, Bytes value) {
    if (key.empty() || key.size() != size_t{1} + key[0] + 8) {
      txn.Fail(PpvError(PpvErrc::kLedger, "damaged purchase key"));
      return false;
    }
    auto r = LoadRecord(txn, value, mp::GetU64(key.data() + 1 + key[0]));
    if (!r) return false;
    f(std::string_view(reinterpret_cast<const char*>(key.data() + 1), key[0]), *r);
    return true;
  });
}

}  // namespace dabs::ppv
