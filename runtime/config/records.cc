#include <charconv>
#include <cmath>
#include <sstream>

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

#include <dabs/config/errc.h>
#include <dabs/config/records.h>
#include <dabs/mp/endpoint.h>
#include <dabs/mp/errc.h>

namespace dabs::config {

namespace {

Error Bad(std::string expected) {
  return Error{make_error_code(DaemonErrc::kInvalidConfig), std::move(expected)};
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Result<std::string> NormaliseList(const KeySpec& spec, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return Bad("expected a list");
  for (const auto& item : j) {
    if (!item.is_string()) return Bad("expected a list of strings");
    if (item.get_ref<const std::string&>().find('\0') != std::string::npos) {
      return Bad("expected list items without a NUL byte");
    }
    if (spec.type == KeyType::kNameList && !IsName(item.get<std::string>())) {
      return Bad("expected names ([A-Za-z0-9._-]+), got '" + item.get<std::string>() + "'");
    }
  }
  return j.dump();
}

}  // namespace

bool IsUtf8(std::string_view text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

namespace {

// kUint and kDouble: a number within the key's range, in its one text form.
Result<std::string> NormaliseNumber(const KeySpec& spec, std::string_view text) {
  if (spec.type == KeyType::kUint) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
      return Bad("expected a whole number, got '" + std::string(text) + "'");
    }
    if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max) {
      return Bad("expected " + Number(spec.min) + " to " + Number(spec.max) + ", got " +
                 std::to_string(v));
    }
    return std::to_string(v);
  }
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) {
    return Bad("expected a number, got '" + std::string(text) + "'");
  }
  if (v < spec.min || v > spec.max) {
    return Bad("expected " + Number(spec.min) + " to " + Number(spec.max) + ", got " + Number(v));
  }
  // A subnormal (below 2.2e-308, e.g. 1e-310) reads as 0: std::stod, which the typed view
  // and the export read values with, refuses it as out of range.
  if (std::fpclassify(v) == FP_SUBNORMAL) v = 0;
  return Number(v);
}

}  // namespace

Result<std::string> Normalise(const KeySpec& spec, std::string_view text) {
  // A NUL (a YAML "\0", or CONFIG_SYNC's raw bytes) would make the C APIs a value reaches
  // (exec, inet_pton, open) see less of it than was checked here, and it is the separator
  // RecordsDigest puts between records.
  if (text.find('\0') != std::string_view::npos) {
    return Bad("expected a value without a NUL byte");
  }
  if (!IsUtf8(text)) return Bad("expected UTF-8 text");
  switch (spec.type) {
    case KeyType::kString:
      if (text.size() > 4096) return Bad("expected at most 4096 characters");
      return std::string(text);
    case KeyType::kName:
      if (!IsName(text))
        return Bad("expected a name of 1-64 characters [A-Za-z0-9._-], got '" + std::string(text) +
                   "'");
      return std::string(text);
    case KeyType::kUint:
    case KeyType::kDouble:
      return NormaliseNumber(spec, text);
    case KeyType::kEndpoint:
    case KeyType::kGroup: {
      auto e = mp::Endpoint::Parse(text);
      if (!e || !e->is_udp()) return Bad("expected ADDRESS:PORT, got '" + std::string(text) + "'");
      if (spec.type == KeyType::kGroup && (!e->IsMulticast() || e->is_v6())) {
        return Bad("expected an IPv4 multicast group ADDRESS:PORT (224.0.0.0/4), got '" +
                   std::string(text) + "'");
      }
      return e->ToString();
    }
    case KeyType::kAddress: {
      const std::string s(text);
      unsigned char buf[16];
      if (inet_pton(AF_INET, s.c_str(), buf) != 1 && inet_pton(AF_INET6, s.c_str(), buf) != 1) {
        return Bad("expected an IP address, got '" + s + "'");
      }
      return s;
    }
    case KeyType::kEnum:
      for (auto c : spec.choices) {
        if (c == text) return std::string(text);
      }
      {
        std::string choices;
        for (auto c : spec.choices)
          choices += (choices.empty() ? "" : " | ") + std::string(c);
        return Bad("expected one of " + choices + ", got '" + std::string(text) + "'");
      }
    case KeyType::kPath:
      if (text.empty()) return Bad("expected a file path");
      return std::string(text);
    case KeyType::kStringList:
    case KeyType::kNameList:
      return NormaliseList(spec, text);
  }
  return Bad("unknown key type");
}

std::optional<std::string> Records::Effective(std::string_view path) const {
  if (auto it = values.find(std::string(path)); it != values.end()) return it->second;
  const KeySpec* spec = FindKey(path);
  if (spec && spec->fallback) return std::string(*spec->fallback);
  return std::nullopt;
}

std::vector<std::string> Records::Items(std::string_view list) const {
  std::vector<std::string> out;
  const std::string prefix = std::string(list) + "[";
  for (auto it = values.lower_bound(prefix); it != values.end() && it->first.starts_with(prefix);
       ++it) {
    const auto close = it->first.find(']', prefix.size());
    std::string name = it->first.substr(prefix.size(), close - prefix.size());
    if (out.empty() || out.back() != name) out.push_back(name);
  }
  return out;
}

Error ProblemsError(const std::vector<Problem>& problems) {
  std::string detail = problems.empty() ? "invalid configuration" : problems.front().ToString();
  if (problems.size() > 1) detail += " (and " + std::to_string(problems.size() - 1) + " more)";
  return Error{make_error_code(DaemonErrc::kInvalidConfig), detail};
}

}  // namespace dabs::config
