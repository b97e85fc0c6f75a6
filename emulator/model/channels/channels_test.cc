#include <algorithm>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/emu/channels/docsis.h>
#include <dabs/emu/channels/modem.h>
#include <dabs/emu/channels/oob.h>

namespace dabs::emu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const mp::TimePoint kT0 = mp::TimePoint(seconds(1000));
const mp::Endpoint kFarm;
const std::vector<uint8_t> k100(100);

double Ms(mp::Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

// Mean upstream delay (ms) of 100-byte datagrams sent 100 ms apart; also the extremes.
struct Spread {
  double mean = 0, min = 1e18, max = 0;
};
Spread DocsisUpstream(const DocsisParams& params, int n = 200) {
  auto group = std::make_shared<DocsisGroup>(params, 7, nullptr);
  DocsisShaper shaper(group, 1, nullptr);
  Spread s;
  for (int i = 0; i < n; ++i) {
    // Not on MAP boundaries: 100 ms + i * 0.37 ms apart.
    const mp::TimePoint now = kT0 + milliseconds(100) * i + std::chrono::microseconds(370) * i;
    const mp::FaultDecision d = shaper.Outbound(kFarm, k100, now);
    EXPECT_EQ(d.copies, 1);
    const double ms = Ms(d.extra_delay);
    s.mean += ms / n;
    s.min = std::min(s.min, ms);
    s.max = std::max(s.max, ms);
  }
  return s;
}

TEST(Docsis, LatencyIdleAboutTenMsThenAqmThenBufferBloat) {
  DocsisParams idle;
  const Spread a = DocsisUpstream(idle);
  EXPECT_GE(a.min, 8.5);
  EXPECT_LE(a.max, 11.5);
  EXPECT_NEAR(a.mean, 10, 1);

  DocsisParams aqm;
  aqm.upstream_load = 1;
  const Spread b = DocsisUpstream(aqm);
  EXPECT_GE(b.min, 13.5);
  EXPECT_LE(b.max, 31.5);
  EXPECT_GE(b.mean, 15);
  EXPECT_LE(b.mean, 30);

  DocsisParams bloat = aqm;
  bloat.aqm = false;
  const Spread c = DocsisUpstream(bloat);
  EXPECT_GE(c.min, 225);
  EXPECT_LE(c.max, 262);
  EXPECT_NEAR(c.mean, 250, 15);

  EXPECT_LT(a.mean, b.mean);
  EXPECT_LT(b.mean, c.mean);
}

TEST(Docsis, OwnBacklogQueuesAndOverflowsTheBuffer) {
  DocsisParams p;
  p.upstream_bps = 100'000;  // 8 ms per 100 bytes, so a burst builds a queue
  p.aqm_target_ms = 10;      // limit 20 ms of queue with AQM
  auto stats = std::make_shared<ChannelStats>();
  auto group = std::make_shared<DocsisGroup>(p, 7, stats);
  DocsisShaper shaper(group, 1, nullptr);
  int delivered = 0;
  for (int i = 0; i < 10; ++i)
    delivered += shaper.Outbound(kFarm, k100, kT0).copies;
  EXPECT_EQ(delivered, 3);  // queued 0, 8 and 16 ms; the next would wait 24 ms
  EXPECT_EQ(stats->Snapshot().queue_drops, 7u);
}

TEST(Docsis, DownstreamSerialisesAt38Mbps) {
  auto group = std::make_shared<DocsisGroup>(DocsisParams{}, 7, nullptr);
  const Arrival a = group->Downstream(475'000, kT0);  // 100 ms at 38 Mbps
  ASSERT_TRUE(a);
  EXPECT_NEAR(Ms(*a - kT0), 101, 0.01);
}

TEST(Oob, A100ByteDatagramTakesItsAirtimeAt256kbpsPlusTheSlotWait) {
  OobParams p;
  auto node = std::make_shared<OobNode>(p, 3, nullptr);
  OobShaper shaper(node, 1, 9, nullptr);
  const double slot_ms = 53 * 8 / 256.0;
  for (int i = 0; i < 20; ++i) {
    const mp::TimePoint now = kT0 + milliseconds(50) * i + std::chrono::microseconds(123) * i;
    const mp::FaultDecision d = shaper.Outbound(kFarm, k100, now);
    ASSERT_EQ(d.copies, 1);
    const double ms = Ms(d.extra_delay) - p.return_delay_ms;
    EXPECT_GE(ms, 3.125 - 1e-6);
    EXPECT_LE(ms, 3.125 + slot_ms + 1e-6);
  }
}

TEST(Oob, ForwardSerialisesAt2048kbps) {
  auto node = std::make_shared<OobNode>(OobParams{}, 3, nullptr);
  OobShaper shaper(node, 1, 9, nullptr);
  const std::vector<uint8_t> b512(512);
  const mp::FaultDecision first = shaper.Inbound(kFarm, b512, kT0);
  const mp::FaultDecision second = shaper.Inbound(kFarm, b512, kT0);
  EXPECT_NEAR(Ms(first.extra_delay), 2 + 2, 1e-6);   // 512 bytes = 2 ms, plus 2 ms fixed
  EXPECT_NEAR(Ms(second.extra_delay), 4 + 2, 1e-6);  // behind the first
}

TEST(Oob, TwoSetTopsSendingAtOnceCollideAndTheBackoffResolvesThem) {
  auto stats = std::make_shared<ChannelStats>();
  auto node = std::make_shared<OobNode>(OobParams{}, 3, stats);
  OobShaper a(node, 1, 11, nullptr), b(node, 2, 12, nullptr);
  const mp::FaultDecision da = a.Outbound(kFarm, k100, kT0);
  const mp::FaultDecision db = b.Outbound(kFarm, k100, kT0);
  ASSERT_EQ(da.copies, 1);
  ASSERT_EQ(db.copies, 1);
  const ChannelCounts c = stats->Snapshot();
  EXPECT_GE(c.collisions, 2u);   // both attempts of the first slot
  EXPECT_GE(c.mac_retries, 2u);  // each side retries
  EXPECT_EQ(c.mac_drops, 0u);
  // b got through after a back-off, clear of a's airtime.
  EXPECT_GE(Ms(db.extra_delay - da.extra_delay), 3.125);
}

TEST(Oob, ManySetTopsAtOnceGetThroughOnDisjointAirtime) {
  auto stats = std::make_shared<ChannelStats>();
  OobParams p;
  p.mac_attempts = 16;
  auto node = std::make_shared<OobNode>(p, 5, stats);
  std::vector<double> arrivals;
  for (uint32_t s = 0; s < 20; ++s) {
    OobShaper shaper(node, s, 100 + s, nullptr);
    const mp::FaultDecision d = shaper.Outbound(kFarm, k100, kT0);
    if (d.copies == 1) arrivals.push_back(Ms(d.extra_delay));
  }
  const ChannelCounts c = stats->Snapshot();
  EXPECT_EQ(arrivals.size() + c.mac_drops, 20u);
  EXPECT_GE(arrivals.size(), 18u);
  EXPECT_GT(c.collisions, 19u);
  std::sort(arrivals.begin(), arrivals.end());
  for (size_t i = 1; i < arrivals.size(); ++i)
    EXPECT_GE(arrivals[i] - arrivals[i - 1], 3.125 - 1e-6);
}

TEST(Oob, TheMacGivesUpAfterItsAttempts) {
  auto stats = std::make_shared<ChannelStats>();
  OobParams p;
  p.mac_attempts = 1;
  auto node = std::make_shared<OobNode>(p, 3, stats);
  OobShaper a(node, 1, 11, nullptr), b(node, 2, 12, nullptr);
  EXPECT_EQ(a.Outbound(kFarm, k100, kT0).copies, 1);
  EXPECT_EQ(b.Outbound(kFarm, k100, kT0).copies, 0);
  EXPECT_EQ(stats->Snapshot().mac_drops, 1u);
}

TEST(Oob, OneSetTopsDatagramsQueueBehindEachOtherWithoutColliding) {
  auto stats = std::make_shared<ChannelStats>();
  auto node = std::make_shared<OobNode>(OobParams{}, 3, stats);
  OobShaper a(node, 1, 11, nullptr);
  const mp::FaultDecision d1 = a.Outbound(kFarm, k100, kT0);
  const mp::FaultDecision d2 = a.Outbound(kFarm, k100, kT0);
  EXPECT_EQ(stats->Snapshot().collisions, 0u);
  EXPECT_GE(Ms(d2.extra_delay - d1.extra_delay), 3.125 - 1e-6);
}

TEST(Oob, SharedNodeIsSafeFromSeveralThreads) {
  auto stats = std::make_shared<ChannelStats>();
  auto node = std::make_shared<OobNode>(OobParams{}, 3, stats);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([node, t] {
      OobShaper s(node, t, t, nullptr);
      for (int i = 0; i < 500; ++i)
        (void)s.Outbound(kFarm, k100, kT0 + milliseconds(10) * i);
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(stats->Snapshot().datagrams_up, 2000u);
}

TEST(Modem, TheFirstDatagramWaitsForTheCallThenTheLineStaysUp) {
  auto stats = std::make_shared<ChannelStats>();
  ModemParams p;
  auto line = std::make_shared<ModemLine>(p, stats);
  ModemShaper shaper(line, 1, nullptr);
  // Nothing reaches the set-top before it has dialled.
  EXPECT_EQ(shaper.Inbound(kFarm, k100, kT0).copies, 0);
  const mp::FaultDecision first = shaper.Outbound(kFarm, k100, kT0);
  ASSERT_EQ(first.copies, 1);
  EXPECT_GE(Ms(first.extra_delay), 20'000);
  EXPECT_EQ(shaper.Inbound(kFarm, k100, kT0 + seconds(10)).copies, 0);  // still dialling
  const mp::TimePoint up = kT0 + seconds(21);
  EXPECT_TRUE(line->Connected(up));
  const mp::FaultDecision reply = shaper.Inbound(kFarm, k100, up);
  ASSERT_EQ(reply.copies, 1);
  EXPECT_NEAR(Ms(reply.extra_delay), 800.0 / 56 + 40, 0.01);  // 100 bytes at 56 kbps + 40 ms
  const mp::FaultDecision next = shaper.Outbound(kFarm, k100, up + seconds(1));
  EXPECT_NEAR(Ms(next.extra_delay), 800.0 / 33.6 + 40, 0.01);
  EXPECT_EQ(stats->Snapshot().calls, 1u);
  // Idle past the hang-up: the next datagram dials again.
  const mp::TimePoint later = up + seconds(1) + seconds(61);
  EXPECT_FALSE(line->Connected(later));
  EXPECT_GE(Ms(shaper.Outbound(kFarm, k100, later).extra_delay), 20'000);
  EXPECT_EQ(stats->Snapshot().calls, 2u);
  EXPECT_EQ(stats->Snapshot().no_call_drops, 2u);
}

TEST(ChannelFaults, ConfiguredFaultsAndLossBurstsApplyOnTopOfTheMedium) {
  DocsisParams p;
  p.faults.duplicate = 1;
  auto stats = std::make_shared<ChannelStats>();
  auto burst = std::make_shared<LossBurstControl>();
  auto group = std::make_shared<DocsisGroup>(p, 7, stats);
  DocsisShaper shaper(group, 1, burst);
  const mp::FaultDecision dup = shaper.Outbound(kFarm, k100, kT0);
  EXPECT_EQ(dup.copies, 2);
  EXPECT_GE(Ms(dup.extra_delay), 8.5);  // still the medium's delay

  shaper.LossBurst(1.0, kT0 + seconds(5));
  EXPECT_EQ(shaper.Outbound(kFarm, k100, kT0 + seconds(1)).copies, 0);
  EXPECT_EQ(shaper.Inbound(kFarm, k100, kT0 + seconds(2)).copies, 0);
  EXPECT_EQ(shaper.Outbound(kFarm, k100, kT0 + seconds(6)).copies, 2);  // burst over
  const ChannelCounts c = stats->Snapshot();
  EXPECT_EQ(c.fault_drops, 2u);
  EXPECT_EQ(c.datagrams_up, 3u);
  EXPECT_EQ(c.datagrams_down, 1u);
  EXPECT_EQ(c.bytes_up, 300u);
  EXPECT_EQ(c.delivered_up, 2u);

  ModemParams m;
  m.faults.loss = 1;
  ModemShaper lossy(std::make_shared<ModemLine>(m, nullptr), 1, nullptr);
  EXPECT_EQ(lossy.Outbound(kFarm, k100, kT0).copies, 0);
}

TEST(ChannelFaults, DecisionsAreReproducibleFromTheSeed) {
  auto run = [] {
    OobParams p;
    p.faults.loss = 0.2;
    p.faults.reorder = 0.3;
    auto node = std::make_shared<OobNode>(p, 42, nullptr);
    OobShaper a(node, 1, 1, nullptr), b(node, 2, 2, nullptr);
    std::vector<int64_t> out;
    for (int i = 0; i < 200; ++i) {
      const mp::TimePoint now = kT0 + std::chrono::microseconds(1700) * i;
      const mp::FaultDecision d = (i % 2 ? a : b).Outbound(kFarm, k100, now);
      out.push_back(d.copies * 1'000'000'000'000LL + d.extra_delay.count());
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace dabs::emu
