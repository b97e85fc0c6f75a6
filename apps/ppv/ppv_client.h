// The pay-per-view client portion (the set-top's side of docs/spec/mp.md section 9): browse
// the catalogue, buy an event with the subscriber's PIN, list the purchases.
//
// Buying is exactly-once end to end because of the purchase id, the idempotency key: it is
// chosen when the viewer first buys an event and sent unchanged with every retry, on the
// same session, a re-homed one (D49: the DASP that took it may be dead) or a reopened one,
// until an answer comes; the ledger answers a purchase id it has seen with the original
// record. A Buy of the same event after a failed one sends the same id again. (A set-top
// would keep pending ids in non-volatile memory across a reboot; Pending() and the Buy that
// takes a PendingPurchase are for that.)
//
// Ownership: PpvClient holds its dacp::Client; create it with Create (asynchronous work holds
// weak references). Thread safety: every public method is thread-safe; callbacks run on the
// gateway's strand or an I/O thread of its io_context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dabs/dacp/client.h>

#include "ppv_protocol.h"

namespace dabs::ppv {

inline constexpr char kAppName[] = "ppv";

struct PpvClientOptions {
  // Sends of one purchase at most (each after the Client's own re-homing of one retry).
  int max_attempts = 8;
  mp::Duration first_backoff = std::chrono::milliseconds(200);  // doubling per attempt
  mp::Duration max_backoff = std::chrono::seconds(5);
  // New purchase ids; default: std::random_device. Never 0 (0 is refused by the server).
  std::function<uint64_t()> new_purchase_id;
};

struct PendingPurchase {
  uint64_t purchase_id = 0;
  uint32_t event_id = 0;
  std::string pin;
};

struct BuyResult {
  PurchaseReply reply;
  uint64_t purchase_id = 0;  // what was sent
  int attempts = 0;          // sends it took (1: answered at once)

  // The subscriber owns the event: bought now, or before (this id or another).
  bool confirmed() const {
    return (reply.status == PpvStatus::kOk || reply.status == PpvStatus::kAlreadyPurchased) &&
           reply.record.has_value();
  }
  // The ledger answered with the record of this very purchase id: a duplicate suppressed.
  bool replayed() const {
    return reply.status == PpvStatus::kAlreadyPurchased && reply.record &&
           reply.record->purchase_id == purchase_id;
  }
};

class PpvClient : public std::enable_shared_from_this<PpvClient> {
 public:
  // `client` is this set-top's Client for "ppv" (opened or not: calls wait for the open).
  static std::shared_ptr<PpvClient> Create(std::shared_ptr<dacp::Client> client,
                                           PpvClientOptions options = {});
  PpvClient(const PpvClient&) = delete;
  PpvClient& operator=(const PpvClient&) = delete;

  void Catalogue(uint32_t first, uint16_t max, std::function<void(Result<CatalogueReply>)> done);
  void Purchases(uint64_t after, uint16_t max, std::function<void(Result<PurchasesReply>)> done);
  // Buys `event_id` with `pin`, retrying with the same purchase id until an answer comes,
  // max_attempts sends failed or the client was closed (the error; the purchase stays
  // pending). Any decoded answer is final, and ends the pending purchase.
  void Buy(uint32_t event_id, std::string pin, std::function<void(Result<BuyResult>)> done);
  void Buy(PendingPurchase purchase, std::function<void(Result<BuyResult>)> done);
  std::vector<PendingPurchase> Pending() const;
  dacp::Client& client() const { return *client_; }
  // The client was open once and is closed now (by its application or its server).
  bool Closed() const;

 private:
  struct Attempt;
  PpvClient(std::shared_ptr<dacp::Client> client, PpvClientOptions options);
  // Calls on the session; first opens one when the client was never opened or gave up.
  void CallOpen(uint16_t command, std::vector<uint8_t> payload, dacp::CallCallback done);
  void Send(std::shared_ptr<Attempt> a);
  void OnAnswer(std::shared_ptr<Attempt> a, Result<std::vector<uint8_t>>&& r);
  void Retry(std::shared_ptr<Attempt> a);

  std::shared_ptr<dacp::Client> client_;
  PpvClientOptions options_;
  mutable std::mutex mu_;
  std::map<uint32_t, PendingPurchase> pending_;  // by event id; guarded by mu_
};

// Whether a failed send may be sent again with the same purchase id: the DASP is gone,
// busy, or did not answer in time. Not: a NAK that refuses the request itself.
bool IsRetryable(std::error_code e);

}  // namespace dabs::ppv
