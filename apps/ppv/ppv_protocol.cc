#include "ppv_protocol.h"

#include <algorithm>

#include <dabs/mp/coding.h>

namespace dabs::ppv {

namespace {

constexpr size_t kEventFixedBytes = 4 + 2 + 8 + 8 + 8 + 4 + 1 + 1;

// A ByteReader fails for good at the first short field, so when the last of a run of reads
// has a value, every earlier one has too: each decoder checks only the last.

std::string_view AsText(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

bool Finished(const mp::ByteReader& r) {
  return !r.failed() && r.remaining() == 0;
}

void Put(mp::ByteWriter& w, const Event& e) {
  const size_t n = std::min(e.title.size(), kMaxTitleBytes);
  w.U32(e.id);
  w.U16(e.channel);
  w.I64(e.start_s);
  w.I64(e.end_s);
  w.I64(e.sale_closes_s);
  w.U32(e.price_cents);
  w.U8(e.on_sale ? 1 : 0);
  w.U8(static_cast<uint8_t>(n));
  w.Str(std::string_view(e.title).substr(0, n));
}

std::optional<Event> GetEvent(mp::ByteReader& r) {
  Event e;
  auto id = r.U32();
  auto channel = r.U16();
  auto start = r.I64();
  auto end = r.I64();
  auto closes = r.I64();
  auto price = r.U32();
  auto on_sale = r.U8();
  auto n = r.U8();
  if (!n || *on_sale > 1 || *n > kMaxTitleBytes) return std::nullopt;
  auto title = r.Bytes(*n);
  if (!title) return std::nullopt;
  return Event{*id,     *channel, *start,        *end,
               *closes, *price,   *on_sale == 1, std::string(AsText(*title))};
}

void Put(mp::ByteWriter& w, const PurchaseRecord& p) {
  w.U64(p.purchase_id);
  w.U32(p.event_id);
  w.U32(p.price_cents);
  w.I64(p.purchased_at_ms);
  w.U64(p.receipt);
  w.U32(p.taken_by);
}

std::optional<PurchaseRecord> GetRecord(mp::ByteReader& r) {
  auto id = r.U64();
  auto event = r.U32();
  auto price = r.U32();
  auto at = r.I64();
  auto receipt = r.U64();
  auto by = r.U32();
  if (!by) return std::nullopt;
  return PurchaseRecord{*id, *event, *price, *at, *receipt, *by};
}

std::optional<PpvStatus> GetStatus(mp::ByteReader& r) {
  auto s = r.U8();
  if (!s || *s > kMaxStatus) return std::nullopt;
  return static_cast<PpvStatus>(*s);
}

bool CarriesRecord(PpvStatus s) {
  return s == PpvStatus::kOk || s == PpvStatus::kAlreadyPurchased || s == PpvStatus::kIdReused;
}

}  // namespace

std::string_view StatusName(PpvStatus s) {
  switch (s) {
    case PpvStatus::kOk:
      return "ok";
    case PpvStatus::kAlreadyPurchased:
      return "already_purchased";
    case PpvStatus::kWrongPin:
      return "wrong_pin";
    case PpvStatus::kPinLocked:
      return "pin_locked";
    case PpvStatus::kUnknownEvent:
      return "unknown_event";
    case PpvStatus::kWindowClosed:
      return "window_closed";
    case PpvStatus::kMalformed:
      return "malformed";
    case PpvStatus::kIdReused:
      return "id_reused";
    case PpvStatus::kUnknownSubscriber:
      return "unknown_subscriber";
  }
  return "unknown_status";
}

bool Valid(const CatalogueRequest& r) {
  return r.max >= 1 && r.max <= kMaxPage;
}

bool Valid(const PurchaseRequest& r) {
  if (r.purchase_id == 0 || r.pin.size() < kMinPinDigits || r.pin.size() > kMaxPinDigits)
    return false;
  return std::all_of(r.pin.begin(), r.pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Valid(const PurchasesRequest& r) {
  return r.max >= 1 && r.max <= kMaxPage;
}

std::vector<uint8_t> Encode(const CatalogueRequest& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U32(r.first);
  w.U16(r.max);
  return out;
}

std::vector<uint8_t> Encode(const CatalogueReply& r) {
  std::vector<uint8_t> out;
  out.reserve(1 + 4 + 2 + r.events.size() * (kEventFixedBytes + 32));
  mp::ByteWriter w(out);
  w.U8(static_cast<uint8_t>(r.status));
  w.U32(r.total);
  w.U16(static_cast<uint16_t>(std::min<size_t>(r.events.size(), UINT16_MAX)));
  for (size_t i = 0; i < r.events.size() && i < UINT16_MAX; ++i)
    Put(w, r.events[i]);
  return out;
}

std::vector<uint8_t> Encode(const PurchaseRequest& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  const size_t n = std::min<size_t>(r.pin.size(), UINT8_MAX);
  w.U64(r.purchase_id);
  w.U32(r.event_id);
  w.U8(static_cast<uint8_t>(n));
  w.Str(std::string_view(r.pin).substr(0, n));
  return out;
}

std::vector<uint8_t> Encode(const PurchaseReply& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(static_cast<uint8_t>(r.status));
  if (CarriesRecord(r.status)) {
    Put(w, r.record.value_or(PurchaseRecord{}));
  } else if (r.status == PpvStatus::kWrongPin) {
    w.U8(r.attempts_left);
  } else if (r.status == PpvStatus::kPinLocked) {
    w.I64(r.locked_until_ms);
  }
  return out;
}

std::vector<uint8_t> Encode(const PurchasesRequest& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U64(r.after);
  w.U16(r.max);
  return out;
}

std::vector<uint8_t> Encode(const PurchasesReply& r) {
  std::vector<uint8_t> out;
  out.reserve(1 + 8 + 2 + r.records.size() * kRecordBytes);
  mp::ByteWriter w(out);
  w.U8(static_cast<uint8_t>(r.status));
  w.U64(r.next);
  w.U16(static_cast<uint16_t>(std::min<size_t>(r.records.size(), UINT16_MAX)));
  for (size_t i = 0; i < r.records.size() && i < UINT16_MAX; ++i)
    Put(w, r.records[i]);
  return out;
}

std::optional<CatalogueRequest> DecodeCatalogueRequest(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto first = r.U32();
  auto max = r.U16();
  if (!Finished(r)) return std::nullopt;
  return CatalogueRequest{*first, *max};
}

std::optional<CatalogueReply> DecodeCatalogueReply(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto status = GetStatus(r);
  auto total = r.U32();
  auto count = r.U16();
  if (!status) return std::nullopt;
  // Each event takes at least kEventFixedBytes: a count the payload cannot hold is refused
  // before anything is reserved for it.
  if (!count || *count > r.remaining() / kEventFixedBytes) return std::nullopt;
  CatalogueReply reply{*status, *total, {}};
  reply.events.reserve(*count);
  for (uint16_t i = 0; i < *count; ++i) {
    auto e = GetEvent(r);
    if (!e) return std::nullopt;
    reply.events.push_back(std::move(*e));
  }
  if (!Finished(r)) return std::nullopt;
  return reply;
}

std::optional<PurchaseRequest> DecodePurchaseRequest(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto id = r.U64();
  auto event = r.U32();
  auto n = r.U8();
  if (!n) return std::nullopt;
  auto pin = r.Bytes(*n);
  if (!pin || !Finished(r)) return std::nullopt;
  return PurchaseRequest{*id, *event, std::string(AsText(*pin))};
}

std::optional<PurchaseReply> DecodePurchaseReply(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto status = GetStatus(r);
  if (!status) return std::nullopt;
  PurchaseReply reply{*status, std::nullopt, 0, 0};
  if (CarriesRecord(*status)) {
    reply.record = GetRecord(r);
    if (!reply.record) return std::nullopt;
  } else if (*status == PpvStatus::kWrongPin) {
    auto left = r.U8();
    if (!left) return std::nullopt;
    reply.attempts_left = *left;
  } else if (*status == PpvStatus::kPinLocked) {
    auto until = r.I64();
    if (!until) return std::nullopt;
    reply.locked_until_ms = *until;
  }
  if (!Finished(r)) return std::nullopt;
  return reply;
}

std::optional<PurchasesRequest> DecodePurchasesRequest(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto after = r.U64();
  auto max = r.U16();
  if (!Finished(r)) return std::nullopt;
  return PurchasesRequest{*after, *max};
}

std::optional<PurchasesReply> DecodePurchasesReply(std::span<const uint8_t> p) {
  mp::ByteReader r(p);
  auto status = GetStatus(r);
  auto next = r.U64();
  auto count = r.U16();
  if (!status || !count || *count > r.remaining() / kRecordBytes) return std::nullopt;
  PurchasesReply reply{*status, *next, {}};
  reply.records.reserve(*count);
  for (uint16_t i = 0; i < *count; ++i) {
    auto rec = GetRecord(r);
    if (!rec) return std::nullopt;
    reply.records.push_back(*rec);
  }
  if (!Finished(r)) return std::nullopt;
  return reply;
}

}  // namespace dabs::ppv
