// The catalogue file: YAML to a checked Catalogue. Each map's keys are declared once in a
// table (type, bounds, required) that the reader checks every entry against. yaml-cpp takes
// a key given twice and keeps both, and reads a quoted "5" like a plain 5: both are caught
// here. yaml-cpp's marks are 0-based; messages show them 1-based.
#include "catalogue.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>

#include <yaml-cpp/yaml.h>

#include "ppv_errc.h"
#include "utc_time.h"

namespace dabs::ppv {

namespace {

enum class Kind { kUint, kText, kTime, kPinHash, kSubscriberId };

struct FieldSpec {
  std::string_view key;
  Kind kind;
  bool required;
  uint64_t min = 0, max = 0;  // kUint: the value; kText, kSubscriberId: the length in bytes
};

constexpr FieldSpec kEventFields[] = {
    {"id", Kind::kUint, true, 1, UINT32_MAX},
    {"title", Kind::kText, true, 1, kMaxTitleBytes},
    {"channel", Kind::kUint, true, 1, UINT16_MAX},
    {"start", Kind::kTime, true},
    {"end", Kind::kTime, true},
    {"sale_closes", Kind::kTime, false},
    {"price_cents", Kind::kUint, true, 0, kMaxPriceCents},
};
constexpr FieldSpec kSubscriberFields[] = {
    {"id", Kind::kSubscriberId, true, 1, kMaxSubscriberIdBytes},
    {"pin_hash", Kind::kPinHash, true},
};
constexpr FieldSpec kPolicyFields[] = {
    {"max_failures", Kind::kUint, false, 1, 100},
    {"lockout_s", Kind::kUint, false, 1, 30 * 86'400},
};

using Value = std::variant<uint64_t, int64_t, std::string, PinHash>;
struct Field {
  Value value;
  YAML::Mark mark;
};
using Fields = std::map<std::string, Field, std::less<>>;

template <typename T>
const T& Get(const Fields& f, std::string_view key) {
  return std::get<T>(f.find(key)->second.value);
}

std::string Expected(const FieldSpec& s) {
  switch (s.kind) {
    case Kind::kUint:
      return "a whole number from " + std::to_string(s.min) + " to " + std::to_string(s.max);
    case Kind::kText:
      return "text of " + std::to_string(s.min) + "-" + std::to_string(s.max) +
             " bytes without control characters";
    case Kind::kTime:
      return "a UTC time such as 2030-06-01T20:00:00Z";
    case Kind::kPinHash:
      return "a PIN hash from ppv-dasp --hash-pin";
    case Kind::kSubscriberId:
      return "a CLIENT_ID of 1-64 bytes, or a prefix ending in '*'";
  }
  return "?";
}

std::optional<uint64_t> ParseUint(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool PlainText(const std::string& s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  void Top(const YAML::Node& root);

  std::vector<std::string> problems;
  std::vector<Listing> events;
  std::vector<Subscriber> subscribers;
  PinPolicy policy;

 private:
  void Report(const YAML::Mark& m, const std::string& message) {
    problems.push_back(m.line < 0 ? name_ + ": " + message
                                  : name_ + ":" + std::to_string(m.line + 1) + ":" +
                                        std::to_string(m.column + 1) + ": " + message);
  }
  std::optional<Fields> Read(const YAML::Node& map, std::span<const FieldSpec> specs,
                             const std::string& path);
  std::optional<Value> Convert(const FieldSpec& spec, const YAML::Node& node,
                               const std::string& path);
  void Events(const YAML::Node& list);
  void ReadEvent(const YAML::Node& item, const std::string& path, std::set<uint32_t>& ids);
  void Subscribers(const YAML::Node& list);
  void Policy(const YAML::Node& map);

  std::string name_;
};

void Loader::Top(const YAML::Node& root) {
  if (!root.IsMap()) return Report(root.Mark(), "expected a map with events: and subscribers:");
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      Report(it->first.Mark(), "'" + key + "' is given twice");
    } else if (key == "events") {
      Events(it->second);
    } else if (key == "subscribers") {
      Subscribers(it->second);
    } else if (key == "pin_policy") {
      Policy(it->second);
    } else {
      Report(it->first.Mark(),
             "unknown key '" + key + "'; expected one of: events, subscribers, pin_policy");
    }
  }
  for (const char* key : {"events", "subscribers"}) {
    if (!seen.count(key)) Report(root.Mark(), std::string("missing '") + key + "'");
  }
}

// The map's fields, each converted by its spec. Unknown, repeated and missing keys are
// reported; nullopt when anything was wrong.
std::optional<Fields> Loader::Read(const YAML::Node& map, std::span<const FieldSpec> specs,
                                   const std::string& path) {
  if (!map.IsMap()) {
    Report(map.Mark(), path + ": expected a map");
    return std::nullopt;
  }
  const size_t before = problems.size();
  Fields out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      Report(it->first.Mark(), path + ": '" + key + "' is given twice");
      continue;
    }
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const FieldSpec& s) { return s.key == key; });
    if (spec == specs.end()) {
      std::string known;
      for (const auto& s : specs)
        known += (known.empty() ? "" : ", ") + std::string(s.key);
      Report(it->first.Mark(), path + ": unknown key '" + key + "'; expected one of: " + known);
      continue;
    }
    if (auto v = Convert(*spec, it->second, path + "." + key))
      out.emplace(key, Field{std::move(*v), it->second.Mark()});
  }
  for (const auto& s : specs) {
    if (s.required && !seen.count(std::string(s.key)))
      Report(map.Mark(), path + ": missing '" + std::string(s.key) + "'");
  }
  if (problems.size() != before) return std::nullopt;
  return out;
}

