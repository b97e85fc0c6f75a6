#include <dabs/config/consistency.h>
#include <dabs/config/edit.h>

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace dabs::config {

namespace {

// "apps[calc].limits.x" -> "calc" (the list item a path is in), or "" for a section key.
std::string ItemOf(const std::string& path, std::string* list = nullptr) {
  const auto open = path.find('['), close = path.find(']');
  if (open == std::string::npos || close == std::string::npos) return "";
  if (list) *list = path.substr(0, open);
  return path.substr(open + 1, close - open - 1);
}

std::optional<std::string> Forbidden(const KeySpec& spec, const std::string& path, const Actor& who) {
  if (who.role == "farm-admin") return std::nullopt;
  if (who.role != "app-admin") return "a " + (who.role.empty() ? std::string("viewer") : who.role) + " may not change the configuration";
  std::string list;
  const std::string item = ItemOf(path, &list);
  if (list != "apps" || spec.role != Role::kAppAdmin) return "only a farm-admin may change " + std::string(spec.path);
  if (std::find(who.apps.begin(), who.apps.end(), item) == who.apps.end()) {
    return who.name + " administers no application '" + item + "'";
  }
  return std::nullopt;
}

void Remove(Records& r, const Change& c, const KeySpec& spec) {
  std::string list;
  const std::string item = ItemOf(c.path, &list);
  const bool id_key = !item.empty() && (spec.path == "servers[].id" || spec.path == "apps[].name" || spec.path == "users[].name");
  if (!id_key) {
    r.values.erase(c.path);
    return;
  }
  const std::string prefix = list + "[" + item + "]";
  std::erase_if(r.values, [&](const auto& kv) { return kv.first.starts_with(prefix + "."); });
}

}  // namespace

Result<Records> Apply(const Records& records, const std::vector<Change>& changes, const Actor& who,
                      const std::string& server, std::vector<Problem>* problems) {
  std::vector<Problem> out;
  Records next = records;
  for (const auto& c : changes) {
    const KeySpec* spec = FindKey(c.path);
    if (!spec) {
      out.push_back({c.path, "no such key"});
      continue;
    }
    if (auto why = Forbidden(*spec, c.path, who)) {
      out.push_back({c.path, *why});
      continue;
    }
    if (!c.value) {
      Remove(next, c, *spec);
      continue;
    }
    auto v = Normalise(*spec, *c.value);
    if (!v) {
      out.push_back({c.path, v.error().detail});
      continue;
    }
    // An id key must agree with the item it names: apps[calc].name is "calc".
    const std::string item = ItemOf(c.path);
    if ((spec->path == "servers[].id" || spec->path == "apps[].name" || spec->path == "users[].name") && *v != item) {
      out.push_back({c.path, "must be '" + item + "', the name the item is listed under"});
      continue;
    }
    next.values[c.path] = *v;
  }
  if (out.empty()) out = CheckConsistency(next);
  if (!out.empty()) {
    if (problems) *problems = out;
    return ProblemsError(out);
  }
  next.version = records.version + 1;
  next.origin = server;
  return next;
}

// ---------------------------------------------------------------------------- export

namespace {

nlohmann::ordered_json Typed(const KeySpec& spec, const std::string& text) {
  switch (spec.type) {
    case KeyType::kUint: return std::stoull(text);
    case KeyType::kDouble: return std::stod(text);
    case KeyType::kStringList:
    case KeyType::kNameList: return nlohmann::ordered_json::parse(text);
    default: return text;
  }
}

void Emit(YAML::Emitter& out, const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      Emit(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    const bool scalars = std::all_of(j.begin(), j.end(), [](const auto& e) { return !e.is_structured(); });
    out << (scalars ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& e : j) Emit(out, e);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << j.get<std::string>();
  } else if (j.is_number_unsigned()) {
    out << j.get<uint64_t>();
  } else {
    out << j.dump();
  }
}

}  // namespace

std::string ExportYaml(const Records& records) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const std::string section : {"farm", "placement", "latency", "mp", "snmp"}) {
    for (const auto& spec : Keys()) {
      if (!spec.path.starts_with(section + ".")) continue;
      auto v = records.values.find(std::string(spec.path));
      if (v == records.values.end()) continue;
      nlohmann::ordered_json* node = &root;
      std::string rest(spec.path);
      for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
        node = &(*node)[rest.substr(0, dot)];
      }
      (*node)[rest] = Typed(spec, v->second);
    }
  }
  for (const auto& list : Lists()) {
    const std::string name(list.name);
    const auto items = records.Items(name);
    if (items.empty()) continue;
    root[name] = nlohmann::ordered_json::array();
    for (const auto& item : items) {
      nlohmann::ordered_json entry = nlohmann::ordered_json::object();
      const std::string prefix = name + "[" + item + "]";
      for (const auto& spec : Keys()) {
        if (!spec.path.starts_with(name + "[].")) continue;
        const std::string path = prefix + std::string(spec.path.substr(name.size() + 2));
        auto v = records.values.find(path);
        if (v == records.values.end()) continue;
        nlohmann::ordered_json* node = &entry;
        std::string rest(spec.path.substr(name.size() + 3));
        for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
          node = &(*node)[rest.substr(0, dot)];
        }
        (*node)[rest] = Typed(spec, v->second);
      }
      root[name].push_back(entry);
    }
  }
  YAML::Emitter out;
  out << YAML::Comment("dabs farm file, exported at version " + std::to_string(records.version));
  Emit(out, root);
  return std::string(out.c_str()) + "\n";
}

}  // namespace dabs::config
