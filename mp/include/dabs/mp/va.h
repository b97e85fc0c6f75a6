// Virtual addresses (spec 3): 32-bit names of entities anywhere in the farm, their
// reserved values, allocation as server index + counter, and the URI form
// mp://FARM/APP/INSTANCE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>

namespace dabs::mp {

using Va = uint32_t;

inline constexpr Va kVaNone = 0x00000000;         // none / the receiving endpoint itself
inline constexpr Va kVaLbGroup = 0x00000001;      // the farm's load-balancing group
inline constexpr Va kVaStatsGroup = 0x00000002;   // the farm's statistics group
inline constexpr Va kVaConfigGroup = 0x00000003;  // the farm's configuration group
inline constexpr Va kVaLastReserved = 0x000000FF;

inline constexpr int kVaCounterBits = 20;
inline constexpr uint32_t kVaCounterMask = (1u << kVaCounterBits) - 1;
inline constexpr uint16_t kMaxServerIndex = 4095;

constexpr bool IsReservedVa(Va va) {
  return va <= kVaLastReserved;
}
constexpr bool IsGroupVa(Va va) {
  return va >= kVaLbGroup && va <= kVaConfigGroup;
}
constexpr uint16_t ServerIndexOf(Va va) {
  return static_cast<uint16_t>(va >> kVaCounterBits);
}
constexpr uint32_t CounterOf(Va va) {
  return va & kVaCounterMask;
}
// REQUIRES: 1 <= server_index <= 4095, counter <= 0xFFFFF.
constexpr Va MakeVa(uint16_t server_index, uint32_t counter) {
  return (static_cast<Va>(server_index) << kVaCounterBits) | (counter & kVaCounterMask);
}

// Hands out the VAs of one server: its index in the upper 12 bits, a counter below. No
// coordination with other servers is needed. Not thread-safe.
class VaAllocator {
 public:
  // REQUIRES: 1 <= server_index <= 4095. `next_counter` resumes after a restart.
  explicit VaAllocator(uint16_t server_index, uint32_t next_counter = 0);
  // kLimitExceeded once the 2^20 counter values are used up.
  Result<Va> Next();
  uint16_t server_index() const { return server_index_; }
  uint32_t next_counter() const { return next_; }

 private:
  uint16_t server_index_;
  uint32_t next_;
};

// The textual form of a VA: mp://FARM/APP/INSTANCE.
struct VaUri {
  std::string farm;  // [A-Za-z0-9._-]+
  std::string app;   // [A-Za-z0-9._-]+
  uint32_t instance = 0;

  static Result<VaUri> Parse(std::string_view text);  // kMalformed with a detail
  std::string ToString() const;
  friend bool operator==(const VaUri&, const VaUri&) = default;
};

// "0x00100005" style text for logs and JSON.
std::string FormatVa(Va va);

}  // namespace dabs::mp
