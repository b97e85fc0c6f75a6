#include "ppv_client_app.h"

#include <chrono>

#include <dabs/mp/clock.h>

namespace dabs::ppv {

namespace {

constexpr uint16_t kBrowsePage = 8;
constexpr uint16_t kQueryPage = 16;

std::string Mistyped(std::string pin, uint64_t random) {
  char& last = pin.back();
  last = static_cast<char>('0' + (last - '0' + 1 + random % 9) % 10);  // never the same digit
  return pin;
}

int64_t NowSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// Whether `r` is an answer a purchase of `e` with a right (or mistyped) PIN may get.
bool Plausible(const BuyResult& r, const Event& e, bool mistyped) {
  const auto& rec = r.reply.record;
  const bool of_event = rec && rec->event_id == e.id && rec->price_cents == e.price_cents;
  switch (r.reply.status) {
    case PpvStatus::kOk:
      return !mistyped && of_event && rec->purchase_id == r.purchase_id;
    case PpvStatus::kAlreadyPurchased:
      return of_event && (!mistyped || r.replayed());
    case PpvStatus::kWrongPin:
      return mistyped;
    case PpvStatus::kPinLocked:
      return true;  // this or another set-top of the subscriber
    case PpvStatus::kWindowClosed:
      return !e.on_sale || e.sale_closes_s <= NowSeconds() + 60;
    default:
      return false;
  }
}

}  // namespace

std::string ClientFigures::Summary() const {
  auto n = [](const std::atomic<uint64_t>& v) { return std::to_string(v.load()); };
  return "ppv: " + n(purchases_ok) + " purchases ok, " + n(duplicates_suppressed) +
         " duplicates suppressed, " + n(already_owned) +
         " already owned, refused: " + n(wrong_pin) + " wrong PIN, " + n(pin_locked) +
         " PIN locked, " + n(window_closed) + " sale closed, " + n(refused_other) + " other; " +
         n(retried) + " retried, " + n(failed) + " failed, " + n(abandoned) +
         " abandoned (the viewer left first); " + n(browses) + " catalogue pages, " + n(queries) +
         " purchase lists";
}

std::string ClientFigures::Json() const {
  std::string out = "{";
  auto add = [&](const char* name, const std::atomic<uint64_t>& v) {
    out += (out.size() > 1 ? ", \"" : "\"") + std::string(name) + "\": " + std::to_string(v.load());
  };
  add("purchases_ok", purchases_ok);
  add("duplicates_suppressed", duplicates_suppressed);
  add("already_owned", already_owned);
  add("wrong_pin", wrong_pin);
  add("pin_locked", pin_locked);
  add("window_closed", window_closed);
  add("refused_other", refused_other);
  add("retried", retried);
  add("failed", failed);
  add("abandoned", abandoned);
  add("catalogue_pages", browses);
  add("purchase_lists", queries);
  return out + "}";
}

PpvClientApp::PpvClientApp(std::shared_ptr<dacp::Client> client, std::string pin,
                           std::shared_ptr<ClientFigures> figures, PpvClientOptions options)
    : ppv_(PpvClient::Create(std::move(client), std::move(options))),
      pin_(std::move(pin)),
      figures_(figures ? std::move(figures) : std::make_shared<ClientFigures>()) {}

void PpvClientApp::Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) {
  mp::SeededRandom rng(random);
  const uint64_t kind = rng.Below(10);
  bool browsed;
  {
    std::lock_guard lock(seen_->mu);
    browsed = !seen_->events.empty();
  }
  if (!browsed || kind < 5) return Browse(rng.Next(), std::move(done));  // a viewer looks first
  if (kind < 9) return BuyOne(rng.Next(), std::move(done));
  ListPurchases(std::move(done));
}

void PpvClientApp::Browse(uint64_t random, std::function<void(dacp::ActOutcome)> done) {
  uint32_t total;
  {
    std::lock_guard lock(seen_->mu);
    total = seen_->total;
  }
  const uint32_t pages = (total + kBrowsePage - 1) / kBrowsePage;
  const uint32_t first = pages > 0 ? static_cast<uint32_t>(random % pages) * kBrowsePage : 0;
  ++figures_->browses;
  ppv_->Catalogue(first, kBrowsePage, [seen = seen_, done](Result<CatalogueReply> r) {
    if (!r) return done({Status(r.error()), false, true});
    const bool ok = r->status == PpvStatus::kOk && r->events.size() <= kBrowsePage && r->total > 0;
    if (ok && !r->events.empty()) {
      std::lock_guard lock(seen->mu);
      seen->events = r->events;
      seen->total = r->total;
    }
    done({Status::Ok(), ok, true});
  });
}

void PpvClientApp::BuyOne(uint64_t random, std::function<void(dacp::ActOutcome)> done) {
  mp::SeededRandom rng(random);
  Event event;
  {
    std::lock_guard lock(seen_->mu);
    event = seen_->events[rng.Below(seen_->events.size())];
  }
  const bool mistyped = rng.Below(10) == 0;  // a few viewers mistype the PIN
  ppv_->Buy(event.id, mistyped ? Mistyped(pin_, rng.Next()) : pin_,
            [figures = figures_, ppv = ppv_, event, mistyped, done](Result<BuyResult> r) {
              CountBuy(*figures, r, ppv->Closed());
              if (!r) return done({Status(r.error()), false, true});
              done({Status::Ok(), Plausible(*r, event, mistyped), true});
            });
}

void PpvClientApp::ListPurchases(std::function<void(dacp::ActOutcome)> done) {
  ++figures_->queries;
  ppv_->Purchases(0, kQueryPage, [done](Result<PurchasesReply> r) {
    if (!r) return done({Status(r.error()), false, true});
    done({Status::Ok(), r->status == PpvStatus::kOk, true});
  });
}

void PpvClientApp::CountBuy(ClientFigures& f, const Result<BuyResult>& r, bool closed) {
  if (!r) {
    ++(closed ? f.abandoned : f.failed);
    return;
  }
  if (r->attempts > 1) ++f.retried;
  switch (r->reply.status) {
    case PpvStatus::kOk:
      ++f.purchases_ok;
      break;
    case PpvStatus::kAlreadyPurchased:
      ++(r->replayed() ? f.duplicates_suppressed : f.already_owned);
      break;
    case PpvStatus::kWrongPin:
      ++f.wrong_pin;
      break;
    case PpvStatus::kPinLocked:
      ++f.pin_locked;
      break;
    case PpvStatus::kWindowClosed:
      ++f.window_closed;
      break;
    default:
      ++f.refused_other;
      break;
  }
}

Status RegisterClient(std::shared_ptr<ClientFigures> figures, std::string pin) {
  dacp::ClientAppFactory f;
  f.app = kAppName;
  f.make = [figures, pin](const dacp::SetTopProfile&, std::shared_ptr<dacp::Client> client) {
    return std::make_unique<PpvClientApp>(std::move(client), pin, figures);
  };
  return dacp::RegisterClientApp(kAppName, std::move(f));
}

}  // namespace dabs::ppv
