// Reading lists of records out of a server's store in one short read transaction, so every
// listing is a consistent snapshot and no transaction is held while printing.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include <dabs/store/records.h>
#include <dabs/store/store.h>

namespace dabs::ctl {

// Appends every record of `db` under `prefix` that `parse` accepts; a damaged record is
// skipped with a warning (one bad value must not hide the rest of the farm).
template <typename T>
Status Collect(const store::ReadTxn& txn, store::Database db, std::string_view prefix,
               Result<T> (*parse)(std::string_view), std::vector<T>& out) {
  return txn.ForEach(db, prefix, [&](std::string_view key, std::string_view value) {
    auto r = parse(value);
    if (r) {
      out.push_back(std::move(*r));
    } else {
      spdlog::warn("skipping {}/{}: {}", store::DatabaseName(db), key, r.error().Message());
    }
    return store::Visit::kContinue;
  });
}

// The directory as this server sees it: DASP instances (kind 1) and sessions farm-wide,
// and this server's own DASP records by VA.
struct DirectorySnapshot {
  std::vector<store::DirectoryRecord> dasps;
  std::vector<store::SessionRecord> sessions;
  std::map<uint32_t, store::DaspRecord> local;

  std::optional<store::DaspRecord> Local(uint32_t va) const {
    auto it = local.find(va);
    return it == local.end() ? std::nullopt : std::optional(it->second);
  }
};

Result<DirectorySnapshot> ReadDirectory(const store::Store& s);

}  // namespace dabs::ctl
