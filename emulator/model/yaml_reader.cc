#include "yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace dabs::emu {

namespace {

std::string Format(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

void Problems::Add(const YAML::Mark& mark, const std::string& message) {
  if (mark.line < 0) {
    list_.push_back(file_ + ": " + message);
    return;
  }
  list_.push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                  std::to_string(mark.column + 1) + ": " + message);
}

std::string DidYouMean(std::string_view key, const std::set<std::string>& known) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& k : known) {
    const size_t d = EditDistance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

bool ParseDouble(const std::string& text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ParseUint(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return false;
  *out = v;
  return true;
}

MapReader::MapReader(const YAML::Node& node, std::string path, Problems& problems)
    : node_(node), path_(std::move(path)), problems_(problems) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) {
    problems_.Add(node_,
                  (path_.empty() ? std::string("the scenario") : path_) + ": expected a map");
    return;
  }
  is_map_ = true;
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) problems_.Add(it->first, Path(key) + ": given twice");
  }
}

YAML::Node MapReader::Take(const std::string& key) {
  known_.insert(key);
  if (!is_map_) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void MapReader::Double(const std::string& key, double* out, double min, double max) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  double v = 0;
  if (!n.IsScalar() || !ParseDouble(n.Scalar(), &v)) {
    return problems_.Add(
        n, Path(key) + ": expected a number, got '" +
               (n.IsScalar() ? n.Scalar() : "a " + std::string(n.IsMap() ? "map" : "list")) + "'");
  }
  if (v < min || v > max) {
    return problems_.Add(n, Path(key) + ": " + n.Scalar() + " is out of range [" + Format(min) +
                                ", " + Format(max) + "]");
  }
  *out = v;
}

void MapReader::Uint(const std::string& key, uint64_t* out, uint64_t min, uint64_t max) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  uint64_t v = 0;
  if (!n.IsScalar() || !ParseUint(n.Scalar(), &v)) {
    return problems_.Add(n, Path(key) + ": expected a whole number, got '" +
                                (n.IsScalar() ? n.Scalar() : std::string("a structure")) + "'");
  }
  if (v < min || v > max) {
    return problems_.Add(n, Path(key) + ": " + n.Scalar() + " is out of range [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  *out = v;
}

void MapReader::Uint32(const std::string& key, uint32_t* out, uint32_t min, uint32_t max) {
  uint64_t v = *out;
  Uint(key, &v, min, max);
  *out = static_cast<uint32_t>(v);
}

void MapReader::Bool(const std::string& key, bool* out) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  // Only true/false: yaml-cpp would also read yes/no/on/off, a known trap (the Norway problem).
  if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
    *out = n.Scalar() == "true";
    return;
  }
  problems_.Add(n, Path(key) + ": expected true or false");
}

void MapReader::String(const std::string& key, std::string* out) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  if (!n.IsScalar() || n.Scalar().empty()) return problems_.Add(n, Path(key) + ": expected text");
  *out = n.Scalar();
}

void MapReader::Choice(const std::string& key, const std::vector<std::string>& choices, int* out) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  std::string all;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (n.IsScalar() && n.Scalar() == choices[i]) {
      *out = static_cast<int>(i);
      return;
    }
    all += (i ? " | " : "") + choices[i];
  }
  problems_.Add(n, Path(key) + ": expected one of " + all +
                       (n.IsScalar() ? ", got '" + n.Scalar() + "'" : ""));
}

void MapReader::Names(const std::string& key, std::vector<std::string>* out,
                      const std::vector<std::string>& allowed) {
  const YAML::Node n = Take(key);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) return problems_.Add(n, Path(key) + ": expected a list of names");
  std::vector<std::string> names;
  for (const auto& item : n) {
    if (!item.IsScalar() || item.Scalar().empty())
      return problems_.Add(item, Path(key) + ": expected a name");
    const std::string& name = item.Scalar();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string all;
      for (const auto& a : allowed)
        all += (all.empty() ? "" : ", ") + a;
      return problems_.Add(item, Path(key) + ": '" + name + "' is not one of " + all);
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return problems_.Add(item, Path(key) + ": '" + name + "' is given twice");
    }
    names.push_back(name);
  }
  *out = std::move(names);
}

void MapReader::Finish() {
  if (finished_ || !is_map_) return;
  finished_ = true;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (known_.count(key)) continue;
    std::string message = "unknown key '" + Path(key) + "'";
    const std::string guess = DidYouMean(key, known_);
    if (!guess.empty()) message += "; did you mean '" + guess + "'?";
    problems_.Add(it->first, message);
  }
}

}  // namespace dabs::emu
