// Checked reading of YAML maps for the scenario loader: each key is asked for by name, with
// its type and bounds; a problem is "FILE:LINE:COLUMN: path.key: message". Keys never asked
// for are reported as unknown, with the nearest known key as a suggestion. yaml-cpp's own
// marks are 0-based; messages show them 1-based. Not thread-safe; one per load.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace dabs::emu {

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void Add(const YAML::Mark& mark, const std::string& message);
  void Add(const YAML::Node& node, const std::string& message) { Add(node.Mark(), message); }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<std::string>& list() const { return list_; }

 private:
  std::string file_;
  std::vector<std::string> list_;
};

// The closest of `known` to `key` by edit distance, when close enough to be a likely typo.
std::string DidYouMean(std::string_view key, const std::set<std::string>& known);

// One map of the file. A missing or null node reads as an empty map (every key defaulted).
// REQUIRES: `node` and `problems` outlive the reader.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Problems& problems);
  ~MapReader() { Finish(); }
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // The node under `key` (undefined when absent); marks the key known.
  YAML::Node Take(const std::string& key);
  // Each getter leaves *out unchanged when the key is absent or its value is wrong.
  void Double(const std::string& key, double* out, double min, double max);
  void Uint(const std::string& key, uint64_t* out, uint64_t min, uint64_t max);
  void Uint32(const std::string& key, uint32_t* out, uint32_t min, uint32_t max);
  void Bool(const std::string& key, bool* out);
  void String(const std::string& key, std::string* out);
  // One of `choices`; returns its index in *out.
  void Choice(const std::string& key, const std::vector<std::string>& choices, int* out);
  // A list of distinct names; with `allowed` non-empty, each must be one of them.
  void Names(const std::string& key, std::vector<std::string>* out,
             const std::vector<std::string>& allowed = {});

  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node& node() const { return node_; }
  Problems& problems() { return problems_; }
  bool is_map() const { return is_map_; }

  // Reports unknown keys (once). Called by the destructor.
  void Finish();

 private:
  YAML::Node node_;
  std::string path_;
  Problems& problems_;
  bool is_map_ = false;
  bool finished_ = false;
  std::set<std::string> known_;
};

// Reads a scalar as a number: the whole text must be one ("1e6", "2048000", "0.25").
bool ParseDouble(const std::string& text, double* out);
bool ParseUint(const std::string& text, uint64_t* out);

}  // namespace dabs::emu
