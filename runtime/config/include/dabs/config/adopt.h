// What every daemon does with --farm FILE at start (DESIGN.md section 3): the file is read
// and checked (nothing starts on a bad file), imported into the server's store the first
// time, and after that the stored configuration rules: it may hold newer changes made
// through dabs-configd or dabsctl, or a newer version another server sent. An operator who
// edits the file and restarts the server has the edit imported as the next version; the
// store remembers a digest of the last file it imported to tell.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <dabs/config/records.h>
#include <dabs/store/store.h>

namespace dabs::config {

struct Adopted {
  Records records;       // the configuration to run with (what the store now holds)
  std::string what;      // "imported", "unchanged file, stored version kept", ...
  bool imported = false; // the file became a new stored version
};

// Thread-safe; several daemons of a server may race at start: exactly one imports.
Result<Adopted> AdoptFarmFile(store::Store& store, const std::filesystem::path& file,
                              const std::string& server, std::vector<Problem>* problems = nullptr);

// The digest (SHA-256, hex) of a configuration's records, independent of version and
// origin, and of formatting and comments in the file.
std::string RecordsDigest(const Records& records);

}  // namespace dabs::config
