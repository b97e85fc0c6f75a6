// The repository's example farm files, as text and as the checked configurations they
// load to: seeds for the fuzzers of the farm file and of CONFIG_SYNC. Header-only, so that
// fuzz_support stays free of the configuration library.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include <dabs/config/load.h>

#include "fuzz_support.h"

namespace dabs::fuzz {

// The demo farm (scripts/demo/farm.yaml) and docs/spec/config.md's example.
inline std::vector<std::string> ExampleFarmFiles() {
  std::vector<std::string> out{ReadSourceFile("scripts/demo/farm.yaml")};
  for (auto& block : YamlBlocks(ReadSourceFile("docs/spec/config.md")))
    out.push_back(std::move(block));
  return out;
}

// FarmFileBase() with a file at every relative `dasp:` and `identity_key:` path the examples
// name, so that they load (and the fuzzers start from configurations that pass every check).
inline const std::filesystem::path& ExampleBase() {
  static const bool made = [] {
    const std::regex dasp(R"((?:dasp|identity_key):\s*(\S+))");
    for (const auto& text : ExampleFarmFiles()) {
      for (std::sregex_iterator it(text.begin(), text.end(), dasp), end; it != end; ++it) {
        if (!MakeExecutableInFarmRoot(FarmFileBase() / (*it)[1].str()))
          Fail(("an example's file outside the scratch directory: " + (*it)[1].str()).c_str(),
               __FILE__, __LINE__);
      }
    }
    return true;
  }();
  (void)made;
  return FarmFileBase();
}

// Each example loaded against ExampleBase(), with a version and an origin as a server
// would give it. Aborts when one no longer loads: the seeds would be worthless.
inline std::vector<config::Records> ExampleFarms() {
  std::vector<config::Records> out;
  uint64_t version = 1;
  for (const auto& text : ExampleFarmFiles()) {
    auto loaded = config::ParseFarmYaml(text, "example.yaml", ExampleBase());
    if (!loaded) Fail(loaded.error().detail.c_str(), __FILE__, __LINE__);
    loaded->records.version = version++;
    loaded->records.origin = "s1";
    out.push_back(std::move(loaded->records));
  }
  return out;
}

}  // namespace dabs::fuzz
