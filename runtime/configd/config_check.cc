// Checks of a received configuration: see config_check.h.
#include "config_check.h"

#include <dabs/config/consistency.h>
#include <dabs/config/farm.h>
#include <dabs/config/keys.h>

namespace dabs::configd {

namespace {

// The consistency checks that look at this machine (consistency.cc), by record path.
bool IsLocal(const config::Problem& p) {
  const std::string pattern = config::Pattern(p.where);
  return pattern == "apps[].dasp" || pattern == "farm.identity_key";
}

void CheckRecords(const config::Records& records, std::vector<config::Problem>& out) {
  for (const auto& [path, value] : records.values) {
    const config::KeySpec* spec = config::FindKey(path);
    if (!spec) {
      out.push_back({path, "is not a key of the farm file"});
      continue;
    }
    if (auto v = config::Normalise(*spec, value); !v) out.push_back({path, v.error().detail});
  }
}

}  // namespace

Verdict CheckReceived(const config::Records& records) {
  Verdict v;
  CheckRecords(records, v.problems);
  if (v.problems.empty()) {
    if (auto built = config::Build(records); !built) {
      v.problems.push_back({"", "the configuration does not build: " + built.error().detail});
    }
  }
  if (v.problems.empty()) {
    for (auto& p : config::CheckConsistency(records)) {
      (IsLocal(p) ? v.local_problems : v.problems).push_back(std::move(p));
    }
  }
  v.accepted = v.problems.empty();
  return v;
}

std::string Summarise(const std::vector<config::Problem>& problems) {
  if (problems.empty()) return "no problems";
  std::string out = problems.front().ToString();
  if (problems.size() > 1) out += " (and " + std::to_string(problems.size() - 1) + " more)";
  return out;
}

}  // namespace dabs::configd
