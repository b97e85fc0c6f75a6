// ppv as dabs-emu drives it: a viewer browses the catalogue, some buy an event on sale,
// a few mistype the PIN, some look at their purchases. Each Act is one of these, drawn from
// the random value, and checked: the answer must be one the request allows (a right PIN on
// an event on sale is bought or already owned, a mistyped one is WRONG_PIN or PIN_LOCKED...),
// and a record must be of the event bought, at its price.
//
// ClientFigures gathers what the team looks at across every set-top of a run (purchases,
// duplicates suppressed, refusals); dabs-emu prints them and writes them to its report.
// RegisterClient registers "ppv". Thread safety: ClientFigures is thread-safe; Act from any
// thread, one at a time per app (dacp::ClientApp).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dabs/dacp/client_app.h>

#include "ppv_client.h"

namespace dabs::ppv {

// The demo catalogue's PIN of every emulated set-top (apps/ppv/catalogue.yaml, "stb-*").
inline constexpr char kDemoPin[] = "1234";

struct ClientFigures {
  std::atomic<uint64_t> browses{0}, queries{0};
  std::atomic<uint64_t> purchases_ok{0};           // bought now (OK)
  std::atomic<uint64_t> duplicates_suppressed{0};  // answered with this purchase id's own record
  std::atomic<uint64_t> already_owned{0};          // the event was bought before, under another id
  std::atomic<uint64_t> wrong_pin{0}, pin_locked{0}, window_closed{0}, refused_other{0};
  std::atomic<uint64_t> retried{0};    // purchases that took more than one send
  std::atomic<uint64_t> failed{0};     // purchases without an answer after every retry
  std::atomic<uint64_t> abandoned{0};  // the viewer tuned away before the answer came

  bool Any() const { return browses + queries + purchases_ok + duplicates_suppressed + failed > 0; }
  // One line for a log ("ppv: 812 purchases ok, 3 duplicates suppressed, ...").
  std::string Summary() const;
  // A JSON object of every figure.
  std::string Json() const;
};

class PpvClientApp final : public dacp::ClientApp {
 public:
  // `figures` may be null.
  PpvClientApp(std::shared_ptr<dacp::Client> client, std::string pin,
               std::shared_ptr<ClientFigures> figures, PpvClientOptions options = {});
  void Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) override;
  PpvClient& ppv() const { return *ppv_; }

 private:
  void Browse(uint64_t random, std::function<void(dacp::ActOutcome)> done);
  void BuyOne(uint64_t random, std::function<void(dacp::ActOutcome)> done);
  void ListPurchases(std::function<void(dacp::ActOutcome)> done);
  static void CountBuy(ClientFigures& f, const Result<BuyResult>& r, bool closed);

  // What the viewer has seen; shared with the callbacks, which may outlive the app (a viewer
  // tunes away while a purchase is being retried).
  struct Seen {
    std::mutex mu;
    std::vector<Event> events;  // the last page browsed
    uint32_t total = 0;         // events in the catalogue, as last told
  };

  std::shared_ptr<PpvClient> ppv_;
  std::string pin_;
  std::shared_ptr<ClientFigures> figures_;
  std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
};

// Registers "ppv" in dacp::DefaultClientApps(): every emulated set-top buys with `pin` and
// counts into `figures` (may be null). Idempotent: the first registration stays.
Status RegisterClient(std::shared_ptr<ClientFigures> figures = nullptr, std::string pin = kDemoPin);

}  // namespace dabs::ppv
