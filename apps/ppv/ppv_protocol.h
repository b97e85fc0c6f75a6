// The pay-per-view application's messages (docs/spec/mp.md section 9), shared by its client
// and server portions. Every integer is big-endian; every decoder checks each length before
// it reads and refuses trailing bytes, so a payload decodes completely or not at all.
//
//   0x0100 CATALOGUE  u32 first, u16 max
//                     -> u8 status, u32 total, u16 count, count x event
//   0x0101 PURCHASE   u64 purchase id, u32 event id, u8 n, n bytes PIN (ASCII digits)
//                     -> u8 status, then by status: a purchase record (OK, ALREADY_PURCHASED,
//                        ID_REUSED), u8 attempts left (WRONG_PIN), i64 locked until in Unix ms
//                        (PIN_LOCKED), nothing (the others)
//   0x0102 PURCHASES  u64 after (0: from the first), u16 max
//                     -> u8 status, u64 next (0: no more), u16 count, count x record
//
//   event:  u32 id, u16 channel, i64 start, i64 end, i64 sale closes (Unix seconds),
//           u32 price (cents), u8 on sale now (0/1), u8 n, n bytes title (UTF-8)
//   record: u64 purchase id, u32 event id, u32 price (cents), i64 purchased at (Unix ms),
//           u64 receipt (the ledger's serial), u32 VA of the DASP instance that took it
//
// A request that does not decode is NAKed with 4 (MALFORMED); one that decodes but carries a
// value out of range (purchase id 0, a PIN that is not 4-8 digits, max 0 or over 64) is
// answered with status MALFORMED.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dabs::ppv {

inline constexpr uint16_t kCatalogue = 0x0100;
inline constexpr uint16_t kPurchase = 0x0101;
inline constexpr uint16_t kPurchases = 0x0102;

// The largest page a CATALOGUE or PURCHASES request may ask for: 64 events of at most 100
// bytes are 6.4 KB, a multi-buffer reply of 13 datagrams (spec 1.5); a set-top on a narrow
// channel asks for fewer.
inline constexpr uint16_t kMaxPage = 64;
inline constexpr size_t kMaxTitleBytes = 64;
inline constexpr size_t kMinPinDigits = 4;
inline constexpr size_t kMaxPinDigits = 8;

enum class PpvStatus : uint8_t {
  kOk = 0,                // purchased now; the record follows
  kAlreadyPurchased = 1,  // the original record: of this purchase id (a replay), or of the
                          // subscriber's earlier purchase of the event under another id
  kWrongPin = 2,          // u8 attempts left before the subscriber is locked
  kPinLocked = 3,         // i64 Unix ms when the lock ends
  kUnknownEvent = 4,
  kWindowClosed = 5,       // the event's sale has closed
  kMalformed = 6,          // a value out of range
  kIdReused = 7,           // the purchase id names a purchase of another event; its record
  kUnknownSubscriber = 8,  // the session's CLIENT_ID is no subscriber of the catalogue
};
inline constexpr uint8_t kMaxStatus = 8;
std::string_view StatusName(PpvStatus s);

struct Event {
  uint32_t id = 0;
  uint16_t channel = 0;
  int64_t start_s = 0, end_s = 0, sale_closes_s = 0;
  uint32_t price_cents = 0;
  bool on_sale = false;
  std::string title;
  friend bool operator==(const Event&, const Event&) = default;
};

struct PurchaseRecord {
  uint64_t purchase_id = 0;
  uint32_t event_id = 0;
  uint32_t price_cents = 0;
  int64_t purchased_at_ms = 0;
  uint64_t receipt = 0;
  uint32_t taken_by = 0;  // the DASP instance's VA
  friend bool operator==(const PurchaseRecord&, const PurchaseRecord&) = default;
};
inline constexpr size_t kRecordBytes = 8 + 4 + 4 + 8 + 8 + 4;

struct CatalogueRequest {
  uint32_t first = 0;
  uint16_t max = 0;
  friend bool operator==(const CatalogueRequest&, const CatalogueRequest&) = default;
};
struct CatalogueReply {
  PpvStatus status = PpvStatus::kOk;
  uint32_t total = 0;
  std::vector<Event> events;
  friend bool operator==(const CatalogueReply&, const CatalogueReply&) = default;
};

struct PurchaseRequest {
  uint64_t purchase_id = 0;
  uint32_t event_id = 0;
  std::string pin;
  friend bool operator==(const PurchaseRequest&, const PurchaseRequest&) = default;
};
struct PurchaseReply {
  PpvStatus status = PpvStatus::kOk;
  std::optional<PurchaseRecord> record;  // OK, ALREADY_PURCHASED, ID_REUSED
  uint8_t attempts_left = 0;             // WRONG_PIN
  int64_t locked_until_ms = 0;           // PIN_LOCKED
  friend bool operator==(const PurchaseReply&, const PurchaseReply&) = default;
};

struct PurchasesRequest {
  uint64_t after = 0;
  uint16_t max = 0;
  friend bool operator==(const PurchasesRequest&, const PurchasesRequest&) = default;
};
struct PurchasesReply {
  PpvStatus status = PpvStatus::kOk;
  uint64_t next = 0;
  std::vector<PurchaseRecord> records;
  friend bool operator==(const PurchasesReply&, const PurchasesReply&) = default;
};

// Whether the values of a decoded request are in range (else: status MALFORMED).
bool Valid(const CatalogueRequest& r);
bool Valid(const PurchaseRequest& r);
bool Valid(const PurchasesRequest& r);

std::vector<uint8_t> Encode(const CatalogueRequest& r);
std::vector<uint8_t> Encode(const CatalogueReply& r);
std::vector<uint8_t> Encode(const PurchaseRequest& r);
std::vector<uint8_t> Encode(const PurchaseReply& r);
std::vector<uint8_t> Encode(const PurchasesRequest& r);
std::vector<uint8_t> Encode(const PurchasesReply& r);

// nullopt unless the payload is exactly one well-formed message of that kind (lengths,
// counts, a known status, the body its status calls for, no trailing bytes).
std::optional<CatalogueRequest> DecodeCatalogueRequest(std::span<const uint8_t> p);
std::optional<CatalogueReply> DecodeCatalogueReply(std::span<const uint8_t> p);
std::optional<PurchaseRequest> DecodePurchaseRequest(std::span<const uint8_t> p);
std::optional<PurchaseReply> DecodePurchaseReply(std::span<const uint8_t> p);
std::optional<PurchasesRequest> DecodePurchasesRequest(std::span<const uint8_t> p);
std::optional<PurchasesReply> DecodePurchasesReply(std::span<const uint8_t> p);

}  // namespace dabs::ppv
