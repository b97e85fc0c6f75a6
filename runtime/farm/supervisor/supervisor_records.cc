// The supervisor's records: store::DaspRecord under VaKey(va) in the dasps database.
#include <spdlog/spdlog.h>

#include <dabs/store/audit.h>

#include "supervisor_impl.h"

namespace dabs::farm {

store::DaspRecord Supervisor::Impl::BaseRecord(const Proc& p, mp::Va va) const {
  store::DaspRecord r;
  r.va = va;
  r.app = p.app;
  r.server = server();
  r.process = p.id;
  r.control = Control(va);
  if (!options_.farm_name.empty()) r.uri = mp::VaUri{options_.farm_name, p.app, va}.ToString();
  return r;
}

Status Supervisor::Impl::WriteRecords(const Proc& p, std::span<const mp::Va> vas,
                                      const std::function<void(store::DaspRecord&)>& change,
                                      const std::string& audit) {
  Status s = deps_.store.Write([&](store::WriteTxn& txn) -> Status {
    for (mp::Va va : vas) {
      const std::string key = store::VaKey(va);
      auto old = txn.Get(store::Database::kDasps, key);
      if (!old) return old.error();
      store::DaspRecord r = BaseRecord(p, va);
      if (*old) {
        // Keep what the instance reported (its endpoints, counters); a record that does not
        // decode is replaced rather than blocking supervision.
        if (auto decoded = store::DaspRecordFromJson(**old)) {
          r = std::move(*decoded);
          r.app = p.app;
          r.server = server();
          r.process = p.id;
        }
      }
      change(r);
      if (Status put = txn.Put(store::Database::kDasps, key, store::ToJson(r)); !put) return put;
    }
    if (!audit.empty()) {
      auto seq = store::AppendAudit(txn, options_.audit_who, audit, deps_.clock.UnixMillis());
      if (!seq) return seq.error();
    }
    return Status::Ok();
  });
  if (!s) spdlog::error("supervisor {}: records of {}: {}", server(), p.id, s.error().Message());
  return s;
}

Status Supervisor::Impl::UpdateRecord(mp::Va va,
                                      const std::function<void(store::DaspRecord&)>& change) {
  return deps_.store.Write([&](store::WriteTxn& txn) -> Status {
    const std::string key = store::VaKey(va);
    auto old = txn.Get(store::Database::kDasps, key);
    if (!old) return old.error();
    if (!*old) return Error{make_error_code(SupervisorErrc::kUnknownVa), mp::FormatVa(va)};
    auto r = store::DaspRecordFromJson(**old);
    if (!r) return r.error();
    if (r->server != server()) {
      return Error{make_error_code(SupervisorErrc::kUnknownVa),
                   mp::FormatVa(va) + " is " + r->server + "'s"};
    }
    change(*r);
    return txn.Put(store::Database::kDasps, key, store::ToJson(*r));
  });
}

Result<std::vector<store::DaspRecord>> Supervisor::Impl::ReadRecords() const {
  std::vector<store::DaspRecord> records;
  Status s = deps_.store.Read([&](const store::ReadTxn& txn) {
    records.clear();
    return txn.ForEach(store::Database::kDasps, {},
                       [&](std::string_view key, std::string_view value) {
                         auto r = store::DaspRecordFromJson(value);
                         if (!r) {
                           spdlog::warn("supervisor {}: dasps record {} does not decode: {}",
                                        server(), key, r.error().Message());
                         } else if (r->server == server()) {
                           records.push_back(std::move(*r));
                         }
                         return store::Visit::kContinue;
                       });
  });
  if (!s) return s.error();
  return records;
}

}  // namespace dabs::farm
