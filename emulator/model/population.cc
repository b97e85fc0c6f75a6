#include <algorithm>
#include <cmath>
#include <numeric>

#include <dabs/emu/population.h>

namespace dabs::emu {

namespace {

constexpr uint64_t kPopulationPart = 0x706f70;  // "pop"

// Set-tops per profile: floor(share * n), the rest to the largest remainders (ties: first).
std::vector<uint32_t> Counts(const std::vector<Profile>& profiles, uint32_t n) {
  std::vector<uint32_t> counts(profiles.size());
  std::vector<std::pair<double, size_t>> remainders;
  uint32_t given = 0;
  for (size_t i = 0; i < profiles.size(); ++i) {
    const double exact = profiles[i].share * n;
    counts[i] = static_cast<uint32_t>(std::floor(exact));
    given += counts[i];
    remainders.push_back({exact - counts[i], i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](auto a, auto b) { return a.first > b.first; });
  for (size_t k = 0; given < n; ++k, ++given)
    ++counts[remainders[k % remainders.size()].second];
  return counts;
}

uint8_t CapsOf(const Profile& p) {
  uint32_t caps = 0;
  if (p.channels & Bit(ChannelKind::kDocsis)) caps |= mp::caps::kDocsis;
  if (p.channels & Bit(ChannelKind::kOob)) caps |= mp::caps::kOob;
  if (p.channels & Bit(ChannelKind::kModem)) caps |= mp::caps::kTelco;
  if (p.fpu) caps |= mp::caps::kFloatingPoint;
  if (p.encryption) caps |= mp::caps::kEncryption;
  return static_cast<uint8_t>(caps);
}

}  // namespace

uint64_t DeriveSeed(uint64_t seed, uint64_t part) {
  mp::SeededRandom r(seed ^ (part * 0x9E3779B97F4A7C15ull));
  return r.Next();
}

bool StbRecord::HasHardware(ChannelKind c) const {
  switch (c) {
    case ChannelKind::kDocsis:
      return caps & mp::caps::kDocsis;
    case ChannelKind::kOob:
      return caps & mp::caps::kOob;
    case ChannelKind::kModem:
      return caps & mp::caps::kTelco;
  }
  return false;
}

Population::Population(const Scenario& scenario) : profiles_(scenario.profiles.size()) {
  const uint32_t n = scenario.stbs;
  const std::vector<uint32_t> counts = Counts(scenario.profiles, n);
  std::vector<uint16_t> order;
  order.reserve(n);
  for (size_t p = 0; p < counts.size(); ++p)
    order.insert(order.end(), counts[p], static_cast<uint16_t>(p));
  mp::SeededRandom random(DeriveSeed(scenario.seed, kPopulationPart));
  for (uint32_t i = n; i > 1; --i)
    std::swap(order[i - 1], order[random.Below(i)]);  // Fisher-Yates

  stbs_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const Profile& p = scenario.profiles[order[i]];
    StbRecord& s = stbs_[i];
    s.index = i;
    s.profile = order[i];
    s.oob_node = i / scenario.plant.stbs_per_oob_node;
    s.docsis_group = i / scenario.plant.stbs_per_docsis_group;
    s.caps = CapsOf(p);
    s.installed = p.installed_modules;
  }
  oob_nodes_ = (n + scenario.plant.stbs_per_oob_node - 1) / scenario.plant.stbs_per_oob_node;
  docsis_groups_ =
      (n + scenario.plant.stbs_per_docsis_group - 1) / scenario.plant.stbs_per_docsis_group;
}

std::vector<uint32_t> Population::CountByProfile() const {
  std::vector<uint32_t> counts(profiles_);
  for (const auto& s : stbs_)
    ++counts[s.profile];
  return counts;
}

}  // namespace dabs::emu
