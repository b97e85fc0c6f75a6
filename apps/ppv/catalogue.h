// The pay-per-view catalogue: the events on sale, the subscribers who may buy them (with
// their PIN hashes) and the PIN lockout policy, read from a YAML file (apps/ppv/README.md).
// It is checked as the farm file is: an unknown key, a key given twice, a wrong type or a
// value out of range is refused with FILE:LINE:COLUMN and what was expected, and nothing
// starts on a bad file.
//
// Thread safety: a loaded Catalogue is immutable; any thread may read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <dabs/mp/result.h>

#include "pin_hash.h"
#include "ppv_protocol.h"

namespace dabs::ppv {

inline constexpr size_t kMaxEvents = 10'000;
inline constexpr size_t kMaxSubscriberEntries = 1'000'000;
inline constexpr size_t kMaxSubscriberIdBytes = 64;  // a CLIENT_ID's limit (spec 5)
inline constexpr uint32_t kMaxPriceCents = 10'000'000;
inline constexpr size_t kMaxCatalogueFileBytes = 64 << 20;

struct Listing {
  uint32_t id = 0;
  std::string title;  // 1..kMaxTitleBytes bytes
  uint16_t channel = 0;
  int64_t start_s = 0, end_s = 0;
  int64_t sale_closes_s = 0;  // `sale_closes`, by default `end`
  uint32_t price_cents = 0;

  bool OnSale(int64_t now_s) const { return now_s < sale_closes_s; }
  Event ToWire(int64_t now_s) const;
};

// A subscriber is the CLIENT_ID its set-top opens sessions with. An id ending in '*' is a
// pattern: every CLIENT_ID starting with what comes before it is a subscriber of its own
// (its own purchases and lockout) with this PIN hash: the initial PIN of a range of
// provisioned set-tops. An exact id wins over a pattern; a longer pattern over a shorter.
struct Subscriber {
  std::string id;
  PinHash pin;
};

struct PinPolicy {
  uint32_t max_failures = 5;  // wrong PINs in a row that lock the subscriber
  uint32_t lockout_s = 900;   // how long the lock lasts
};

class Catalogue {
 public:
  Catalogue() = default;
  Catalogue(std::vector<Listing> events, std::vector<Subscriber> subscribers, PinPolicy policy);

  // In schedule order: by start, then id.
  const std::vector<Listing>& events() const { return events_; }
  const Listing* FindEvent(uint32_t id) const;
  const Subscriber* FindSubscriber(std::string_view client_id) const;
  const std::vector<Subscriber>& subscribers() const { return subscribers_; }  // file order
  const PinPolicy& pin_policy() const { return policy_; }

 private:
  std::vector<Listing> events_;
  std::unordered_map<uint32_t, size_t> by_id_;
  std::vector<Subscriber> subscribers_;
  std::unordered_map<std::string, size_t> exact_;
  std::vector<size_t> patterns_;  // indexes into subscribers_, longest prefix first
  PinPolicy policy_;
};

// `name` labels the problems ("catalogue.yaml:12:5: events[2].price_cents: ..."). On
// failure, every problem found is in *problems (when given) and in the error's detail.
Result<Catalogue> ParseCatalogue(std::string_view yaml, const std::string& name,
                                 std::vector<std::string>* problems = nullptr);
Result<Catalogue> LoadCatalogue(const std::filesystem::path& file,
                                std::vector<std::string>* problems = nullptr);

}  // namespace dabs::ppv
