#include <nlohmann/json.hpp>

#include <dabs/config/errc.h>
#include <dabs/config/farm.h>
#include <dabs/mp/errc.h>

namespace dabs::config {

namespace {

class Reader {
 public:
  explicit Reader(const Records& r) : r_(r) {}

  std::string Text(const std::string& path) {
    auto v = r_.Effective(path);
    if (!v) Miss(path);
    return v.value_or("");
  }
  std::optional<std::string> Maybe(const std::string& path) { return r_.Effective(path); }
  uint64_t Uint(const std::string& path) { return Number(Text(path), path); }
  std::optional<uint64_t> MaybeUint(const std::string& path) {
    auto v = Maybe(path);
    return v ? std::optional(Number(*v, path)) : std::nullopt;
  }
  double Double(const std::string& path) {
    try {
      return std::stod(Text(path));
    } catch (const std::exception&) {
      Miss(path);
      return 0;
    }
  }
  mp::Endpoint Endpoint(const std::string& path) {
    auto e = mp::Endpoint::Parse(Text(path));
    if (!e) Miss(path);
    return e ? *e : mp::Endpoint();
  }
  std::vector<std::string> List(const std::string& path) {
    std::vector<std::string> out;
    auto v = Maybe(path);
    if (!v) return out;
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (!j.is_array()) Miss(path);
    for (const auto& s : j) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
    return out;
  }
  const std::string& missing() const { return missing_; }

 private:
  uint64_t Number(const std::string& text, const std::string& path) {
    try {
      return std::stoull(text);
    } catch (const std::exception&) {
      Miss(path);
      return 0;
    }
  }
  void Miss(const std::string& path) {
    if (missing_.empty()) missing_ = path;
  }
  const Records& r_;
  std::string missing_;
};

AppEntry App(Reader& in, const std::string& name) {
  const std::string p = "apps[" + name + "]";
  AppEntry a;
  a.name = name;
  a.dasp = in.Text(p + ".dasp");
  a.args = in.List(p + ".args");
  a.start_at_init = static_cast<uint32_t>(in.Uint(p + ".start_at_init"));
  a.servers = in.List(p + ".servers");
  a.encryption = in.Text(p + ".encryption");
  a.instances_per_process = static_cast<uint32_t>(in.Uint(p + ".instances_per_process"));
  a.limits.farm_instances = in.MaybeUint(p + ".limits.farm.instances");
  a.limits.farm_sessions = in.MaybeUint(p + ".limits.farm.sessions");
  a.limits.farm_memory_mb = in.MaybeUint(p + ".limits.farm.memory_mb");
  a.limits.instance_sessions = in.Uint(p + ".limits.instance.sessions");
  a.limits.instance_memory_mb = in.MaybeUint(p + ".limits.instance.memory_mb");
  a.timers.read_timeout = milliseconds(in.Uint(p + ".timers.read_timeout_ms"));
  a.timers.backlog_reads = static_cast<uint32_t>(in.Uint(p + ".timers.backlog_reads"));
  a.timers.lock_timeout = milliseconds(in.Uint(p + ".timers.lock_timeout_ms"));
  a.timers.write_timeout = milliseconds(in.Uint(p + ".timers.write_timeout_ms"));
  return a;
}

}  // namespace

bool AppEntry::RunsOn(const std::string& server_id) const {
  return servers.empty() || std::find(servers.begin(), servers.end(), server_id) != servers.end();
}

const ServerEntry* FarmConfig::Server(const std::string& id) const {
  for (const auto& s : servers) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

uint16_t FarmConfig::IndexOf(const std::string& id) const {
  const ServerEntry* pinned = Server(id);
  if (pinned && pinned->index) return pinned->index;
  // Unpinned servers are s1 .. sN (config.md), server K with index K.
  if (id.size() > 1 && id.size() <= 5 && id[0] == 's' &&
      id.find_first_not_of("0123456789", 1) == std::string::npos) {
    const int k = std::stoi(id.substr(1));
    return k >= 1 && k <= 4095 ? static_cast<uint16_t>(k) : 0;
  }
  if (pinned) return static_cast<uint16_t>(1 + (pinned - servers.data()));
  return 0;
}

const AppEntry* FarmConfig::App(const std::string& app) const {
  for (const auto& a : apps) {
    if (a.name == app) return &a;
  }
  return nullptr;
}

Result<FarmConfig> Build(const Records& records) {
  Reader in(records);
  FarmConfig f;
  f.name = in.Text("farm.name");
  f.group = in.Endpoint("farm.group");
  f.stats_group = in.Endpoint("farm.stats_group");
  f.config_group = in.Endpoint("farm.config_group");
  f.interface = in.Text("farm.interface");
  f.heartbeat = milliseconds(in.Uint("farm.heartbeat_ms"));
  f.lease = milliseconds(in.Uint("farm.lease_ms"));
  f.identity_key = in.Maybe("farm.identity_key");
  f.policy = in.Text("placement.policy");
  f.ballot_window = milliseconds(in.Uint("placement.ballot_window_ms"));
  f.min_free_cpu_pct = in.Double("placement.min_free.cpu_pct");
  f.min_free_memory_mb = in.Uint("placement.min_free.memory_mb");
  f.min_free_disk_mb = in.Uint("placement.min_free.disk_mb");
  f.rebalance_period = milliseconds(in.Uint("placement.rebalance_period_ms"));
  f.rebalance = in.Text("placement.rebalance");
  f.spread_pct = static_cast<uint32_t>(in.Uint("placement.spread_pct"));
  f.high_water_ms = static_cast<uint32_t>(in.Uint("latency.high_water_ms"));
  f.low_water_ms = static_cast<uint32_t>(in.Uint("latency.low_water_ms"));
  f.max_transmissions = static_cast<int>(in.Uint("mp.max_transmissions"));
  f.initial_rto = milliseconds(in.Uint("mp.initial_rto_ms"));
  f.max_message_bytes = in.Uint("mp.max_message_bytes");
  f.agentx_socket = in.Text("snmp.agentx_socket");
  for (const auto& id : records.Items("servers")) {
    const std::string p = "servers[" + id + "]";
    ServerEntry s;
    s.id = id;
    s.index = static_cast<uint16_t>(in.Uint(p + ".index"));
    s.address = in.Maybe(p + ".address");
    for (auto [key, slot] : {std::pair{".port", &s.port},
                             {".stats_port", &s.stats_port},
                             {".gui_port", &s.gui_port}}) {
      if (auto v = in.MaybeUint(p + key)) *slot = static_cast<uint16_t>(*v);
    }
    f.servers.push_back(std::move(s));
  }
  std::sort(f.servers.begin(), f.servers.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  for (const auto& name : records.Items("apps"))
    f.apps.push_back(App(in, name));
  for (const auto& name : records.Items("users")) {
    const std::string p = "users[" + name + "]";
    f.users.push_back(
        {name, in.Text(p + ".role"), in.Text(p + ".password_hash"), in.List(p + ".apps")});
  }
  f.version = records.version;
  if (!in.missing().empty()) {
    return Error{make_error_code(DaemonErrc::kInvalidConfig),
                 "configuration lacks a valid '" + in.missing() + "'"};
  }
  return f;
}

}  // namespace dabs::config
