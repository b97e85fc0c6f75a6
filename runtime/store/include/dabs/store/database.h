// The named databases of a server's store. Every daemon of a server opens all of them; each
// is a sorted map from byte-string keys to byte-string values.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace dabs::store {

enum class Database : unsigned {
  kConfig = 0,      // configuration, as dabs-configd stores and versions it
  kServers = 1,     // the farm's members as this server last saw them
  kStatistics = 2,  // every server's figures, written by dabs-statd
  kDasps = 3,       // DASP processes and instances of this server
  kDirectory = 4,   // applications, VAs and where they run
  kLimits = 5,      // farm-wide and per-instance limits and their running totals
  kAudit = 6,       // who changed what, in order (see audit.h)
  kPlacement = 7,   // recent placement decisions with their ballots (dabs-lbd, a ring)
};

inline constexpr size_t kDatabaseCount = 8;

inline constexpr std::array<Database, kDatabaseCount> kAllDatabases = {
    Database::kConfig,    Database::kServers, Database::kStatistics, Database::kDasps,
    Database::kDirectory, Database::kLimits,  Database::kAudit,      Database::kPlacement};

// The LMDB name of a database ("config", "servers", ...). These names are part of the
// on-disk format: renaming one is a schema change.
constexpr std::string_view DatabaseName(Database db) {
  constexpr std::array<std::string_view, kDatabaseCount> kNames = {
      "config", "servers", "statistics", "dasps", "directory", "limits", "audit", "placement"};
  const auto i = static_cast<size_t>(db);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

}  // namespace dabs::store