std::optional<Value> Loader::Convert(const FieldSpec& spec, const YAML::Node& node,
                                     const std::string& path) {
  auto bad = [&](const std::string& got) -> std::optional<Value> {
    Report(node.Mark(), path + ": expected " + Expected(spec) + got);
    return std::nullopt;
  };
  if (!node.IsScalar()) return bad("");
  const std::string& text = node.Scalar();
  const bool quoted = node.Tag() == "!";
  switch (spec.kind) {
    case Kind::kUint: {
      auto v = quoted ? std::nullopt : ParseUint(text);
      if (!v || *v < spec.min || *v > spec.max) return bad(", got '" + text + "'");
      return Value{*v};
    }
    case Kind::kTime: {
      auto v = ParseUtc(text);
      if (!v) return bad(", got '" + text + "'");
      return Value{*v};
    }
    case Kind::kPinHash: {
      auto h = ParsePinHash(text);
      if (!h) {
        Report(node.Mark(), path + ": " + h.error().detail);
        return std::nullopt;
      }
      return Value{std::move(*h)};
    }
    case Kind::kText:
    case Kind::kSubscriberId: {
      const bool star_inside = spec.kind == Kind::kSubscriberId &&
                               text.find('*') != std::string::npos &&
                               text.find('*') + 1 != text.size();
      if (text.size() < spec.min || text.size() > spec.max || !PlainText(text) || star_inside)
        return bad(", got '" + text + "'");
      return Value{text};
    }
  }
  return std::nullopt;
}

void Loader::Events(const YAML::Node& list) {
  if (!list.IsSequence() || list.size() == 0)
    return Report(list.Mark(), "events: expected a list of at least one event");
  if (list.size() > kMaxEvents)
    return Report(list.Mark(), "events: at most " + std::to_string(kMaxEvents) + " events");
  std::set<uint32_t> ids;
  size_t i = 0;
  for (const auto& item : list)
    ReadEvent(item, "events[" + std::to_string(i++) + "]", ids);
}

void Loader::ReadEvent(const YAML::Node& item, const std::string& path, std::set<uint32_t>& ids) {
  auto f = Read(item, kEventFields, path);
  if (!f) return;
  Listing e;
  e.id = static_cast<uint32_t>(Get<uint64_t>(*f, "id"));
  e.title = Get<std::string>(*f, "title");
  e.channel = static_cast<uint16_t>(Get<uint64_t>(*f, "channel"));
  e.start_s = Get<int64_t>(*f, "start");
  e.end_s = Get<int64_t>(*f, "end");
  e.sale_closes_s = f->count("sale_closes") ? Get<int64_t>(*f, "sale_closes") : e.end_s;
  e.price_cents = static_cast<uint32_t>(Get<uint64_t>(*f, "price_cents"));
  if (!ids.insert(e.id).second)
    return Report(f->find("id")->second.mark,
                  path + ".id: event " + std::to_string(e.id) + " is given twice");
  if (e.end_s <= e.start_s)
    return Report(f->find("end")->second.mark,
                  path + ".end: must be after start (" + FormatUtc(e.start_s) + ")");
  if (e.sale_closes_s > e.end_s)
    return Report(f->find("sale_closes")->second.mark,
                  path + ".sale_closes: must not be after end (" + FormatUtc(e.end_s) + ")");
  events.push_back(std::move(e));
}

