// What dabsctl shows of each record: the JSON objects of `dabsctl ... --json` (the keys of
// docs/spec/config.md plus documented extras) built from the store's records. Pure
// functions of their arguments, so the derivations (a server's state from its lease, ...)
// are tested without a store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <dabs/config/farm.h>
#include <dabs/store/records.h>

#include "ctl.h"

namespace dabs::ctl {

// The state to show for a member: "gone" once it has not been heard of for longer than its
// lease (dabs-lbd may be dead and no longer updating the record), "suspect" once it missed
// two heartbeats, else the record's own state ("alive" | "suspect" | "gone"); whichever of
// the record's and the derived state is worse.
std::string ServerState(const store::ServerRecord& r, int64_t now_ms, int64_t heartbeat_ms);

// Milliseconds of lease left: lease_ms - (now - last_heard_ms), at least 0.
int64_t LeaseMsLeft(const store::ServerRecord& r, int64_t now_ms);

// The host part of an endpoint's text ("10.0.0.1:7411" -> "10.0.0.1", "[::1]:7411" ->
// "::1"); the text itself when it has no port.
std::string HostOf(std::string_view endpoint);

// "2024-05-01T12:00:00.123Z"
std::string IsoTime(int64_t unix_ms);

// A VA given as 0x hex or decimal ("0x00100001", "1048577"); nullopt for anything else.
std::optional<uint32_t> ParseVaText(std::string_view text);

// {"id","index","address","state","load","instances","sessions","lease_ms_left", ...}
json ServerJson(const store::ServerRecord& r, int64_t now_ms, int64_t heartbeat_ms);

// {"va","uri","app","server","pid","state","sessions", ...}; `local` is this server's
// dasps record of the same VA, when it has one (restarts, process, started_at).
json DaspJson(const store::DirectoryRecord& r, const std::optional<store::DaspRecord>& local);

// {"app","server","dasp_va","client_va","client_endpoint","opened_at", ...}
json SessionJson(const store::SessionRecord& r);

// {"id","cpu_pct","memory_pct","net_pct","load","latency_p99_ms", ...}; a figure the
// record lacks is null.
json StatsJson(const store::StatsRecord& r, int64_t now_ms);

// {"name","dasp","start_at_init","servers","limits",...,"instances","sessions"}
json AppJson(const config::AppEntry& app, uint64_t instances, uint64_t sessions);

}  // namespace dabs::ctl
