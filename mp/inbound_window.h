// Duplicate suppression for the messages a peer starts on one session (spec 2). With at
// most 128 messages in flight (spec 1.3), a transaction id 1..128 ahead of the highest seen
// is new, and one among the 128 up to the highest is new unless its bit says it was seen.
#pragma once

#include <bitset>
#include <cstdint>

namespace dabs::mp {

class InboundWindow {
 public:
  // True when `t` was already accepted.
  bool Seen(uint8_t t) const {
    const uint8_t ahead = static_cast<uint8_t>(t - highest_);
    if (ahead >= 1 && ahead <= 128) return false;
    return seen_[t];
  }

  // Records `t` as accepted. REQUIRES: !Seen(t).
  void Accept(uint8_t t) {
    const uint8_t ahead = static_cast<uint8_t>(t - highest_);
    if (ahead >= 1 && ahead <= 128) {
      // Ids between the old highest and t enter the window unseen: clear what they held
      // 256 transactions ago.
      for (uint8_t x = static_cast<uint8_t>(highest_ + 1); x != t; ++x)
        seen_.reset(x);
      highest_ = t;
    }
    seen_.set(t);
  }

 private:
  uint8_t highest_ = 255;  // one before 0: a session's first message is transaction 0
  std::bitset<256> seen_;
};

}  // namespace dabs::mp