void Loader::Subscribers(const YAML::Node& list) {
  if (!list.IsSequence()) return Report(list.Mark(), "subscribers: expected a list");
  if (list.size() > kMaxSubscriberEntries)
    return Report(list.Mark(),
                  "subscribers: at most " + std::to_string(kMaxSubscriberEntries) + " entries");
  std::set<std::string> ids;
  size_t i = 0;
  for (const auto& item : list) {
    const std::string path = "subscribers[" + std::to_string(i++) + "]";
    auto f = Read(item, kSubscriberFields, path);
    if (!f) continue;
    Subscriber s{Get<std::string>(*f, "id"), Get<PinHash>(*f, "pin_hash")};
    if (!ids.insert(s.id).second) {
      Report(f->find("id")->second.mark, path + ".id: '" + s.id + "' is given twice");
      continue;
    }
    subscribers.push_back(std::move(s));
  }
}

void Loader::Policy(const YAML::Node& map) {
  auto f = Read(map, kPolicyFields, "pin_policy");
  if (!f) return;
  if (f->count("max_failures"))
    policy.max_failures = static_cast<uint32_t>(Get<uint64_t>(*f, "max_failures"));
  if (f->count("lockout_s"))
    policy.lockout_s = static_cast<uint32_t>(Get<uint64_t>(*f, "lockout_s"));
}

Error Problems(const std::vector<std::string>& list) {
  std::string detail;
  for (const auto& p : list)
    detail += (detail.empty() ? "" : "\n") + p;
  return PpvError(PpvErrc::kBadCatalogue, detail);
}

}  // namespace

Event Listing::ToWire(int64_t now_s) const {
  return Event{id, channel, start_s, end_s, sale_closes_s, price_cents, OnSale(now_s), title};
}

Catalogue::Catalogue(std::vector<Listing> events, std::vector<Subscriber> subscribers,
                     PinPolicy policy)
    : events_(std::move(events)), subscribers_(std::move(subscribers)), policy_(policy) {
  std::sort(events_.begin(), events_.end(), [](const Listing& a, const Listing& b) {
    return a.start_s != b.start_s ? a.start_s < b.start_s : a.id < b.id;
  });
  for (size_t i = 0; i < events_.size(); ++i)
    by_id_.emplace(events_[i].id, i);
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    if (subscribers_[i].id.ends_with('*')) {
      patterns_.push_back(i);
    } else {
      exact_.emplace(subscribers_[i].id, i);
    }
  }
  std::stable_sort(patterns_.begin(), patterns_.end(), [&](size_t a, size_t b) {
    return subscribers_[a].id.size() > subscribers_[b].id.size();
  });
}

const Listing* Catalogue::FindEvent(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &events_[it->second];
}

const Subscriber* Catalogue::FindSubscriber(std::string_view client_id) const {
  if (client_id.empty() || client_id.size() > kMaxSubscriberIdBytes) return nullptr;
  if (auto it = exact_.find(std::string(client_id)); it != exact_.end())
    return &subscribers_[it->second];
  for (size_t i : patterns_) {
    const std::string& id = subscribers_[i].id;
    if (client_id.starts_with(std::string_view(id).substr(0, id.size() - 1)))
      return &subscribers_[i];
  }
  return nullptr;
}

Result<Catalogue> ParseCatalogue(std::string_view yaml, const std::string& name,
                                 std::vector<std::string>* problems) {
  Loader loader(name);
  try {
    loader.Top(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    loader.problems.push_back(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!loader.problems.empty()) {
    if (problems) *problems = loader.problems;
    return Problems(loader.problems);
  }
  return Catalogue(std::move(loader.events), std::move(loader.subscribers), loader.policy);
}

Result<Catalogue> LoadCatalogue(const std::filesystem::path& file,
                                std::vector<std::string>* problems) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> p;
  if (ec || !in) {
    p.push_back(file.string() + ": cannot read the catalogue" +
                (ec ? " (" + ec.message() + ")" : ""));
  } else if (size > kMaxCatalogueFileBytes) {
    p.push_back(file.string() + ": larger than " + std::to_string(kMaxCatalogueFileBytes >> 20) +
                " MiB");
  }
  if (!p.empty()) {
    if (problems) *problems = p;
    return Problems(p);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseCatalogue(text.str(), file.string(), problems);
}

}  // namespace dabs::ppv
