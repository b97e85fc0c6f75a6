#include "ppv_server.h"

#include <spdlog/spdlog.h>

namespace dabs::ppv {

namespace {

constexpr char kMalformedText[] = "not a ppv request of that command (docs/spec/mp.md section 9)";

}  // namespace

PpvServer::PpvServer(PpvShared shared) : shared_(std::move(shared)) {}

Status PpvServer::OnOpen(dasp::Session&, const mp::OpenSessionRequest&) {
  // runtime() is attached after the constructor: register with the first session.
  std::call_once(registered_, [this] {
    runtime().OnStatisticsRequest([c = counters_](mp::Statistics& s) {
      s.values[kPurchasesTag] = c->purchases.load();
      s.values[kReplaysTag] = c->replays.load();
      s.values[kRefusalsTag] = c->refusals.load();
      s.values[kWrongPinsTag] = c->wrong_pins.load();
      s.values[kLockedTag] = c->locked.load();
      s.values[kAlreadyOwnedTag] = c->already_owned.load();
      s.values[kRevenueTag] = c->revenue_cents.load();
      s.values[kCataloguePagesTag] = c->catalogue_pages.load();
      s.values[kQueriesTag] = c->queries.load();
    });
  });
  return Status::Ok();
}

void PpvServer::OnMessage(dasp::Session& session, dasp::Request& request) {
  switch (request.command()) {
    case kCatalogue:
      return OnCatalogue(request);
    case kPurchase:
      return OnPurchase(session, request);
    case kPurchases:
      return OnPurchases(session, request);
    default:
      (void)request.Refuse(mp::Errc::kUnknownCommand, "ppv knows 0x0100, 0x0101 and 0x0102");
  }
}

void PpvServer::OnCatalogue(dasp::Request& request) {
  auto req = DecodeCatalogueRequest(request.payload());
  if (!req) return (void)request.Refuse(mp::Errc::kMalformed, kMalformedText);
  CatalogueReply reply;
  if (!Valid(*req)) {
    reply.status = PpvStatus::kMalformed;
    return (void)request.Reply(Encode(reply));
  }
  const auto& events = shared_.catalogue->events();
  const int64_t now_s = shared_.clock->UnixMillis() / 1000;
  reply.total = static_cast<uint32_t>(events.size());
  for (size_t i = req->first; i < events.size() && reply.events.size() < req->max; ++i)
    reply.events.push_back(events[i].ToWire(now_s));
  ++counters_->catalogue_pages;
  (void)request.Reply(Encode(reply));
}

void PpvServer::OnPurchase(dasp::Session& session, dasp::Request& request) {
  auto req = DecodePurchaseRequest(request.payload());
  if (!req) {
    ++counters_->refusals;
    return (void)request.Refuse(mp::Errc::kMalformed, kMalformedText);
  }
  auto answer_now = [&](PpvStatus s) {
    ++counters_->refusals;
    PurchaseReply reply;
    reply.status = s;
    (void)request.Reply(Encode(reply));
  };
  if (!Valid(*req)) return answer_now(PpvStatus::kMalformed);
  const Subscriber* subscriber = shared_.catalogue->FindSubscriber(session.client_id());
  if (!subscriber) return answer_now(PpvStatus::kUnknownSubscriber);

  PurchaseAttempt a;
  a.subscriber = session.client_id();
  a.purchase_id = req->purchase_id;
  a.event_id = req->event_id;
  a.now_ms = shared_.clock->UnixMillis();
  if (const Listing* e = shared_.catalogue->FindEvent(req->event_id)) {
    a.price_cents = e->price_cents;
    a.event = e->OnSale(a.now_ms / 1000) ? PurchaseAttempt::EventState::kOnSale
                                         : PurchaseAttempt::EventState::kClosed;
  } else {
    a.event = PurchaseAttempt::EventState::kUnknown;
  }
  // PBKDF2 here, on the worker, so the ledger's writer only reads and writes. A replay
  // spends it too: the ledger, not this worker, knows that it is one.
  a.pin_ok = VerifyPin(subscriber->pin, req->pin);
  a.taken_by = runtime().va();
  shared_.ledger->Submit(
      std::move(a), [r = request.TakeResponder(), c = counters_](Result<PurchaseOutcome> outcome) {
        if (!outcome) {
          ++c->refusals;
          spdlog::error("ledger: {}", outcome.error().Message());
          // NO_CAPACITY: nothing was recorded; the client may retry with the same purchase id.
          (void)r.Refuse(mp::Errc::kNoCapacity, outcome.error().Message());
          return;
        }
        Count(*c, *outcome);
        (void)r.Reply(Encode(outcome->reply));
      });
}

void PpvServer::OnPurchases(dasp::Session& session, dasp::Request& request) {
  auto req = DecodePurchasesRequest(request.payload());
  if (!req) return (void)request.Refuse(mp::Errc::kMalformed, kMalformedText);
  PurchasesReply reply;
  if (!Valid(*req)) {
    reply.status = PpvStatus::kMalformed;
  } else if (!shared_.catalogue->FindSubscriber(session.client_id())) {
    reply.status = PpvStatus::kUnknownSubscriber;
  } else {
    auto page = shared_.ledger->Purchases(session.client_id(), req->after, req->max);
    if (!page) return (void)request.Refuse(mp::Errc::kNoCapacity, page.error().Message());
    reply = std::move(*page);
    ++counters_->queries;
  }
  (void)request.Reply(Encode(reply));
}

void PpvServer::Count(Counters& c, const PurchaseOutcome& o) {
  const PpvStatus s = o.reply.status;
  if (o.recorded) {
    ++c.purchases;
    c.revenue_cents += o.reply.record ? o.reply.record->price_cents : 0;
  } else if (o.replay) {
    ++c.replays;
  } else if (s == PpvStatus::kAlreadyPurchased) {
    ++c.already_owned;
  } else {
    ++c.refusals;
  }
  if (o.wrong_pin) ++c.wrong_pins;
  if (s == PpvStatus::kPinLocked && !o.wrong_pin) ++c.locked;
}

}  // namespace dabs::ppv
