// CONFIG_SYNC payloads: announcements, whole configurations, configurations in parts, and
// the malformed payloads that must be refused without harm.
#include "sync_wire.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/tlv.h>

#include "part_assembler.h"

namespace dabs::configd {
namespace {

config::Records Farm(int apps) {
  config::Records r;
  r.version = 7;
  r.origin = "s2";
  r.values["farm.name"] = "headend-a";
  r.values["farm.config_group"] = "239.1.1.3:7400";
  for (int i = 0; i < apps; ++i) {
    const std::string p = "apps[application-" + std::to_string(i) + "]";
    r.values[p + ".name"] = "application-" + std::to_string(i);
    r.values[p + ".dasp"] = "/opt/dabs/bin/application-" + std::to_string(i) + "-dasp";
    r.values[p + ".limits.instance.sessions"] = "100";
  }
  return r;
}

ConfigId IdOf(const config::Records& r) {
  return {r.version, r.origin, config::RecordsDigest(r)};
}

TEST(SyncWire, AnAnnouncementCarriesVersionOriginAndDigest) {
  const ConfigId id = IdOf(Farm(1));
  auto m = DecodeSync(EncodeAnnounce(id));
  ASSERT_TRUE(m.ok()) << m.error().Message();
  EXPECT_EQ(m->kind, Heard::kAnnounce);
  EXPECT_EQ(m->id, id);
  EXPECT_TRUE(m->records.values.empty());
}

TEST(SyncWire, ASmallConfigurationFitsOneDatagram) {
  const config::Records r = Farm(1);
  auto payloads = EncodeFull(r, config::RecordsDigest(r));
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_LE(payloads[0].size(), kMaxGroupPayload);
  auto m = DecodeSync(payloads[0]);
  ASSERT_TRUE(m.ok()) << m.error().Message();
  EXPECT_EQ(m->kind, Heard::kFull);
  EXPECT_EQ(m->records, r);
  EXPECT_EQ(m->id, IdOf(r));
}

TEST(SyncWire, TheMaximumGroupPayloadFillsA512ByteDatagramWithItsHeaderCrcAndSeal) {
  EXPECT_EQ(kMaxGroupPayload + 12 + 1 + mp::farm_seal::kOverhead, 512u);
}

// A peer's ORIGIN of bytes that are not UTF-8 was adopted with its configuration, and the
// daemon's JSON status then threw nlohmann's type_error (found by review while writing
// tests/fuzz/fuzz_config_sync, which now checks the id writes as JSON).
TEST(SyncWire, AnOriginThatIsNotUtf8TextIsMalformed) {
  EXPECT_FALSE(DecodeSync(EncodeAnnounce({3, "s\xff", ""})).ok());
  EXPECT_FALSE(DecodeSync(EncodeAnnounce({3, std::string("s1\0x", 4), ""})).ok());
  config::Records r = Farm(1);
  r.origin = "caf\xe9";
  EXPECT_FALSE(DecodeSync(config::EncodeConfigSync(r)).ok());
  r.origin = "caf\xc3\xa9";
  EXPECT_TRUE(DecodeSync(config::EncodeConfigSync(r)).ok());
}

TEST(SyncWire, AWholeConfigurationWithoutDigestIsAcceptedAndGivenOne) {
  const config::Records r = Farm(1);
  auto m = DecodeSync(config::EncodeConfigSync(r));
  ASSERT_TRUE(m.ok()) << m.error().Message();
  EXPECT_EQ(m->kind, Heard::kFull);
  EXPECT_EQ(m->id.digest, config::RecordsDigest(r));
}

TEST(SyncWire, ALargeConfigurationGoesInPartsThatAssembleInAnyOrder) {
  const config::Records r = Farm(60);
  auto payloads = EncodeFull(r, config::RecordsDigest(r));
  ASSERT_GT(payloads.size(), 10u);
  std::vector<SyncMessage> parts;
  for (const auto& p : payloads) {
    EXPECT_LE(p.size(), kMaxGroupPayload);
    auto m = DecodeSync(p);
    ASSERT_TRUE(m.ok()) << m.error().Message();
    ASSERT_EQ(m->kind, Heard::kPart);
    EXPECT_EQ(m->id, IdOf(r));
    EXPECT_EQ(m->parts, payloads.size());
    parts.push_back(*m);
  }
  // Shuffled, with every part twice.
  std::vector<SyncMessage> shuffled = parts;
  shuffled.insert(shuffled.end(), parts.begin(), parts.end());
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  PartAssembler assembler(AssemblyLimits{});
  std::vector<uint8_t> whole;
  int completions = 0;
  for (const auto& p : shuffled) {
    auto added = assembler.Add(p, TimePoint{});
    ASSERT_NE(added.outcome, PartAssembler::Outcome::kRejected) << added.why;
    if (added.outcome == PartAssembler::Outcome::kComplete) {
      ++completions;
      if (completions == 1) whole = added.whole;
    }
  }
  // The copies that come after completion start a new assembly that never completes.
  EXPECT_EQ(completions, 1);
  auto m = DecodeSync(whole);
  ASSERT_TRUE(m.ok()) << m.error().Message();
  EXPECT_EQ(m->kind, Heard::kFull);
  EXPECT_EQ(m->records, r);
  EXPECT_EQ(m->id, IdOf(r));
}

TEST(SyncWire, RecordsThatDoNotMatchTheirDigestAreMalformed) {
  const config::Records r = Farm(1);
  auto payload = EncodeFull(r, config::RecordsDigest(Farm(2)))[0];
  auto m = DecodeSync(payload);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().detail.find("DIGEST"), std::string::npos);
}

std::vector<uint8_t> Tlvs(const std::function<void(mp::TlvWriter&)>& fill) {
  std::vector<uint8_t> out;
  mp::TlvWriter w(out);
  fill(w);
  return out;
}

TEST(SyncWire, MalformedPayloadsAreRefused) {
  const std::vector<uint8_t> digest(32, 0xab);
  const std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x50, 0x00},                                 // truncated header
      {0x50, 0x00, 0x08, 1, 2, 3},                  // truncated value
      Tlvs([](auto& w) { w.U32(0x50, 7); }),        // VERSION of 4 bytes
      Tlvs([](auto& w) { w.String(0x51, "s1"); }),  // no VERSION
      Tlvs([](auto& w) {
        w.U64(0x50, 7);
        w.Bytes(0x53, std::vector<uint8_t>(31));
      }),
      Tlvs([&](auto& w) {
        w.U64(0x50, 7);
        w.Bytes(0x53, digest);
        w.U16(0x54, 1);
      }),
      Tlvs([&](auto& w) {
        w.U64(0x50, 7);
        w.Bytes(0x53, digest);
        w.U32(0x54, 0x00030003);
        w.String(0x55, "x");
      }),
      Tlvs([&](auto& w) {
        w.U64(0x50, 7);
        w.Bytes(0x53, digest);
        w.U32(0x54, 0x00000000);
        w.String(0x55, "x");
      }),
      Tlvs([&](auto& w) {
        w.U64(0x50, 7);
        w.Bytes(0x53, digest);
        w.U32(0x54, 0x00000002);
      }),
      Tlvs([](auto& w) {
        w.U64(0x50, 7);
        w.U32(0x54, 0x00000002);
        w.String(0x55, "x");
      }),
      Tlvs([](auto& w) {
        w.U64(0x50, 7);
        w.String(0x52, "farm.name-without-zero");
      }),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto m = DecodeSync(bad[i]);
    EXPECT_FALSE(m.ok()) << "payload " << i << " was accepted";
  }
}

TEST(SyncWire, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 gen(1);
  const config::Records r = Farm(3);
  const auto good = EncodeFull(r, config::RecordsDigest(r))[0];
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> p = good;
    // Flip a few bytes, cut the end, or make it up entirely.
    switch (i % 3) {
      case 0:
        for (int k = 0; k < 3; ++k)
          p[gen() % p.size()] ^= static_cast<uint8_t>(gen());
        break;
      case 1:
        p.resize(gen() % p.size());
        break;
      default:
        p.resize(gen() % 600);
        for (auto& b : p)
          b = static_cast<uint8_t>(gen());
    }
    (void)DecodeSync(p);
  }
}

TEST(SyncWire, DigestsTravelAs32Bytes) {
  const std::string hex = config::RecordsDigest(Farm(1));
  EXPECT_EQ(DigestFromHex(hex).size(), 32u);
  EXPECT_EQ(DigestToHex(DigestFromHex(hex)), hex);
  EXPECT_TRUE(DigestFromHex("xyz").empty());
  EXPECT_TRUE(DigestFromHex(std::string(64, 'g')).empty());
}

}  // namespace
}  // namespace dabs::configd
