// Loading a farm file (docs/spec/config.md): every key checked for type, range and existence
// (an unknown key, a duplicate key or a wrong type is refused with file:line:column and what
// was expected), then the whole checked for consistency (consistency.h). Nothing starts on
// a bad file: a single problem fails the load. Paths in the file are relative to it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/config/records.h>

namespace dabs::config {

struct LoadResult {
  Records records;
  // Where each record came from ("farm.yaml:12:5"), for problems found later.
  std::map<std::string, std::string> where;
};

// Reads and checks a farm file. On failure `problems` (if given) lists every problem found.
Result<LoadResult> LoadFarmFile(const std::filesystem::path& file, std::vector<Problem>* problems = nullptr);

// The same from text; `name` is used in messages and `base` resolves relative paths.
Result<LoadResult> ParseFarmYaml(std::string_view text, const std::string& name,
                                 const std::filesystem::path& base, std::vector<Problem>* problems = nullptr);

}  // namespace dabs::config
