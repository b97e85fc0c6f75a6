// Faults a link can suffer, for tests and the emulator: loss, duplication, reordering
// (by extra delay) and corruption. Corruption flips a burst of bits within one byte, which
// CRC-8 always detects (spec 1.6); wider random damage escapes an 8-bit CRC one time in 256,
// which is a property of the protocol, not something a test should hide.
#pragma once

#include <cstdint>
#include <span>

#include <dabs/mp/clock.h>
#include <dabs/mp/endpoint.h>

namespace dabs::mp {

struct FaultProfile {
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability it is delivered twice
  double reorder = 0;    // probability it is held back by up to reorder_delay
  double corrupt = 0;    // probability one byte of it is damaged
  Duration reorder_delay = milliseconds(5);

  bool Any() const { return loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0; }
};

struct FaultDecision {
  int copies = 1;  // 0: dropped
  Duration extra_delay{0};
  bool corrupt = false;
  size_t corrupt_offset = 0;
  uint8_t corrupt_mask = 0;
};

// Decides the fate of each datagram from a Random. Not thread-safe.
class FaultInjector {
 public:
  FaultInjector(const FaultProfile& profile, Random& random) : profile_(profile), random_(random) {}

  FaultDecision Decide(size_t size) {
    FaultDecision d;
    if (random_.Uniform01() < profile_.loss) {
      d.copies = 0;
      return d;
    }
    if (random_.Uniform01() < profile_.duplicate) d.copies = 2;
    if (random_.Uniform01() < profile_.reorder) {
      d.extra_delay = Duration(static_cast<int64_t>(
          random_.Uniform01() * static_cast<double>(profile_.reorder_delay.count())));
    }
    if (size > 0 && random_.Uniform01() < profile_.corrupt) {
      d.corrupt = true;
      d.corrupt_offset = random_.Below(size);
      d.corrupt_mask = static_cast<uint8_t>(1 + random_.Below(255));
    }
    return d;
  }

  static void Apply(const FaultDecision& d, std::span<uint8_t> bytes) {
    if (!d.corrupt || d.corrupt_offset >= bytes.size()) return;
    uint8_t mask = d.corrupt_mask;
    // The C bit is not covered by the CRC, and since it belongs to each datagram (spec 1.6)
    // no receiver can tell its loss from a datagram sent without a CRC: damage there goes
    // unseen by design (EngineTest.ACrcBitLostOnTheWayGoesUnseen pins it). The link model
    // leaves it alone so that what the tests measure is the engine, not that property.
    if (d.corrupt_offset == 5 /* wire::kOffSentTime */) mask &= ~uint8_t{0x40};
    bytes[d.corrupt_offset] ^= mask ? mask : uint8_t{0x01};
  }

  const FaultProfile& profile() const { return profile_; }

 private:
  FaultProfile profile_;
  Random& random_;
};

// A model of the link between a node and its peers (the emulator's plant channels: a shared
// OOB return with contention, DOCSIS request-grant, a modem): for each datagram, how many
// copies arrive, after what delay, and whether damaged. The node asks it for every datagram
// it sends (Outbound) and every one it receives on its UDP socket (Inbound), on its strand,
// in order; `now` is the node's clock. Implementations keep their own queue state (a
// channel busy until some time) and randomness; they need not be thread-safe.
class LinkShaper {
 public:
  virtual ~LinkShaper() = default;
  virtual FaultDecision Outbound(const Endpoint& to, std::span<const uint8_t> bytes,
                                 TimePoint now) = 0;
  virtual FaultDecision Inbound(const Endpoint& from, std::span<const uint8_t> bytes,
                                TimePoint now) = 0;
};

}  // namespace dabs::mp
