// The benchmarks' percentiles: {"p50", "p99", "n"} of a sample, null figures when it is empty.
#pragma once

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

namespace dabs::bench {

inline nlohmann::json Percentiles(std::vector<double> v) {
  if (v.empty()) return nlohmann::json{{"p50", nullptr}, {"p99", nullptr}, {"n", 0}};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  return nlohmann::json{{"p50", at(0.50)}, {"p99", at(0.99)}, {"n", v.size()}};
}

}  // namespace dabs::bench
