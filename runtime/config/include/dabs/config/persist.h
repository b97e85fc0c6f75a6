// A server's configuration in its store (the "config" database) and on the wire
// (CONFIG_SYNC, docs/payloads.md). Every server keeps the newest version it has seen: the
// higher version wins, and of two equal versions the greater origin server id, so that every
// server that saw the same updates converges on the same configuration.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include <dabs/config/records.h>
#include <dabs/store/store.h>

namespace dabs::config {

// The same two inside a transaction the caller runs (with other changes of its own).
Status WriteConfig(store::WriteTxn& txn, const Records& records, const std::string& who);
Result<std::optional<Records>> ReadConfig(const store::ReadTxn& txn);
// Replaces the stored configuration, in one transaction, with an audit record. Thread-safe.
Status SaveConfig(store::Store& store, const Records& records, const std::string& who);
// The stored configuration, or nullopt when none has been saved yet. Thread-safe.
Result<std::optional<Records>> LoadConfig(const store::Store& store);

// What a new configuration changes in the commands the farm will run as root: one line per
// application whose DASP executable or arguments differ ("apps[echo].dasp: /a -> /b",
// "apps[echo] is new: /c"). WriteConfig puts each in the audit log; daemons log them.
std::vector<std::string> ExecutableChanges(const Records& before, const Records& after);

// The stored version alone (0 when none), for daemons that poll for changes. Thread-safe.
Result<uint64_t> StoredConfigVersion(const store::Store& store);
// True when `candidate` should replace `current`.
bool Supersedes(const Records& candidate, const Records& current);

// CONFIG_SYNC payload: VERSION (u64), ORIGIN (string), then one RECORD per key
// (path, a 0 byte, value).
std::vector<uint8_t> EncodeConfigSync(const Records& records);
Result<Records> DecodeConfigSync(std::span<const uint8_t> payload);

}  // namespace dabs::config
