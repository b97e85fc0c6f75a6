// Private, for ppv's tests: temporary directories and catalogues.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <stdlib.h>

#include "pin_hash.h"

namespace dabs::ppv::testing {

inline constexpr char kPin[] = "1234";
inline constexpr uint32_t kClosedEvent = 900;

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "ppv-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Events 1..`events` on sale until 2099 (price: 100 x id cents), event 900 whose sale closed
// in 2020, and the subscribers "stb-*", "test-*" (dacp::testing::Config's ids) and "mpcat-*",
// each its own subscriber with PIN 1234 (hashed with the fewest iterations by default: fast
// tests).
inline std::string CatalogueYaml(int events = 25, uint32_t max_failures = 3,
                                 uint32_t pin_iterations = kMinPinIterations) {
  const std::string hash = HashPin(kPin, pin_iterations).value();
  std::string y =
      "pin_policy: {max_failures: " + std::to_string(max_failures) + ", lockout_s: 600}\n";
  y += "events:\n";
  for (int i = 1; i <= events; ++i) {
    y += "  - {id: " + std::to_string(i) + ", title: \"Event " + std::to_string(i) +
         "\", channel: 901, start: 2099-01-01T20:00:00Z, end: 2099-01-01T22:00:00Z, price_cents: " +
         std::to_string(100 * i) + "}\n";
  }
  y += "  - {id: 900, title: \"Over\", channel: 902, start: 2020-01-01T20:00:00Z, "
       "end: 2020-01-01T22:00:00Z, price_cents: 999}\n";
  y += "subscribers:\n";
  for (const char* id : {"stb-*", "test-*", "mpcat-*"})
    y += std::string("  - {id: \"") + id + "\", pin_hash: \"" + hash + "\"}\n";
  return y;
}

inline std::filesystem::path WriteCatalogue(const TempDir& dir, int events = 25,
                                            uint32_t max_failures = 3,
                                            uint32_t pin_iterations = kMinPinIterations) {
  const auto path = dir.path() / "catalogue.yaml";
  std::ofstream(path) << CatalogueYaml(events, max_failures, pin_iterations);
  return path;
}

}  // namespace dabs::ppv::testing
