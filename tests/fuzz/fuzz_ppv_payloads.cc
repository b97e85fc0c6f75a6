// Feeds one payload to every decoder of the pay-per-view application's messages
// (apps/ppv/ppv_protocol.h; docs/spec/mp.md section 9): CATALOGUE, PURCHASE and PURCHASES,
// requests and replies, which ppv-dasp and set-tops read off the network.
// Beyond "no crash" it checks that
//  - a decoder takes a payload whole or not at all: whatever decodes encodes back to exactly
//    the bytes it came from (no field skipped, nothing trailing, one encoding per value);
//  - nothing decoded is larger than the payload that carried it (events, records, titles,
//    PINs), and the protocol's bounds hold (titles <= 64 bytes, statuses known, a record
//    exactly where its status calls for one).
#include "fuzz_support.h"
#include "ppv_protocol.h"

namespace {

using namespace dabs::ppv;

template <typename T>
void Same(std::span<const uint8_t> in, const std::optional<T>& v) {
  if (!v) return;
  const auto out = Encode(*v);
  DABS_FUZZ_CHECK(out.size() == in.size() && std::equal(out.begin(), out.end(), in.begin()));
}

std::vector<dabs::fuzz::Seed> Seeds() {
  const PurchaseRecord r{7, 1001, 5999, 1'900'000'000'000, 1, 0x00100001};
  const Event e{1001, 901, 1'906'506'000, 1'906'516'800, 1'906'516'800, 5999, true, "Boxing"};
  return {Encode(CatalogueRequest{0, 8}),
          Encode(CatalogueReply{PpvStatus::kOk, 12, {e, e}}),
          Encode(PurchaseRequest{7, 1001, "1234"}),
          Encode(PurchaseReply{PpvStatus::kOk, r, 0, 0}),
          Encode(PurchaseReply{PpvStatus::kWrongPin, std::nullopt, 2, 0}),
          Encode(PurchaseReply{PpvStatus::kPinLocked, std::nullopt, 0, 1'900'000'900'000}),
          Encode(PurchasesRequest{0, 16}),
          Encode(PurchasesReply{PpvStatus::kOk, 7, {r, r}})};
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> p(data, size);
  Same(p, DecodeCatalogueRequest(p));
  Same(p, DecodePurchaseRequest(p));
  Same(p, DecodePurchasesRequest(p));
  if (auto c = DecodeCatalogueReply(p)) {
    DABS_FUZZ_CHECK(c->events.size() * 36 <= size);
    for (const auto& e : c->events)
      DABS_FUZZ_CHECK(e.title.size() <= kMaxTitleBytes);
    Same(p, c);
  }
  if (auto r = DecodePurchaseReply(p)) {
    const bool record = r->status == PpvStatus::kOk || r->status == PpvStatus::kAlreadyPurchased ||
                        r->status == PpvStatus::kIdReused;
    DABS_FUZZ_CHECK(static_cast<uint8_t>(r->status) <= kMaxStatus);
    DABS_FUZZ_CHECK(record == r->record.has_value());
    Same(p, r);
  }
  if (auto l = DecodePurchasesReply(p)) {
    DABS_FUZZ_CHECK(l->records.size() * kRecordBytes <= size);
    Same(p, l);
  }
  return 0;
}
