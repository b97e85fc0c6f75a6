#include <gtest/gtest.h>

#include <dabs/emu/population.h>
#include <dabs/emu/viewers.h>

namespace dabs::emu {
namespace {

Scenario Mixed(uint32_t stbs, uint64_t seed) {
  auto s = ParseScenario(R"(
stbs: 1000
profiles:
  - {name: docsis, share: 0.5, channels: [docsis, oob], apps: [calculator, echo]}
  - {name: oob-only, share: 0.3, channels: [oob], installed_modules: [], fpu: false, apps: [calculator]}
  - {name: modem, share: 0.2, channels: [modem], encryption: true, apps: [echo]}
plant: {stbs_per_oob_node: 300, stbs_per_docsis_group: 128}
)",
                         "mixed.yaml");
  EXPECT_TRUE(s.ok()) << s.error().Message();
  s->stbs = stbs;
  s->seed = seed;
  return *s;
}

TEST(Population, SharesAreMetAndNodesFilledInOrder) {
  const Population p(Mixed(1000, 5));
  ASSERT_EQ(p.size(), 1000u);
  const auto counts = p.CountByProfile();
  EXPECT_EQ(counts, (std::vector<uint32_t>{500, 300, 200}));
  EXPECT_EQ(p.oob_nodes(), 4u);
  EXPECT_EQ(p.docsis_groups(), 8u);
  EXPECT_EQ(p[299].oob_node, 0u);
  EXPECT_EQ(p[300].oob_node, 1u);
  EXPECT_EQ(p[999].docsis_group, 7u);
  // Shares hold within each node too, roughly (profiles are shuffled, not in blocks).
  uint32_t docsis_in_node0 = 0;
  for (uint32_t i = 0; i < 300; ++i)
    docsis_in_node0 += p[i].profile == 0;
  EXPECT_NEAR(docsis_in_node0, 150, 35);
}

TEST(Population, OddCountsUseTheLargestRemainders) {
  const Population p(Mixed(7, 5));  // 3.5, 2.1, 1.4 -> 4, 2, 1
  EXPECT_EQ(p.CountByProfile(), (std::vector<uint32_t>{4, 2, 1}));
}

TEST(Population, CapabilitiesFollowTheProfile) {
  const Population p(Mixed(1000, 5));
  for (const auto& s : p.stbs()) {
    switch (s.profile) {
      case 0:
        EXPECT_EQ(s.Caps(), mp::caps::kDocsis | mp::caps::kOob | mp::caps::kFloatingPoint);
        EXPECT_TRUE(s.HasModule(ChannelKind::kOob));
        break;
      case 1:
        EXPECT_EQ(s.Caps(), mp::caps::kOob);
        EXPECT_TRUE(s.HasHardware(ChannelKind::kOob));
        EXPECT_FALSE(s.HasModule(ChannelKind::kOob));  // it must download the module
        break;
      default:
        EXPECT_EQ(s.Caps(), mp::caps::kTelco | mp::caps::kFloatingPoint | mp::caps::kEncryption);
        EXPECT_FALSE(s.HasHardware(ChannelKind::kDocsis));
    }
  }
}

TEST(Population, ReproducibleFromTheSeed) {
  const Population a(Mixed(1000, 5)), b(Mixed(1000, 5)), c(Mixed(1000, 6));
  bool same = true, differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    same = same && a[i].profile == b[i].profile && a[i].caps == b[i].caps;
    differs = differs || a[i].profile != c[i].profile;
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
}

TEST(Population, PopulationAndViewerStateStayUnder64BytesPerSetTop) {
  Scenario s = Mixed(100'000, 9);
  s.duration_s = 40;
  s.viewers.tune_rate_per_s = 4000;  // most set-tops end up in a session
  s.viewers.session_length_s = {Distribution::Kind::kExponential, 300, 0, 0};
  const Population p(s);
  ViewerSchedule v(s, p);
  size_t events = 0, peak = 0;
  while (v.NextEvent()) {
    ++events;
    peak = std::max(peak, v.in_session());
  }
  EXPECT_GT(peak, 50'000u);
  EXPECT_GT(events, 100'000u);
  const double per_stb = static_cast<double>(p.MemoryBytes() + v.MemoryBytes()) / s.stbs;
  RecordProperty("bytes_per_stb", std::to_string(per_stb));
  EXPECT_LE(per_stb, 64) << per_stb << " bytes: population " << p.MemoryBytes() << " + viewers "
                         << v.MemoryBytes();
}

}  // namespace
}  // namespace dabs::emu
