// A farm configuration as flat records (keys.h), with a version: what dabs-configd stores in
// LMDB, sends in CONFIG_SYNC, exports as YAML and changes key by key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/config/keys.h>
#include <dabs/mp/result.h>

namespace dabs::config {

struct Records {
  std::map<std::string, std::string> values;  // path -> normalised text (lists: JSON arrays)
  uint64_t version = 0;                       // grows with every accepted change
  std::string origin;                         // the server that made this version

  // The value of a key, or its default; nullopt when neither.
  std::optional<std::string> Effective(std::string_view path) const;
  // The item names of a list ("apps" -> {"calculator", "echo"}), in order.
  std::vector<std::string> Items(std::string_view list) const;
  friend bool operator==(const Records&, const Records&) = default;
};

// One problem with a configuration, where it is: file:line:column for a file, else the
// record path.
struct Problem {
  std::string where;
  std::string message;
  std::string ToString() const { return where.empty() ? message : where + ": " + message; }
};

// An error carrying every problem; its detail is the first one (and how many more).
Error ProblemsError(const std::vector<Problem>& problems);

// Whether `text` is UTF-8 as nlohmann::json takes it: the HTTP API, dabsctl --json, the
// store and the daemons' status write texts with it, and it throws on anything else, while
// yaml-cpp and CONFIG_SYNC pass on whatever bytes they are given.
bool IsUtf8(std::string_view text);

// Checks a value's text against its key's spec and returns it normalised (e.g. "0250" ->
// "250", an endpoint in canonical form). kMalformed with what was expected.
Result<std::string> Normalise(const KeySpec& spec, std::string_view text);

}  // namespace dabs::config
