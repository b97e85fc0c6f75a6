// The farm file: YAML to checked records. yaml-cpp accepts duplicate keys and reads `yes` as
// a boolean; both are caught here (NOTES.md). Marks are 0-based; messages show them 1-based.
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <dabs/config/consistency.h>
#include <dabs/config/load.h>

namespace dabs::config {

namespace {

class Loader {
 public:
  Loader(std::string name, std::filesystem::path base)
      : name_(std::move(name)), base_(std::move(base)) {}

  void Top(const YAML::Node& root) {
    if (!root.IsMap())
      return Report(root, "expected a map of sections (farm:, placement:, apps:, ...)");
    for (const auto& [key, node] : Entries(root)) {
      if (key == "servers" || key == "apps" || key == "users") {
        List(key, node);
      } else if (key == "farm" || key == "placement" || key == "latency" || key == "mp" ||
                 key == "snmp") {
        Map(node, key);
      } else {
        Unknown(node, key, "");
      }
    }
  }

  std::vector<Problem> problems;
  LoadResult result;

 private:
  std::string Where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return name_;
    return name_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  void Report(const YAML::Node& n, std::string message) {
    problems.push_back({Where(n), std::move(message)});
  }

  // The entries of a map, in order; a key given twice is reported.
  std::vector<std::pair<std::string, YAML::Node>> Entries(const YAML::Node& map) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (!seen.insert(key).second) {
        Report(it->first, "'" + key + "' is given twice");
        continue;
      }
      out.emplace_back(key, it->second);
    }
    return out;
  }

  void List(const std::string& list, const YAML::Node& node) {
    if (node.IsNull()) return;
    if (!node.IsSequence()) return Report(node, "expected a list of " + list);
    const std::string id_key = list == "servers" ? "id" : "name";
    std::set<std::string> ids;
    int position = 0;
    for (const auto& item : node) {
      ++position;
      if (!item.IsMap()) {
        Report(item, "expected a map (" + id_key + ": ...)");
        continue;
      }
      const YAML::Node id = item[id_key];
      if (!id.IsDefined() || !id.IsScalar()) {
        Report(item, "missing '" + id_key + "'");
        continue;
      }
      const std::string name = id.Scalar();
      if (!Normalise(*FindKey(list + "[]." + id_key), name)) {
        Report(id, "expected a name of 1-64 characters [A-Za-z0-9._-], got '" + name + "'");
        continue;
      }
      if (!ids.insert(name).second) {
        Report(id, list + " '" + name + "' is given twice");
        continue;
      }
      const std::string prefix = list + "[" + name + "]";
      Map(item, prefix);
      if (list == "servers" && !result.records.values.count(prefix + ".index")) {
        result.records.values[prefix + ".index"] = std::to_string(position);
      }
    }
  }

  void Map(const YAML::Node& node, const std::string& prefix) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return Report(node, "expected a map under '" + prefix + "'");
    for (const auto& [key, value] : Entries(node)) {
      const std::string path = prefix + "." + key;
      const std::string pattern = Pattern(path);
      if (value.IsMap() && HasChildren(pattern)) {
        Map(value, path);
      } else if (const KeySpec* spec = FindKey(path)) {
        Value(*spec, path, value);
      } else {
        Unknown(value, key, prefix);
      }
    }
  }

  void Value(const KeySpec& spec, const std::string& path, const YAML::Node& node) {
    std::string text;
    if (spec.type == KeyType::kStringList || spec.type == KeyType::kNameList) {
      if (!node.IsSequence()) return Report(node, "expected a list for '" + path + "'");
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : node) {
        if (!item.IsScalar()) return Report(item, "expected text in the list '" + path + "'");
        j.push_back(item.Scalar());
      }
      try {
        text = j.dump();
      } catch (const nlohmann::json::type_error&) {  // yaml-cpp passes on bytes that are not UTF-8
        return Report(node, path + ": expected UTF-8 text");
      }
    } else {
      if (!node.IsScalar()) return Report(node, "expected a single value for '" + path + "'");
      text = node.Scalar();
    }
    auto value = Normalise(spec, text);
    if (!value) return Report(node, path + ": " + value.error().detail);
    if (spec.type == KeyType::kPath) value = (base_ / *value).lexically_normal().string();
    result.records.values[path] = *value;
    result.where[path] = Where(node);
  }

  static bool HasChildren(const std::string& pattern) {
    for (const auto& k : Keys()) {
      if (k.path.starts_with(pattern + ".")) return true;
    }
    return false;
  }

  void Unknown(const YAML::Node& node, const std::string& key, const std::string& prefix) {
    std::string known;
    const std::string pattern = prefix.empty() ? "" : Pattern(prefix) + ".";
    std::set<std::string> siblings;
    for (const auto& k : Keys()) {
      if (!k.path.starts_with(pattern)) continue;
      std::string rest(k.path.substr(pattern.size()));
      siblings.insert(rest.substr(0, rest.find_first_of(".[")));
    }
    if (prefix.empty())
      siblings = {"farm", "placement", "latency", "mp", "snmp", "servers", "apps", "users"};
    for (const auto& s : siblings)
      known += (known.empty() ? "" : ", ") + s;
    Report(node, "unknown key '" + key + "'" + (prefix.empty() ? "" : " in '" + prefix + "'") +
                     "; expected one of: " + known);
  }

  std::string name_;
  std::filesystem::path base_;
};

}  // namespace

Result<LoadResult> ParseFarmYaml(std::string_view text, const std::string& name,
                                 const std::filesystem::path& base,
                                 std::vector<Problem>* problems) {
  Loader loader(name, base);
  try {
    loader.Top(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own message already says line and column (1-based).
    loader.problems.push_back(
        {name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
         e.msg});
  }
  if (loader.problems.empty()) {
    for (const auto& p : CheckConsistency(loader.result.records)) {
      auto where = loader.result.where.find(p.where);
      loader.problems.push_back(
          {where == loader.result.where.end() ? name : where->second, p.where + ": " + p.message});
    }
  }
  if (!loader.problems.empty()) {
    if (problems) *problems = loader.problems;
    return ProblemsError(loader.problems);
  }
  return std::move(loader.result);
}

Result<LoadResult> LoadFarmFile(const std::filesystem::path& file, std::vector<Problem>* problems) {
  std::ifstream in(file);
  if (!in) {
    std::vector<Problem> p{{file.string(), "cannot read the farm file"}};
    if (problems) *problems = p;
    return ProblemsError(p);
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto base = std::filesystem::absolute(file).parent_path();
  return ParseFarmYaml(text.str(), file.string(), base, problems);
}

}  // namespace dabs::config
