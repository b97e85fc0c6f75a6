// Feeds YAML text to dabs-emu's scenario loader (emulator/model/scenario.h, ParseScenario:
// the text API that `dabs-emu check` and `run` reach through LoadScenario).
// Beyond "no crash" (yaml-cpp's exceptions included) it checks that a scenario it accepts
// keeps the promises the emulator relies on: 1..kMaxProfiles profiles whose shares add up
// to 1, each with a channel and modules only for channels it has; distributions that are
// finite, non-negative and min <= max; flash crowds no larger than the population; faults
// in time order within the run; and, for up to 10,000 set-tops (to keep runs fast), that
// the population it describes builds with every profile's count within one of its share.
#include <cmath>

#include <dabs/emu/population.h>
#include <dabs/emu/scenario.h>

#include "fuzz_support.h"

namespace {

using namespace dabs;
using namespace dabs::emu;

void CheckDistribution(const Distribution& d) {
  DABS_FUZZ_CHECK(std::isfinite(d.mean) && d.mean >= 0);
  DABS_FUZZ_CHECK(std::isfinite(d.min) && std::isfinite(d.max) && d.min >= 0);
  DABS_FUZZ_CHECK(d.kind != Distribution::Kind::kUniform || d.min <= d.max);
}

void CheckProfiles(const Scenario& s) {
  DABS_FUZZ_CHECK(!s.profiles.empty() && s.profiles.size() <= 1000);
  double sum = 0;
  for (const auto& p : s.profiles) {
    DABS_FUZZ_CHECK(p.share >= 0 && p.share <= 1);
    DABS_FUZZ_CHECK(p.channels != 0 && (p.installed_modules & ~p.channels) == 0);
    sum += p.share;
  }
  DABS_FUZZ_CHECK(std::fabs(sum - 1) <= 1e-6);
}

void CheckPopulation(const Scenario& s) {
  if (s.stbs > 10'000) return;
  const Population population(s);
  DABS_FUZZ_CHECK(population.size() == s.stbs);
  const auto counts = population.CountByProfile();
  DABS_FUZZ_CHECK(counts.size() == s.profiles.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const double exact = s.profiles[i].share * s.stbs;
    DABS_FUZZ_CHECK(std::fabs(counts[i] - exact) < 1 + 1e-6 * s.stbs);
  }
}

std::vector<fuzz::Seed> Seeds() {
  std::vector<fuzz::Seed> out;
  for (const char* dir : {"emulator/scenarios", "bench/scenarios"}) {
    for (const auto& text : fuzz::ReadSourceYamls(dir))
      out.push_back(fuzz::Bytes(text));
  }
  for (const auto& block : fuzz::YamlBlocks(fuzz::ReadSourceFile("docs/emulator.md")))
    out.push_back(fuzz::Bytes(block));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = ParseScenario(fuzz::Text({data, size}), "fuzz.yaml");
  if (!s) return 0;
  DABS_FUZZ_CHECK(s->stbs >= 1 && s->stbs <= kMaxStbs);
  DABS_FUZZ_CHECK(s->duration_s > 0 && std::isfinite(s->duration_s));
  CheckProfiles(*s);
  CheckDistribution(s->viewers.session_length_s);
  for (const auto& app : s->viewers.apps)
    CheckDistribution(app.think_time_ms);
  for (const auto& crowd : s->viewers.flash_crowds)
    DABS_FUZZ_CHECK(crowd.stbs <= s->stbs && crowd.at_s <= s->duration_s);
  for (size_t i = 0; i < s->faults.size(); ++i) {
    DABS_FUZZ_CHECK(s->faults[i].at_s >= 0 && s->faults[i].at_s <= s->duration_s);
    DABS_FUZZ_CHECK(i == 0 || s->faults[i - 1].at_s <= s->faults[i].at_s);
  }
  CheckPopulation(*s);
  return 0;
}
