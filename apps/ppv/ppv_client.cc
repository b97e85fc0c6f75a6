#include "ppv_client.h"

#include <cstdio>
#include <random>

#include <boost/asio/steady_timer.hpp>

namespace dabs::ppv {

namespace {

using mp::Errc;

uint64_t RandomPurchaseId() {
  std::random_device rd;  // the kernel's getrandom: ids of different set-tops never collide
  uint64_t id = 0;
  while (id == 0)
    id = (uint64_t{rd()} << 32) | rd();
  return id;
}

Error Undecodable(uint16_t command) {
  char text[48];
  std::snprintf(text, sizeof text, "the reply to 0x%04x does not decode", command);
  return Error{make_error_code(Errc::kMalformed), text};
}

}  // namespace

struct PpvClient::Attempt {
  PendingPurchase purchase;
  std::function<void(Result<BuyResult>)> done;
  int sends = 0;
};

bool IsRetryable(std::error_code e) {
  if (dacp::IsServerGone(e)) return true;
  if (e.category() != mp::MpCategory()) return false;
  switch (static_cast<Errc>(e.value())) {
    case Errc::kReplyTimeout:  // ACKed, unanswered: the ledger may have it; the id tells
    case Errc::kNoCapacity:    // the ledger was busy or failed; nothing was recorded
    case Errc::kLimitExceeded:
    case Errc::kQueueFull:
      return true;
    default:
      return false;
  }
}

std::shared_ptr<PpvClient> PpvClient::Create(std::shared_ptr<dacp::Client> client,
                                             PpvClientOptions options) {
  return std::shared_ptr<PpvClient>(new PpvClient(std::move(client), std::move(options)));
}

PpvClient::PpvClient(std::shared_ptr<dacp::Client> client, PpvClientOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  if (!options_.new_purchase_id) options_.new_purchase_id = RandomPurchaseId;
}

void PpvClient::Catalogue(uint32_t first, uint16_t max,
                          std::function<void(Result<CatalogueReply>)> done) {
  CallOpen(kCatalogue, Encode(CatalogueRequest{first, max}),
           [done = std::move(done)](Result<std::vector<uint8_t>>&& r) {
             if (!r) return done(r.error());
             auto reply = DecodeCatalogueReply(*r);
             if (!reply) return done(Undecodable(kCatalogue));
             done(std::move(*reply));
           });
}

void PpvClient::Purchases(uint64_t after, uint16_t max,
                          std::function<void(Result<PurchasesReply>)> done) {
  CallOpen(kPurchases, Encode(PurchasesRequest{after, max}),
           [done = std::move(done)](Result<std::vector<uint8_t>>&& r) {
             if (!r) return done(r.error());
             auto reply = DecodePurchasesReply(*r);
             if (!reply) return done(Undecodable(kPurchases));
             done(std::move(*reply));
           });
}

void PpvClient::Buy(uint32_t event_id, std::string pin,
                    std::function<void(Result<BuyResult>)> done) {
  PendingPurchase p;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(event_id);
    // The same event again before an answer came: the same purchase id, so that the earlier
    // attempt, should the ledger have it, is not charged a second time.
    p = it != pending_.end() ? it->second
                             : PendingPurchase{options_.new_purchase_id(), event_id, {}};
  }
  p.pin = std::move(pin);
  Buy(std::move(p), std::move(done));
}

void PpvClient::Buy(PendingPurchase purchase, std::function<void(Result<BuyResult>)> done) {
  {
    std::lock_guard lock(mu_);
    pending_[purchase.event_id] = purchase;
  }
  auto a = std::make_shared<Attempt>();
  a->purchase = std::move(purchase);
  a->done = std::move(done);
  Send(std::move(a));
}

std::vector<PendingPurchase> PpvClient::Pending() const {
  std::lock_guard lock(mu_);
  std::vector<PendingPurchase> out;
  for (const auto& [event, p] : pending_)
    out.push_back(p);
  return out;
}

bool PpvClient::Closed() const {
  const auto state = client_->state();
  return (state == dacp::ClientState::kClosed || state == dacp::ClientState::kClosing) &&
         client_->stats().opens > 0;
}

void PpvClient::CallOpen(uint16_t command, std::vector<uint8_t> payload, dacp::CallCallback done) {
  const auto state = client_->state();
  const bool never_opened = state == dacp::ClientState::kClosed && client_->stats().opens == 0;
  if (!never_opened && state != dacp::ClientState::kFailed)
    return client_->Call(command, std::move(payload), std::move(done));
  // Never opened, or given up (its server vanished with re-homing off, or a re-home
  // failed): ask the farm for a session first. An open that failed fails the call. A client
  // the application (or its server) closed is left closed: the call fails.
  std::weak_ptr<dacp::Client> weak = client_;
  client_->Reopen(
      [weak, command, payload = std::move(payload), done = std::move(done)](Status) mutable {
        auto client = weak.lock();
        if (!client) return done(Error{make_error_code(Errc::kCancelled), "the client is gone"});
        client->Call(command, std::move(payload), std::move(done));
      });
}

void PpvClient::Send(std::shared_ptr<Attempt> a) {
  ++a->sends;
  const auto& p = a->purchase;
  std::weak_ptr<PpvClient> weak = weak_from_this();
  // The purchase id goes with the request wherever it lands: this session, a re-homed one,
  // a reopened one.
  CallOpen(kPurchase, Encode(PurchaseRequest{p.purchase_id, p.event_id, p.pin}),
           [weak, a](Result<std::vector<uint8_t>>&& r) {
             if (auto self = weak.lock()) return self->OnAnswer(a, std::move(r));
             a->done(Error{make_error_code(Errc::kCancelled), "the ppv client is gone"});
           });
}

void PpvClient::OnAnswer(std::shared_ptr<Attempt> a, Result<std::vector<uint8_t>>&& r) {
  if (!r) {
    // A closed client (the viewer left, or the server closed the session) is not reopened
    // behind its application's back. Either way the purchase stays pending: a later Buy of
    // the event sends the same id.
    if (IsRetryable(r.error().code) && a->sends < options_.max_attempts && !Closed())
      return Retry(std::move(a));
    return a->done(r.error());
  }
  auto reply = DecodePurchaseReply(*r);
  if (!reply) return a->done(Undecodable(kPurchase));
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(a->purchase.event_id);
    if (it != pending_.end() && it->second.purchase_id == a->purchase.purchase_id)
      pending_.erase(it);
  }
  a->done(BuyResult{std::move(*reply), a->purchase.purchase_id, a->sends});
}

void PpvClient::Retry(std::shared_ptr<Attempt> a) {
  auto delay = options_.first_backoff;
  for (int i = 1; i < a->sends && delay < options_.max_backoff; ++i)
    delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  auto timer = std::make_shared<boost::asio::steady_timer>(client_->gateway().io(), delay);
  std::weak_ptr<PpvClient> weak = weak_from_this();
  timer->async_wait([weak, a, timer](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return a->done(Error{make_error_code(Errc::kCancelled), "retry cancelled"});
    self->Send(a);
  });
}

}  // namespace dabs::ppv
