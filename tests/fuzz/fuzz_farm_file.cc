// Feeds YAML text to the farm file's loader (runtime/config/load.h, ParseFarmYaml: the
// text API LoadFarmFile reads a file into), relative paths resolved against a scratch
// directory holding what the examples refer to (farm_examples.h).
// Beyond "no crash" (yaml-cpp's exceptions included) it checks that a file it accepts
//  - builds into the typed configuration the daemons run (config::Build);
//  - holds only normalised values (Normalise gives each back unchanged), none with a NUL;
//  - is accepted by CheckReceived too, as the group would send it to every server;
//  - exports (config::ExportYaml) to a farm file that loads to the very same records.
#include <dabs/config/edit.h>
#include <dabs/config/farm.h>
#include <dabs/config/keys.h>
#include <dabs/config/load.h>

#include "config_check.h"
#include "farm_examples.h"
#include "fuzz_support.h"

namespace {

using namespace dabs;

void CheckValues(const config::Records& records) {
  for (const auto& [path, value] : records.values) {
    DABS_FUZZ_CHECK(value.find('\0') == std::string::npos);
    const config::KeySpec* spec = config::FindKey(path);
    DABS_FUZZ_CHECK(spec != nullptr);
    if (spec->type == config::KeyType::kPath) continue;  // made absolute on load
    auto again = config::Normalise(*spec, value);
    DABS_FUZZ_CHECK(again.ok() && *again == value);
  }
}

std::vector<fuzz::Seed> Seeds() {
  std::vector<fuzz::Seed> out;
  for (const auto& text : fuzz::ExampleFarmFiles())
    out.push_back(fuzz::Bytes(text));
  for (const auto& records : fuzz::ExampleFarms())
    out.push_back(fuzz::Bytes(config::ExportYaml(records)));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& base = fuzz::ExampleBase();
  auto loaded = config::ParseFarmYaml(fuzz::Text({data, size}), "fuzz.yaml", base);
  if (!loaded) return 0;
  const config::Records& records = loaded->records;
  DABS_FUZZ_CHECK(config::Build(records).ok());
  CheckValues(records);
  DABS_FUZZ_CHECK(configd::CheckReceived(records).accepted);
  const std::string exported = config::ExportYaml(records);
  auto reloaded = config::ParseFarmYaml(exported, "exported.yaml", base);
  DABS_FUZZ_CHECK(reloaded.ok());
  DABS_FUZZ_CHECK(reloaded->records.values == records.values);
  return 0;
}
