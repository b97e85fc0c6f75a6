#include "store_reads.h"

namespace dabs::farm::testing {

namespace {

// Every record of `db` under `prefix` that decodes as T.
template <typename T>
std::vector<T> Records(const store::Store& s, store::Database db, std::string_view prefix,
                       Result<T> (*decode)(std::string_view)) {
  std::vector<T> out;
  (void)s.Read([&](const store::ReadTxn& txn) {
    out.clear();
    return txn.ForEach(db, prefix, [&](std::string_view, std::string_view v) {
      if (auto r = decode(v)) out.push_back(std::move(*r));
      return store::Visit::kContinue;
    });
  });
  return out;
}

}  // namespace

std::map<std::string, store::ServerRecord> ServerRecords(const store::Store& s) {
  std::map<std::string, store::ServerRecord> out;
  for (auto& r : Records(s, store::Database::kServers, {}, &store::ServerRecordFromJson))
    out[r.id] = std::move(r);
  return out;
}

std::vector<store::DecisionRecord> DecisionRecords(const store::Store& s) {
  auto all = Records(s, store::Database::kPlacement, {}, &store::DecisionRecordFromJson);
  std::erase_if(all, [](const store::DecisionRecord& d) { return d.request_key.empty(); });  // moves
  return all;
}

std::vector<store::MoveRecord> MoveRecords(const store::Store& s) {
  return Records(s, store::Database::kPlacement, "m", &store::MoveRecordFromJson);
}

std::vector<store::SessionRecord> SessionRecords(const store::Store& s) {
  return Records(s, store::Database::kDirectory, "session/", &store::SessionRecordFromJson);
}

std::vector<store::DaspRecord> DaspRecords(const store::Store& s) {
  return Records(s, store::Database::kDasps, {}, &store::DaspRecordFromJson);
}

}  // namespace dabs::farm::testing
