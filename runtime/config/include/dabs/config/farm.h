// The typed view of a farm configuration that the daemons use, built from checked records
// (defaults filled in). Values as in docs/spec/config.md.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <dabs/config/records.h>
#include <dabs/mp/endpoint.h>

namespace dabs::config {

using std::chrono::milliseconds;

struct ServerEntry {
  std::string id;
  uint16_t index = 0;
  std::optional<std::string> address;
  std::optional<uint16_t> port, stats_port, gui_port;
};

struct Limits {
  std::optional<uint64_t> farm_instances, farm_sessions, farm_memory_mb;
  uint64_t instance_sessions = 1000;
  std::optional<uint64_t> instance_memory_mb;
};

struct AppTimers {
  milliseconds read_timeout{100};
  uint32_t backlog_reads = 64;
  milliseconds lock_timeout{50};
  milliseconds write_timeout{200};
};

struct AppEntry {
  std::string name;
  std::string dasp;  // absolute path
  std::vector<std::string> args;
  uint32_t start_at_init = 0;
  std::vector<std::string> servers;  // empty: all
  std::string encryption = "off";
  uint32_t instances_per_process = 1;
  Limits limits;
  AppTimers timers;

  bool RunsOn(const std::string& server_id) const;
};

struct UserEntry {
  std::string name, role, password_hash;
  std::vector<std::string> apps;
};

struct FarmConfig {
  std::string name;
  mp::Endpoint group, stats_group, config_group;
  std::string interface = "0.0.0.0";
  milliseconds heartbeat{250}, lease{1000};
  std::optional<std::string> identity_key;

  std::string policy = "vote";
  milliseconds ballot_window{10};
  double min_free_cpu_pct = 5;
  uint64_t min_free_memory_mb = 64, min_free_disk_mb = 64;
  milliseconds rebalance_period{1000};
  std::string rebalance = "starvation";  // or "spread"
  uint32_t spread_pct = 10;

  uint32_t high_water_ms = 250, low_water_ms = 150;
  int max_transmissions = 6;
  milliseconds initial_rto{250};
  uint64_t max_message_bytes = 1 << 20;
  std::string agentx_socket = "tcp:127.0.0.1:705";

  std::vector<ServerEntry> servers;
  std::vector<AppEntry> apps;
  std::vector<UserEntry> users;
  uint64_t version = 0;

  const ServerEntry* Server(const std::string& id) const;
  // A server's index (the upper 12 bits of its VAs): pinned, else K for an unpinned "sK",
  // else its position in `servers`; 0 when it has none.
  uint16_t IndexOf(const std::string& id) const;
  const AppEntry* App(const std::string& name) const;
};

// The typed view. kMalformed if a required key is missing or a value does not parse.
Result<FarmConfig> Build(const Records& records);

}  // namespace dabs::config
