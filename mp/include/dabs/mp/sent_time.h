// The sent-time field (spec 1.4): minutes, seconds and milliseconds of the sender's UTC
// clock within the hour, and the latency a receiver computes from it.
#pragma once

#include <cstdint>

namespace dabs::mp {

struct SentTime {
  uint8_t minutes = 0;  // 0..59
  uint8_t seconds = 0;  // 0..59
  uint16_t millis = 0;  // 0..999

  // The sent time of a wall-clock instant given in milliseconds since the Unix epoch.
  static constexpr SentTime FromUnixMillis(int64_t unix_ms) {
    const int64_t in_hour = ((unix_ms % kMillisPerHour) + kMillisPerHour) % kMillisPerHour;
    return SentTime{static_cast<uint8_t>(in_hour / 60'000),
                    static_cast<uint8_t>((in_hour / 1000) % 60),
                    static_cast<uint16_t>(in_hour % 1000)};
  }
  constexpr uint32_t MillisOfHour() const {
    return static_cast<uint32_t>(minutes) * 60'000u + seconds * 1000u + millis;
  }
  constexpr bool Valid() const { return minutes < 60 && seconds < 60 && millis < 1000; }
  friend constexpr bool operator==(const SentTime&, const SentTime&) = default;

  static constexpr int64_t kMillisPerHour = 3'600'000;
};

struct Latency {
  uint32_t millis = 0;      // 0 when the sender's clock is ahead
  bool clock_skew = false;  // the sender's clock is ahead of ours (spec 1.4)
};

// latency = (now - sent) mod 1 hour; above half an hour the sender is ahead: count 0 and
// report the skew.
constexpr Latency ComputeLatency(SentTime sent, SentTime now) {
  const int64_t hour = SentTime::kMillisPerHour;
  const int64_t diff =
      ((static_cast<int64_t>(now.MillisOfHour()) - sent.MillisOfHour()) % hour + hour) % hour;
  if (diff > hour / 2) return Latency{0, true};
  return Latency{static_cast<uint32_t>(diff), false};
}

}  // namespace dabs::mp
