#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <dabs/config/consistency.h>

namespace dabs::config {

namespace {

std::optional<uint64_t> Uint(const Records& r, const std::string& path) {
  auto v = r.Effective(path);
  if (!v) return std::nullopt;
  try {
    return std::stoull(*v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> List(const Records& r, const std::string& path) {
  auto v = r.Effective(path);
  if (!v) return {};
  auto j = nlohmann::json::parse(*v, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

void Farm(const Records& r, std::vector<Problem>& out) {
  const auto high = Uint(r, "latency.high_water_ms"), low = Uint(r, "latency.low_water_ms");
  if (high && low && *low >= *high) {
    out.push_back({"latency.low_water_ms",
                   "must be below latency.high_water_ms (" + std::to_string(*high) + ")"});
  }
  const auto beat = Uint(r, "farm.heartbeat_ms"), lease = Uint(r, "farm.lease_ms");
  if (beat && lease && *lease < 2 * *beat) {
    out.push_back({"farm.lease_ms",
                   "must be at least two heartbeats (" + std::to_string(2 * *beat) + " ms)"});
  }
  std::map<std::string, std::string> groups;
  for (const char* g : {"farm.group", "farm.stats_group", "farm.config_group"}) {
    auto v = r.Effective(g);
    if (!v) continue;
    if (auto [it, fresh] = groups.emplace(*v, g); !fresh) {
      out.push_back({g, "is the same group as " + it->second + " (" + *v + ")"});
    }
  }
  if (auto key = r.values.find("farm.identity_key");
      key != r.values.end() && ::access(key->second.c_str(), R_OK) != 0) {
    out.push_back(
        {"farm.identity_key", "cannot read " + key->second + " (dabsctl keygen makes one)"});
  }
}

void Servers(const Records& r, std::vector<Problem>& out) {
  std::map<std::string, std::string> endpoints;
  std::map<uint64_t, std::string> indexes;
  for (const auto& id : r.Items("servers")) {
    const std::string p = "servers[" + id + "]";
    if (auto index = Uint(r, p + ".index")) {
      if (auto [it, fresh] = indexes.emplace(*index, id); !fresh) {
        out.push_back({p + ".index",
                       "index " + std::to_string(*index) + " is also server " + it->second + "'s"});
      }
    }
    auto address = r.Effective(p + ".address");
    if (!address) continue;
    for (const char* port : {".port", ".stats_port", ".gui_port"}) {
      auto v = r.Effective(p + port);
      if (!v) continue;
      const std::string ep = *address + ":" + *v;
      if (auto [it, fresh] = endpoints.emplace(ep, p + port); !fresh) {
        out.push_back({p + port, ep + " is also " + it->second});
      }
    }
  }
}

void Apps(const Records& r, std::vector<Problem>& out) {
  const auto servers = r.Items("servers");
  const std::set<std::string> known(servers.begin(), servers.end());
  for (const auto& name : r.Items("apps")) {
    const std::string p = "apps[" + name + "]";
    if (auto dasp = r.Effective(p + ".dasp"); dasp && ::access(dasp->c_str(), X_OK) != 0) {
      out.push_back({p + ".dasp", "no executable at " + *dasp});
    }
    if (!known.empty()) {
      for (const auto& s : List(r, p + ".servers")) {
        if (!known.count(s)) out.push_back({p + ".servers", "no server '" + s + "' in servers"});
      }
    }
    // Two levels of limits (seed 003): the application's within the farm operator's.
    const auto farm_sessions = Uint(r, p + ".limits.farm.sessions");
    const auto instance_sessions = Uint(r, p + ".limits.instance.sessions");
    if (farm_sessions && instance_sessions && *instance_sessions > *farm_sessions) {
      out.push_back({p + ".limits.instance.sessions",
                     "exceeds the farm limit of " + std::to_string(*farm_sessions)});
    }
    const auto farm_memory = Uint(r, p + ".limits.farm.memory_mb");
    const auto instance_memory = Uint(r, p + ".limits.instance.memory_mb");
    if (farm_memory && instance_memory && *instance_memory > *farm_memory) {
      out.push_back({p + ".limits.instance.memory_mb",
                     "exceeds the farm limit of " + std::to_string(*farm_memory) + " MB"});
    }
    // Spec 6: an encrypted application's DASPs sign ENC_ACCEPT with the farm's identity.
    if (const auto enc = r.Effective(p + ".encryption");
        enc && *enc != "off" && !r.values.count("farm.identity_key")) {
      out.push_back({p + ".encryption", "is " + *enc +
                                            ", which needs farm.identity_key (the farm's Ed25519 "
                                            "key; dabsctl keygen makes one)"});
    }
    const auto instances = Uint(r, p + ".limits.farm.instances");
    const auto at_init = Uint(r, p + ".start_at_init");
    if (instances && at_init && *at_init > *instances) {
      out.push_back({p + ".start_at_init",
                     "exceeds limits.farm.instances (" + std::to_string(*instances) + ")"});
    }
  }
}

void Users(const Records& r, std::vector<Problem>& out) {
  const auto apps = r.Items("apps");
  const std::set<std::string> known(apps.begin(), apps.end());
  for (const auto& name : r.Items("users")) {
    const std::string p = "users[" + name + "]";
    const auto role = r.Effective(p + ".role").value_or("");
    const auto theirs = List(r, p + ".apps");
    if (role == "app-admin" && theirs.empty())
      out.push_back({p + ".apps", "an app-admin needs the applications they administer"});
    if (role != "app-admin" && !theirs.empty())
      out.push_back({p + ".apps", "only an app-admin has applications"});
    for (const auto& a : theirs) {
      if (!known.count(a)) out.push_back({p + ".apps", "no application '" + a + "' in apps"});
    }
  }
}

// Every required key is there: of the sections, and of each list item.
void RequiredKeys(const Records& r, std::vector<Problem>& out) {
  for (const auto& k : Keys()) {
    if (!k.required) continue;
    const std::string path(k.path);
    const auto open = path.find("[]");
    if (open == std::string::npos) {
      if (!r.values.count(path)) out.push_back({path, "is required"});
      continue;
    }
    const std::string list = path.substr(0, open);
    for (const auto& item : r.Items(list)) {
      const std::string p = list + "[" + item + "]" + path.substr(open + 2);
      if (!r.values.count(p)) out.push_back({p, "is required"});
    }
  }
}

}  // namespace

std::vector<Problem> CheckConsistency(const Records& records) {
  std::vector<Problem> out;
  RequiredKeys(records, out);
  Farm(records, out);
  Servers(records, out);
  Apps(records, out);
  Users(records, out);
  return out;
}

}  // namespace dabs::config
