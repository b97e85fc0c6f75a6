#include "inbound_window.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace dabs::mp {
namespace {

// Offers `t` to the window as a receiver does: accepted when not seen. Returns whether it
// was accepted.
bool Offer(InboundWindow& w, uint8_t t) {
  if (w.Seen(t)) return false;
  w.Accept(t);
  return true;
}

TEST(InboundWindow, FreshWindowHasSeenNothing) {
  InboundWindow w;
  for (int t = 0; t < 256; ++t)
    EXPECT_FALSE(w.Seen(static_cast<uint8_t>(t))) << t;
}

TEST(InboundWindow, FirstMessageOfASessionIsTransactionZero) {
  InboundWindow w;
  EXPECT_TRUE(Offer(w, 0));
  EXPECT_TRUE(w.Seen(0));
  EXPECT_FALSE(w.Seen(1));
  // 0 is now the highest: 1..128 lie ahead of it and are new.
  EXPECT_FALSE(w.Seen(128));
}

TEST(InboundWindow, OutOfOrderArrivalsAreNewExactlyOnce) {
  InboundWindow w;
  const std::vector<uint8_t> order = {0, 5, 3, 1, 4, 2, 9, 7, 6, 8};
  for (uint8_t t : order) {
    EXPECT_TRUE(Offer(w, t)) << int{t};
    EXPECT_FALSE(Offer(w, t)) << int{t};
  }
  for (uint8_t t : order)
    EXPECT_TRUE(w.Seen(t)) << int{t};
  EXPECT_FALSE(w.Seen(10));
}

TEST(InboundWindow, EarlierIdsArrivingAfterALaterOneAreNew) {
  // Transactions 0..126 delayed behind 127, the furthest the first message may be.
  InboundWindow w;
  EXPECT_TRUE(Offer(w, 127));
  for (int t = 126; t >= 0; --t)
    EXPECT_TRUE(Offer(w, static_cast<uint8_t>(t))) << t;
  for (int t = 0; t <= 127; ++t)
    EXPECT_TRUE(w.Seen(static_cast<uint8_t>(t))) << t;
}

TEST(InboundWindow, ExactlyThe128IdsAfterTheHighestAreNew) {
  InboundWindow w;
  for (int t = 0; t < 256; ++t)
    ASSERT_TRUE(Offer(w, static_cast<uint8_t>(t))) << t;
  // Highest is 255: 0..127 are ahead (new), 128..255 are the 128 most recent (seen).
  for (int t = 0; t < 128; ++t)
    EXPECT_FALSE(w.Seen(static_cast<uint8_t>(t))) << t;
  for (int t = 128; t < 256; ++t)
    EXPECT_TRUE(w.Seen(static_cast<uint8_t>(t))) << t;
}

TEST(InboundWindow, IdsSkippedOverAreNewEvenThoughSeenALapEarlier) {
  InboundWindow w;
  for (int t = 0; t < 256; ++t)
    ASSERT_TRUE(Offer(w, static_cast<uint8_t>(t)));
  // Second lap: 2, 3 and 4 are overtaken by 5. Their bits from the first lap must not make
  // them look like duplicates when they arrive late.
  EXPECT_TRUE(Offer(w, 0));
  EXPECT_TRUE(Offer(w, 1));
  EXPECT_TRUE(Offer(w, 5));
  EXPECT_TRUE(Offer(w, 3));
  EXPECT_TRUE(Offer(w, 2));
  EXPECT_TRUE(Offer(w, 4));
  for (uint8_t t : {0, 1, 2, 3, 4, 5})
    EXPECT_FALSE(Offer(w, t)) << int{t};
}

TEST(InboundWindow, InOrderStreamWrapsManyTimes) {
  InboundWindow w;
  for (int n = 0; n < 5000; ++n) {
    const auto t = static_cast<uint8_t>(n);
    ASSERT_TRUE(Offer(w, t)) << n;
    ASSERT_FALSE(Offer(w, t)) << n;
  }
}

// A sender numbers its messages n = 0, 1, 2, ... and sends each under transaction id
// n mod 256, keeping every message it has not had acknowledged within 128 of the oldest
// such message (spec 1.3). Some messages travel twice (a retransmission whose original was
// not lost). The network delivers the copies in flight in random order. A message's slot
// frees once the receiver has had every copy of it, so reordering stays within the
// in-flight window, the bound the spec relies on. Every message must be accepted exactly
// once and every second copy recognised.
struct WrapStats {
  int accepted_twice = 0;
  int never_accepted = 0;
  int duplicates_recognised = 0;
  int duplicates_sent = 0;
  int max_in_flight = 0;
};

WrapStats SimulateSession(int messages, uint32_t seed) {
  std::mt19937 rng(seed);
  InboundWindow window;
  std::vector<int> copies_left(messages, 0);
  std::vector<int> accepted(messages, 0);
  std::vector<int> network;  // the message numbers of the copies in flight
  WrapStats stats;
  int next = 0;    // the next message to send
  int oldest = 0;  // the oldest message whose slot is held
  while (oldest < messages) {
    // A random burst, so the window is sometimes full and sometimes nearly empty.
    int burst = static_cast<int>(rng() % 160);
    while (burst-- > 0 && next < messages && next - oldest < 128) {
      const int copies = rng() % 3 == 0 ? 2 : 1;
      stats.duplicates_sent += copies - 1;
      copies_left[next] = copies;
      for (int c = 0; c < copies; ++c)
        network.push_back(next);
      ++next;
    }
    stats.max_in_flight = std::max(stats.max_in_flight, next - oldest);
    if (network.empty()) continue;
    const size_t pick = rng() % network.size();
    const int n = network[pick];
    network[pick] = network.back();
    network.pop_back();
    if (Offer(window, static_cast<uint8_t>(n))) {
      ++accepted[n];
    } else {
      ++stats.duplicates_recognised;
    }
    --copies_left[n];
    while (oldest < next && copies_left[oldest] == 0)
      ++oldest;
  }
  for (int n = 0; n < messages; ++n) {
    if (accepted[n] == 0) ++stats.never_accepted;
    if (accepted[n] > 1) ++stats.accepted_twice;
  }
  return stats;
}

TEST(InboundWindow, WrapsWith128InFlightAndRandomReorderingAcceptingEachMessageOnce) {
  for (uint32_t seed : {1u, 2u, 3u, 6298u}) {
    const WrapStats s = SimulateSession(20'000, seed);
    EXPECT_EQ(s.never_accepted, 0) << "seed " << seed;
    EXPECT_EQ(s.accepted_twice, 0) << "seed " << seed;
    EXPECT_EQ(s.duplicates_recognised, s.duplicates_sent) << "seed " << seed;
    // The simulation must actually have exercised what it claims to.
    EXPECT_EQ(s.max_in_flight, 128) << "seed " << seed;
    EXPECT_GT(s.duplicates_sent, 1000) << "seed " << seed;
  }
}

}  // namespace
}  // namespace dabs::mp
