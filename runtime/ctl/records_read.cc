// Consistent snapshots of the store's lists (records_read.h).
#include "records_read.h"

namespace dabs::ctl {

Result<DirectorySnapshot> ReadDirectory(const store::Store& s) {
  DirectorySnapshot snap;
  Status read = s.Read([&](const store::ReadTxn& txn) -> Status {
    snap = {};  // the store may run this again after a map change
    std::vector<store::DirectoryRecord> entries;
    if (Status st = Collect(txn, store::Database::kDirectory, "va/",
                            &store::DirectoryRecordFromJson, entries);
        !st) {
      return st;
    }
    for (auto& e : entries) {
      if (e.kind == 1) snap.dasps.push_back(std::move(e));
    }
    if (Status st = Collect(txn, store::Database::kDirectory, "session/",
                            &store::SessionRecordFromJson, snap.sessions);
        !st) {
      return st;
    }
    std::vector<store::DaspRecord> local;
    if (Status st = Collect(txn, store::Database::kDasps, "", &store::DaspRecordFromJson, local);
        !st) {
      return st;
    }
    for (auto& d : local)
      snap.local.emplace(d.va, std::move(d));
    return Status::Ok();
  });
  if (!read) return read.error();
  return snap;
}

}  // namespace dabs::ctl
