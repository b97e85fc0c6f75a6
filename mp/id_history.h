// Private: what a session remembers about the recent uses of its 8-bit transaction ids.
//
// Ids wrap after 256 uses, which a busy session reaches in milliseconds, while a stray copy
// of a datagram of an id's previous use may still be on its way. As TCP does with TIME_WAIT
// and PAWS, the sender waits out a quarantine before reusing an id, and both sides unmask
// copies of a previous use by its sent time, which retransmissions keep (spec 1.4): the new
// use of an id always has another sent time, because the quarantine lasts over a millisecond.
// Records older than kTrust are dropped, so an idle session holds none. See docs/decisions.md.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include <dabs/mp/clock.h>
#include <dabs/mp/sent_time.h>

namespace dabs::mp::internal {

// How long a record of an id's previous use is kept and trusted.
inline constexpr Duration kTrust = std::chrono::seconds(30);

// Our side: the ids we sent, when each may be used again, and the sent time of the reply
// that ended its previous use. Not thread-safe.
class OutboundIdHistory {
 public:
  // The use of `id` ended at `now`; the id may be used again from `reusable_at`.
  // `reply_ms`: the millisecond of the hour of the reply that ended it, if any.
  void Finished(uint8_t id, TimePoint now, TimePoint reusable_at,
                std::optional<uint32_t> reply_ms) {
    Forget(id);
    Prune(now);
    entries_.push_back({id, reusable_at, now, reply_ms});
  }
  // Keeps `id` in quarantine until at least `until` (we just sent an ACK about it).
  void Extend(uint8_t id, TimePoint now, TimePoint until, std::optional<uint32_t> reply_ms) {
    for (auto& e : entries_) {
      if (e.id == id) {
        e.reusable_at = std::max(e.reusable_at, until);
        return;
      }
    }
    Finished(id, now, until, reply_ms);
  }
  // Until when `id` is held back; nullopt when it may be used now.
  std::optional<TimePoint> HeldUntil(uint8_t id, TimePoint now) {
    Prune(now);
    for (const auto& e : entries_) {  // its entry is near the front: ids recur in order
      if (e.id == id) return e.reusable_at > now ? std::optional(e.reusable_at) : std::nullopt;
    }
    return std::nullopt;
  }
  // Called as `id` is used again: forgets it and returns the millisecond of the reply to its
  // previous use, so that a late copy of that reply is not taken for the new one's.
  std::optional<uint32_t> TakeForLaunch(uint8_t id, TimePoint now) {
    Prune(now);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->id == id) {
        auto ms = it->reply_ms;
        entries_.erase(it);
        return ms;
      }
    }
    return std::nullopt;
  }
  void Prune(TimePoint now) {
    while (!entries_.empty() && now - entries_.front().ended >= kTrust)
      entries_.pop_front();
  }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  void Forget(uint8_t id) {
    // The entry of an id sits near the front: ids are reused in the order they were used.
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->id == id) {
        entries_.erase(it);
        return;
      }
    }
  }
  struct Entry {
    uint8_t id;
    TimePoint reusable_at;
    TimePoint ended;
    std::optional<uint32_t> reply_ms;
  };
  std::deque<Entry> entries_;  // in the order the uses ended; at most one per id
};

// The peer's side: the sent time of the last message accepted on each id, to unmask a late
// copy of it once the window has moved on. Not thread-safe.
class InboundIdHistory {
 public:
  void Accepted(uint8_t id, SentTime sent, TimePoint now) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->id == id) {
        entries_.erase(it);
        break;
      }
    }
    Prune(now);
    entries_.push_back({id, sent.MillisOfHour(), now});
  }
  // True when a message on `id` with this sent time is a copy of the last one accepted.
  bool IsCopyOfPrevious(uint8_t id, SentTime sent, TimePoint now) const {
    for (const auto& e : entries_) {
      if (e.id == id) return e.sent_ms == sent.MillisOfHour() && now - e.at < kTrust;
    }
    return false;
  }
  void Prune(TimePoint now) {
    while (!entries_.empty() && now - entries_.front().at >= kTrust)
      entries_.pop_front();
  }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint8_t id;
    uint32_t sent_ms;
    TimePoint at;
  };
  std::deque<Entry> entries_;  // in the order accepted; at most one per id
};

}  // namespace dabs::mp::internal
