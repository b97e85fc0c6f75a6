#include <dabs/config/keys.h>

#include <array>

namespace dabs::config {

namespace {

using K = KeyType;
constexpr double kMax32 = 4294967295.0;

const std::vector<KeySpec>& Table() {
  static const std::vector<KeySpec> table = {
      {"farm.name", K::kName, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "farm name, used in VA URIs"},
      {"farm.group", K::kGroup, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "load-balancing group, VA 1"},
      {"farm.stats_group", K::kGroup, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "statistics group, VA 2"},
      {"farm.config_group", K::kGroup, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "configuration group, VA 3"},
      {"farm.interface", K::kAddress, 0, 0, {}, "0.0.0.0", false, Role::kFarmAdmin, "interface address for multicast"},
      {"farm.heartbeat_ms", K::kUint, 10, 60'000, {}, "250", false, Role::kFarmAdmin, "HELLO period"},
      {"farm.lease_ms", K::kUint, 20, 600'000, {}, "1000", false, Role::kFarmAdmin, "a server not heard of this long leaves"},
      {"farm.identity_key", K::kPath, 0, 0, {}, std::nullopt, false, Role::kFarmAdmin, "Ed25519 private key, PEM"},

      {"placement.policy", K::kEnum, 0, 0, {"vote", "round-robin", "random", "two-choices", "least-loaded"}, "vote",
       false, Role::kFarmAdmin, "how a server is chosen for a new session"},
      {"placement.ballot_window_ms", K::kUint, 1, 10'000, {}, "10", false, Role::kFarmAdmin, "how long ballots are collected"},
      {"placement.min_free.cpu_pct", K::kDouble, 0, 100, {}, "5", false, Role::kFarmAdmin, "below this free CPU a server takes no session"},
      {"placement.min_free.memory_mb", K::kUint, 0, kMax32, {}, "64", false, Role::kFarmAdmin, "... free memory"},
      {"placement.min_free.disk_mb", K::kUint, 0, kMax32, {}, "64", false, Role::kFarmAdmin, "... free disk"},
      {"placement.rebalance_period_ms", K::kUint, 0, 3'600'000, {}, "1000", false, Role::kFarmAdmin,
       "starvation avoidance period; 0 turns it off"},
      {"placement.rebalance", K::kEnum, 0, 0, {"starvation", "spread"}, "starvation", false, Role::kFarmAdmin,
       "what makes a server a source: starving sessions, or also sessions over the mean"},
      {"placement.spread_pct", K::kUint, 1, 1000, {}, "10", false, Role::kFarmAdmin,
       "under spread: how far over the farm's mean a server is a source"},

      {"latency.high_water_ms", K::kUint, 1, 3'600'000, {}, "250", false, Role::kFarmAdmin, "MAXIMUM_MESSAGE_LATENCY"},
      {"latency.low_water_ms", K::kUint, 0, 3'600'000, {}, "150", false, Role::kFarmAdmin, "back under this: new clients again"},

      {"mp.max_transmissions", K::kUint, 1, 100, {}, "6", false, Role::kFarmAdmin, "before a send gives up"},
      {"mp.initial_rto_ms", K::kUint, 1, 60'000, {}, "250", false, Role::kFarmAdmin, "retransmission timeout before any measurement"},
      {"mp.max_message_bytes", K::kUint, 512, 1u << 30, {}, "1048576", false, Role::kFarmAdmin, "largest multi-buffer message"},

      {"snmp.agentx_socket", K::kString, 0, 0, {}, "tcp:127.0.0.1:705", false, Role::kFarmAdmin, "where dabs-statd finds snmpd"},

      {"servers[].id", K::kName, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "server id"},
      {"servers[].index", K::kUint, 1, 4095, {}, std::nullopt, false, Role::kFarmAdmin,
       "server index in VAs; defaults to the position in the file"},
      {"servers[].address", K::kAddress, 0, 0, {}, std::nullopt, false, Role::kFarmAdmin, "its address"},
      {"servers[].port", K::kUint, 1, 65535, {}, std::nullopt, false, Role::kFarmAdmin, "dabs-lbd unicast port"},
      {"servers[].stats_port", K::kUint, 1, 65535, {}, std::nullopt, false, Role::kFarmAdmin, "dabs-statd unicast port"},
      {"servers[].gui_port", K::kUint, 1, 65535, {}, std::nullopt, false, Role::kFarmAdmin, "dabs-configd's web GUI"},

      {"apps[].name", K::kName, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "application name"},
      {"apps[].dasp", K::kPath, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "the DASP executable"},
      {"apps[].args", K::kStringList, 0, 0, {}, std::nullopt, false, Role::kAppAdmin, "extra arguments"},
      {"apps[].start_at_init", K::kUint, 0, 4096, {}, "0", false, Role::kAppAdmin, "instances started with the farm"},
      {"apps[].servers", K::kNameList, 0, 0, {}, std::nullopt, false, Role::kFarmAdmin, "server sub-group; empty: all"},
      {"apps[].encryption", K::kEnum, 0, 0, {"off", "offered", "required"}, "off", false, Role::kAppAdmin, "session encryption"},
      {"apps[].instances_per_process", K::kUint, 1, 64, {}, "1", false, Role::kAppAdmin, "instances one DASP process hosts"},
      {"apps[].limits.farm.instances", K::kUint, 0, 1'000'000, {}, std::nullopt, false, Role::kFarmAdmin, "farm-wide instances"},
      {"apps[].limits.farm.sessions", K::kUint, 0, 100'000'000, {}, std::nullopt, false, Role::kFarmAdmin, "farm-wide sessions"},
      {"apps[].limits.farm.memory_mb", K::kUint, 0, kMax32, {}, std::nullopt, false, Role::kFarmAdmin, "farm-wide memory"},
      {"apps[].limits.instance.sessions", K::kUint, 1, 100'000'000, {}, "1000", false, Role::kAppAdmin, "sessions per instance"},
      {"apps[].limits.instance.memory_mb", K::kUint, 0, kMax32, {}, std::nullopt, false, Role::kAppAdmin, "memory per instance"},
      {"apps[].timers.read_timeout_ms", K::kUint, 1, 600'000, {}, "100", false, Role::kAppAdmin, "the read timer's first timeout"},
      {"apps[].timers.backlog_reads", K::kUint, 1, 1'000'000, {}, "64", false, Role::kAppAdmin, "reads that did not time out before a backlog"},
      {"apps[].timers.lock_timeout_ms", K::kUint, 1, 600'000, {}, "50", false, Role::kAppAdmin, "resource lock timeout"},
      {"apps[].timers.write_timeout_ms", K::kUint, 1, 600'000, {}, "200", false, Role::kAppAdmin, "write timer's first timeout"},

      {"users[].name", K::kName, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "user name"},
      {"users[].role", K::kEnum, 0, 0, {"farm-admin", "app-admin", "viewer"}, std::nullopt, true, Role::kFarmAdmin, "what the user may change"},
      {"users[].apps", K::kNameList, 0, 0, {}, std::nullopt, false, Role::kFarmAdmin, "an app-admin's applications"},
      {"users[].password_hash", K::kString, 0, 0, {}, std::nullopt, true, Role::kFarmAdmin, "from dabsctl passwd"},
  };
  return table;
}

constexpr std::array<ListSpec, 3> kLists = {{{"servers", "id"}, {"apps", "name"}, {"users", "name"}}};

}  // namespace

std::span<const KeySpec> Keys() { return Table(); }
std::span<const ListSpec> Lists() { return kLists; }

std::string Pattern(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    out.push_back(path[i]);
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string_view::npos) return std::string(path);
      i = close - 1;
    }
  }
  return out;
}

const KeySpec* FindKey(std::string_view record_path) {
  const std::string p = Pattern(record_path);
  for (const auto& k : Table()) {
    if (k.path == p) return &k;
  }
  return nullptr;
}

}  // namespace dabs::config
