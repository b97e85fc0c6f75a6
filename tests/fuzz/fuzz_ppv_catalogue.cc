// Feeds YAML text to ppv-dasp's catalogue loader (apps/ppv/catalogue.h, ParseCatalogue: what
// LoadCatalogue reads from --catalogue FILE), PIN hashes (pin_hash.h) and event times
// (utc_time.h) included.
// Beyond "no crash" (yaml-cpp's exceptions included) it checks that a catalogue it accepts
// keeps the promises ppv-dasp relies on: at least one event, ids unique and found by
// FindEvent, events in schedule order, end after start, the sale closing by the end, titles
// of 1..64 bytes, prices in range; subscriber ids of 1..64 bytes, each found by
// FindSubscriber as itself (patterns by any id they cover), PIN hashes of the sizes and
// iteration counts VerifyPin expects; a lockout policy within its bounds.
#include "catalogue.h"
#include "fuzz_support.h"

namespace {

using namespace dabs::ppv;

void CheckEvents(const Catalogue& c) {
  const auto& events = c.events();
  DABS_FUZZ_CHECK(!events.empty() && events.size() <= kMaxEvents);
  for (size_t i = 0; i < events.size(); ++i) {
    const Listing& e = events[i];
    DABS_FUZZ_CHECK(c.FindEvent(e.id) == &e);
    DABS_FUZZ_CHECK(i == 0 || events[i - 1].start_s <= e.start_s);
    DABS_FUZZ_CHECK(e.start_s < e.end_s && e.sale_closes_s <= e.end_s);
    DABS_FUZZ_CHECK(!e.title.empty() && e.title.size() <= kMaxTitleBytes);
    DABS_FUZZ_CHECK(e.price_cents <= kMaxPriceCents && e.channel >= 1);
  }
}

void CheckSubscribers(const Catalogue& c) {
  DABS_FUZZ_CHECK(c.subscribers().size() <= kMaxSubscriberEntries);
  for (const auto& s : c.subscribers()) {
    DABS_FUZZ_CHECK(!s.id.empty() && s.id.size() <= kMaxSubscriberIdBytes);
    DABS_FUZZ_CHECK(s.pin.key.size() == kPinKeyBytes && !s.pin.salt.empty());
    DABS_FUZZ_CHECK(s.pin.iterations >= kMinPinIterations && s.pin.iterations <= kMaxPinIterations);
    if (!s.id.ends_with('*')) {
      DABS_FUZZ_CHECK(c.FindSubscriber(s.id) == &s);  // an exact id is found as itself
    } else if (s.id.size() < kMaxSubscriberIdBytes) {
      // A pattern covers every id it starts (a longer pattern or an exact id may win).
      DABS_FUZZ_CHECK(c.FindSubscriber(s.id.substr(0, s.id.size() - 1) + "x") != nullptr);
    }
  }
}

std::vector<dabs::fuzz::Seed> Seeds() {
  std::vector<dabs::fuzz::Seed> out = {
      dabs::fuzz::Bytes(dabs::fuzz::ReadSourceFile("apps/ppv/catalogue.yaml"))};
  for (const auto& block : dabs::fuzz::YamlBlocks(dabs::fuzz::ReadSourceFile("apps/ppv/README.md")))
    out.push_back(dabs::fuzz::Bytes(block));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> problems;
  auto c = ParseCatalogue(dabs::fuzz::Text({data, size}), "fuzz.yaml", &problems);
  if (!c) {
    DABS_FUZZ_CHECK(!problems.empty());
    return 0;
  }
  CheckEvents(*c);
  DABS_FUZZ_CHECK(c->pin_policy().max_failures >= 1 && c->pin_policy().max_failures <= 100);
  DABS_FUZZ_CHECK(c->pin_policy().lockout_s >= 1);
  CheckSubscribers(*c);
  return 0;
}
