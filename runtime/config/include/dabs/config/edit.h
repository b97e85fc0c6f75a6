// Changing a configuration key by key (dabs-configd's HTTP API, dabsctl): each value checked
// against its key, who may change it checked against their role, and the whole checked for
// consistency before anything changes. A batch of changes is applied all or nothing and
// raises the version by one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <dabs/config/records.h>

namespace dabs::config {

// Who asks. A farm-admin may change every key; an app-admin only the application keys of
// their applications that the table marks kAppAdmin; a viewer nothing.
struct Actor {
  std::string name;
  std::string role;               // "farm-admin" | "app-admin" | "viewer"
  std::vector<std::string> apps;  // an app-admin's applications
};

struct Change {
  std::string path;                  // a record path, e.g. "apps[calc].limits.instance.sessions"
  std::optional<std::string> value;  // nullopt: remove (back to the default; for an id key,
                                     // the whole list item)
};

// Applies `changes` to a copy of `records` and, when every change is allowed and the result
// is consistent, returns it with version + 1 and origin `server`. Problems name the paths.
Result<Records> Apply(const Records& records, const std::vector<Change>& changes, const Actor& who,
                      const std::string& server, std::vector<Problem>* problems = nullptr);

// The farm file for a configuration: its explicit values in the order of docs/spec/config.md.
std::string ExportYaml(const Records& records);

}  // namespace dabs::config
