// The ledger's schema and its rules, as functions of one LMDB transaction (no threads, no
// clock: the caller passes the time), so that they can be tested and reasoned about alone.
//
// Databases (keys big-endian, a subscriber as u8 length + its CLIENT_ID bytes, "S"):
//   purchases  S + u64 purchase id -> u8 version, u32 event, u32 price, i64 at ms,
//                                     u64 receipt, u32 VA of the instance that took it
//              the idempotency index: one record per (subscriber, purchase id), ever
//   owned      S + u32 event id    -> u64 purchase id (one purchase per subscriber and event)
//   pins       S                   -> u32 wrong PINs in a row, i64 locked until (Unix ms)
//   meta       "schema" -> u32 1; "receipt" -> u64 the last receipt number given
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.h"
#include "lmdb_env.h"
#include "ppv_protocol.h"

namespace dabs::ppv {

inline constexpr uint32_t kLedgerSchema = 1;

enum LedgerDb : size_t { kPurchasesDb = 0, kOwnedDb = 1, kPinsDb = 2, kMetaDb = 3 };
std::vector<std::string> LedgerDatabases();

// What a PURCHASE asks of the ledger once the server has done what it can alone: decoded
// and checked the request, found the subscriber and the event, verified the PIN.
struct PurchaseAttempt {
  enum class EventState : uint8_t { kOnSale, kUnknown, kClosed };

  std::string subscriber;  // the session's CLIENT_ID
  uint64_t purchase_id = 0;
  uint32_t event_id = 0;
  uint32_t price_cents = 0;
  EventState event = EventState::kOnSale;  // as of `now_ms`
  bool pin_ok = false;
  int64_t now_ms = 0;
  uint32_t taken_by = 0;  // the VA of the instance deciding it
};

struct PurchaseOutcome {
  PurchaseReply reply;
  bool recorded = false;  // a new purchase was recorded (charged)
  bool replay = false;    // the answer is the record of this very purchase id
  bool wrong_pin = false;
};

// Decides one purchase inside `txn`, in this order, and records what it changes:
//  1. the purchase id is in the ledger: ALREADY_PURCHASED with that record when it was for
//     this event (a retransmitted, re-homed or reopened purchase: never charged twice, never
//     refused, whatever changed since), ID_REUSED with it when for another;
//  2. the subscriber is locked: PIN_LOCKED;
//  3. a wrong PIN counts (durably); the policy's max_failures-th in a row locks the
//     subscriber for lockout_s: WRONG_PIN with the attempts left, or PIN_LOCKED. A right PIN
//     clears the count;
//  4. UNKNOWN_EVENT, WINDOW_CLOSED;
//  5. the subscriber owns the event under another purchase id: ALREADY_PURCHASED with it;
//  6. OK: a new record with the next receipt number.
// Errors (LMDB, a damaged record) are left in txn.status(); the outcome is then meaningless.
PurchaseOutcome ApplyPurchase(Txn& txn, const PurchaseAttempt& a, const PinPolicy& policy);

// The subscriber's records with purchase id > `after`, in purchase id order, at most `max`;
// `next` is the last one's id when more follow.
PurchasesReply ReadPurchases(Txn& txn, std::string_view subscriber, uint64_t after, uint16_t max);

// Writes the schema number into a new ledger; refuses (kLedger) a ledger of a newer schema.
Status CheckSchema(Txn& txn);

// Every record of the ledger, with its subscriber, in key order (for audits and tests).
void ForEachPurchase(
    Txn& txn, const std::function<void(std::string_view subscriber, const PurchaseRecord&)>& f);

}  // namespace dabs::ppv
