// The pay-per-view server portion: one PpvServer per DASP instance, all the instances of a
// process sharing one catalogue and one ledger (PpvShared). CATALOGUE and PURCHASES are
// answered on the worker; PURCHASE verifies the PIN on the worker, then goes to the
// ledger's writer, which answers once the purchase is on disk (a Responder).
//
// The subscriber is the session's CLIENT_ID (the set-top's id, sent in OPEN_SESSION), so a
// re-homed or reopened session of the same set-top is the same subscriber.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include <dabs/dasp/runtime.h>
#include <dabs/dasp/server.h>
#include <dabs/mp/clock.h>

#include "catalogue.h"
#include "ledger.h"

namespace dabs::ppv {

// The application statistics ppv adds to GET_STATISTICS replies (docs/payloads.md,
// application tags), counted per instance since it started.
inline constexpr uint8_t kPurchasesTag = 0x80;       // purchases recorded (charged)
inline constexpr uint8_t kReplaysTag = 0x81;         // duplicates suppressed: a purchase id
                                                     // answered with its original record
inline constexpr uint8_t kRefusalsTag = 0x82;        // purchases refused (any status but OK
                                                     // and ALREADY_PURCHASED), and NAKed
inline constexpr uint8_t kWrongPinsTag = 0x83;       // wrong PINs
inline constexpr uint8_t kLockedTag = 0x84;          // refused because the subscriber is locked
inline constexpr uint8_t kAlreadyOwnedTag = 0x85;    // a new purchase id for an event owned
inline constexpr uint8_t kRevenueTag = 0x86;         // cents charged
inline constexpr uint8_t kCataloguePagesTag = 0x87;  // CATALOGUE replies
inline constexpr uint8_t kQueriesTag = 0x88;         // PURCHASES replies

struct PpvShared {
  std::shared_ptr<const Catalogue> catalogue;
  std::shared_ptr<Ledger> ledger;
  std::shared_ptr<const mp::Clock> clock;  // sale windows and purchase times
};

class PpvServer final : public dasp::Server {
 public:
  struct Counters {
    std::atomic<uint64_t> purchases{0}, replays{0}, refusals{0}, wrong_pins{0}, locked{0},
        already_owned{0}, revenue_cents{0}, catalogue_pages{0}, queries{0};
  };

  // REQUIRES: every member of `shared` is set.
  explicit PpvServer(PpvShared shared);

  Status OnOpen(dasp::Session& session, const mp::OpenSessionRequest& request) override;
  void OnMessage(dasp::Session& session, dasp::Request& request) override;

  const Counters& counters() const { return *counters_; }

 private:
  void OnCatalogue(dasp::Request& request);
  void OnPurchase(dasp::Session& session, dasp::Request& request);
  void OnPurchases(dasp::Session& session, dasp::Request& request);
  // Counts a purchase's answer (on the ledger's thread for those that reached it).
  static void Count(Counters& c, const PurchaseOutcome& o);

  PpvShared shared_;
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  std::once_flag registered_;
};

}  // namespace dabs::ppv
