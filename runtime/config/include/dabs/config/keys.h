// The farm file's keys, declared once (docs/spec/config.md; STYLE 10): path, type, bounds,
// default and who may change each. The same table checks a YAML file, answers the HTTP API,
// drives the GUI's forms, and orders the YAML export.
//
// A configuration is held as flat records, one per key: "farm.heartbeat_ms" = "250",
// "apps[calculator].limits.farm.sessions" = "10000". A list item is named by its identifying
// key (servers by id, apps by name, users by name); the table's paths use "[]" for any item.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dabs::config {

enum class KeyType {
  kString,      // UTF-8 text
  kName,        // [A-Za-z0-9._-]+ (ids, application names)
  kUint,        // unsigned integer within [min, max]
  kDouble,      // number within [min, max]
  kEndpoint,    // ADDRESS:PORT (IPv4 or [IPv6])
  kGroup,       // a multicast ADDRESS:PORT
  kAddress,     // an IP address
  kEnum,        // one of `choices`
  kPath,        // a file path, relative to the farm file
  kStringList,  // a YAML sequence of strings
  kNameList,    // a YAML sequence of names
};

// Who may change a key through dabs-configd (the farm file itself is the operator's).
enum class Role { kFarmAdmin, kAppAdmin };

struct KeySpec {
  std::string_view path;        // "farm.heartbeat_ms", "apps[].limits.instance.sessions"
  KeyType type;
  double min = 0, max = 0;      // kUint, kDouble
  std::vector<std::string_view> choices;  // kEnum
  std::optional<std::string_view> fallback;  // the default; nullopt: required or optional
  bool required = false;
  Role role = Role::kFarmAdmin;
  std::string_view help;
};

// Every key, in the order of docs/spec/config.md.
std::span<const KeySpec> Keys();

// The spec of a record path ("apps[calculator].name" matches "apps[].name"); nullptr if
// the path is not a key.
const KeySpec* FindKey(std::string_view record_path);

// "apps[calculator].limits" -> "apps[].limits" (list item names become []).
std::string Pattern(std::string_view record_path);

// The lists of the file and the key naming each item.
struct ListSpec {
  std::string_view name;  // "servers", "apps", "users"
  std::string_view id;    // "id", "name", "name"
};
std::span<const ListSpec> Lists();

}  // namespace dabs::config
