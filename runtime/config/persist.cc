#include <dabs/config/persist.h>

#include <dabs/config/errc.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/tlv.h>
#include <dabs/store/audit.h>

namespace dabs::config {

namespace {

constexpr std::string_view kRecordPrefix = "rec/";
constexpr std::string_view kVersionKey = "meta/version";
constexpr std::string_view kOriginKey = "meta/origin";

constexpr uint8_t kTagVersion = 0x50;
constexpr uint8_t kTagOrigin = 0x51;
constexpr uint8_t kTagRecord = 0x52;

Error Malformed(std::string what) {
  return Error{make_error_code(DaemonErrc::kCorruptRecord), std::move(what)};
}

}  // namespace

std::vector<std::string> ExecutableChanges(const Records& before, const Records& after) {
  std::vector<std::string> out;
  for (const std::string& app : after.Items("apps")) {
    for (const char* key : {"dasp", "args"}) {
      const std::string path = "apps[" + app + "]." + key;
      const auto now = after.Effective(path);
      const auto was = before.Effective(path);
      if (now == was) continue;
      out.push_back(path + ": " + was.value_or("(none)") + " -> " + now.value_or("(none)"));
    }
  }
  return out;
}

Status WriteConfig(store::WriteTxn& txn, const Records& records, const std::string& who) {
  // Executables that change are audited on their own, so that a reviewer finds them.
  auto previous = ReadConfig(txn);
  if (!previous) return previous.error();
  for (const std::string& change : ExecutableChanges(previous->value_or(Records{}), records)) {
    auto audited = store::AppendAudit(txn, who, "executable " + change);
    if (!audited) return audited.error();
  }
  // Only the records go: other keys (meta/file_digest) belong to whoever wrote them.
  std::vector<std::string> old_keys;
  Status listed = txn.ForEach(store::Database::kConfig, kRecordPrefix,
                              [&](std::string_view key, std::string_view) {
                                old_keys.emplace_back(key);
                                return store::Visit::kContinue;
                              });
  if (!listed) return listed;
  for (const auto& key : old_keys) {
    if (auto d = txn.Delete(store::Database::kConfig, key); !d) return d.error();
  }
  for (const auto& [path, value] : records.values) {
    if (Status s = txn.Put(store::Database::kConfig, std::string(kRecordPrefix) + path, value); !s)
      return s;
  }
  uint8_t version[8];
  mp::PutU64(version, records.version);
  if (Status s = txn.Put(store::Database::kConfig, kVersionKey,
                         std::string_view(reinterpret_cast<char*>(version), 8));
      !s)
    return s;
  if (Status s = txn.Put(store::Database::kConfig, kOriginKey, records.origin); !s) return s;
  auto audit =
      store::AppendAudit(txn, who,
                         "configuration version " + std::to_string(records.version) + " from " +
                             (records.origin.empty() ? "the farm file" : records.origin));
  return audit ? Status::Ok() : Status(audit.error());
}

Result<std::optional<Records>> ReadConfig(const store::ReadTxn& txn) {
  auto version = txn.Get(store::Database::kConfig, kVersionKey);
  if (!version) return version.error();
  if (!*version) return std::optional<Records>();
  if ((*version)->size() != 8) return Malformed("stored configuration version is damaged");
  Records r;
  r.version = mp::GetU64(reinterpret_cast<const uint8_t*>((*version)->data()));
  auto origin = txn.Get(store::Database::kConfig, kOriginKey);
  if (origin && *origin) r.origin = std::string(**origin);
  Status each = txn.ForEach(
      store::Database::kConfig, kRecordPrefix, [&](std::string_view key, std::string_view value) {
        r.values.emplace(std::string(key.substr(kRecordPrefix.size())), std::string(value));
        return store::Visit::kContinue;
      });
  if (!each) return each.error();
  return std::optional<Records>(std::move(r));
}

Status SaveConfig(store::Store& store, const Records& records, const std::string& who) {
  return store.Write([&](store::WriteTxn& txn) { return WriteConfig(txn, records, who); });
}

Result<std::optional<Records>> LoadConfig(const store::Store& store) {
  std::optional<Records> out;
  Status s = store.Read([&](const store::ReadTxn& txn) -> Status {
    auto r = ReadConfig(txn);
    if (!r) return r.error();
    out = std::move(*r);
    return Status::Ok();
  });
  if (!s) return s.error();
  return out;
}

Result<uint64_t> StoredConfigVersion(const store::Store& store) {
  uint64_t out = 0;
  Status s = store.Read([&](const store::ReadTxn& txn) -> Status {
    auto version = txn.Get(store::Database::kConfig, kVersionKey);
    if (!version) return version.error();
    if (*version && (*version)->size() == 8)
      out = mp::GetU64(reinterpret_cast<const uint8_t*>((*version)->data()));
    return Status::Ok();
  });
  if (!s) return s.error();
  return out;
}

bool Supersedes(const Records& candidate, const Records& current) {
  if (candidate.version != current.version) return candidate.version > current.version;
  return candidate.origin > current.origin;
}

std::vector<uint8_t> EncodeConfigSync(const Records& records) {
  std::vector<uint8_t> out;
  mp::TlvWriter w(out);
  w.U64(kTagVersion, records.version);
  w.String(kTagOrigin, records.origin);
  for (const auto& [path, value] : records.values) {
    std::string record = path;
    record.push_back('\0');
    record += value;
    w.String(kTagRecord, record);
  }
  return out;
}

Result<Records> DecodeConfigSync(std::span<const uint8_t> payload) {
  auto t = mp::TlvList::Parse(payload);
  if (!t) return t.error();
  Records r;
  auto version = t->U64(kTagVersion);
  if (!version) return Malformed("CONFIG_SYNC without VERSION");
  r.version = *version;
  if (auto o = t->String(kTagOrigin)) r.origin = std::string(*o);
  for (const auto& f : t->fields()) {
    if (f.tag != kTagRecord) continue;
    const std::string_view record(reinterpret_cast<const char*>(f.value.data()), f.value.size());
    const auto zero = record.find('\0');
    if (zero == std::string_view::npos) return Malformed("CONFIG_SYNC record without its 0 byte");
    r.values.emplace(std::string(record.substr(0, zero)), std::string(record.substr(zero + 1)));
  }
  return r;
}

}  // namespace dabs::config
