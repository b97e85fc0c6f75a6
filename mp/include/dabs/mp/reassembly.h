// Reassembly of multi-buffer messages (spec 1.5): buffers arrive in any order, duplicates
// are ignored, a bit-set tells when the message is whole. Every limit is checked before
// anything is allocated: the message size (NAK 5), bytes of partial messages per peer and
// in all, and the age of a partial message (NAK 12).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/header.h>

namespace dabs::mp {

struct ReassemblyLimits {
  size_t max_message_bytes = 1 << 20;           // 1 MiB
  size_t max_partial_bytes_per_peer = 4 << 20;  // 4 MiB
  size_t max_partial_bytes_total = 64 << 20;    // 64 MiB
  Duration timeout = milliseconds(5000);        // a partial message older than this is dropped
};

// Identifies one transaction of one peer: the peer (a number the engine assigns to each
// endpoint), session, transaction id, and whether it is the reply half.
struct TransactionKey {
  uint32_t peer = 0;
  uint8_t session = 0;
  uint8_t transaction = 0;
  bool reply = false;
  friend bool operator==(const TransactionKey&, const TransactionKey&) = default;
  uint64_t Packed() const {
    return (uint64_t{peer} << 17) | (uint64_t{session} << 9) | (uint64_t{transaction} << 1) |
           (reply ? 1 : 0);
  }
  static TransactionKey Unpack(uint64_t packed) {
    return {static_cast<uint32_t>(packed >> 17), static_cast<uint8_t>(packed >> 9),
            static_cast<uint8_t>(packed >> 1), (packed & 1) != 0};
  }
};

class ReassemblyBuffer {
 public:
  enum class Outcome {
    kIncomplete,  // stored; more buffers to come
    kComplete,    // `message` holds the whole payload
    kDuplicate,   // a buffer already held; ignored
    kTooLarge,    // over max_message_bytes: NAK 5 (reported once per message)
    kRejected,    // a later buffer of a message already refused: drop silently
    kMalformed,   // inconsistent with the earlier buffers or the buffer size: NAK 4
    kOverBudget,  // no room under the per-peer or total budget now: drop, sender retries
  };
  struct AddResult {
    Outcome outcome;
    std::vector<uint8_t> message;  // when kComplete
  };
  struct Expired {
    TransactionKey key;
    Header header;
  };

  explicit ReassemblyBuffer(const ReassemblyLimits& limits = {}) : limits_(limits) {}
  ReassemblyBuffer(const ReassemblyBuffer&) = delete;
  ReassemblyBuffer& operator=(const ReassemblyBuffer&) = delete;

  // Adds one buffer. `chunk` is the payload size of every buffer but the last (the largest
  // that fits one datagram with this header's flags). REQUIRES: header.multi.
  AddResult Add(const TransactionKey& key, const Header& header, std::span<const uint8_t> payload,
                size_t chunk, TimePoint now);

  // Drops partial messages older than the timeout and returns them (for NAK 12).
  std::vector<Expired> Expire(TimePoint now);

  // Calls fn(key, header, idle_for) for every partial message with no new buffer for at
  // least `idle`; fn may call Missing() and MarkPrompted() for it.
  void ForEachStalled(
      TimePoint now, Duration idle,
      const std::function<void(const TransactionKey&, const Header&, Duration)>& fn);
  // Up to `max` missing buffer numbers of a partial message, lowest first.
  std::vector<uint16_t> Missing(const TransactionKey& key, size_t max) const;
  // Records that the sender was prompted for missing buffers (restarts the idle clock).
  void MarkPrompted(const TransactionKey& key, TimePoint now);

  void DropPeer(uint32_t peer);
  bool Has(const TransactionKey& key) const { return partials_.count(key.Packed()) != 0; }
  size_t partial_count() const { return partials_.size(); }
  size_t bytes_reserved() const { return total_bytes_; }
  // The earliest time Expire() has work to do, if any partial is held.
  std::optional<TimePoint> NextExpiry() const;

 private:
  struct Partial {
    Header header;  // of the first buffer that arrived; later ones must agree
    std::unique_ptr<uint8_t[]> data;
    size_t reserved = 0;
    size_t chunk = 0;
    size_t last_length = 0;  // payload of the last buffer, once received
    uint16_t received = 0;
    std::vector<uint64_t> bits;
    TimePoint started;
    TimePoint last_progress;
  };

  bool Has(const Partial& p, uint16_t buffer) const {
    return p.bits[buffer / 64] & (uint64_t{1} << (buffer % 64));
  }
  void Release(uint64_t packed, const Partial& p);

  ReassemblyLimits limits_;
  std::unordered_map<uint64_t, Partial> partials_;
  std::unordered_map<uint32_t, size_t> peer_bytes_;
  std::unordered_map<uint64_t, TimePoint> rejected_;  // refused messages, until the timeout
  size_t total_bytes_ = 0;
};

}  // namespace dabs::mp
