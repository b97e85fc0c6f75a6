// The JSON objects dabsctl prints for each record (views.h).
#include "views.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include <dabs/mp/va.h>

namespace dabs::ctl {

namespace {

int StateRank(std::string_view state) {
  if (state == "gone") return 2;
  if (state == "suspect") return 1;
  return 0;
}

json Optional(const std::optional<uint64_t>& v) {
  return v ? json(*v) : json(nullptr);
}

// A time as IsoTime text, or null when never set (0).
json TimeOrNull(int64_t unix_ms) {
  return unix_ms == 0 ? json(nullptr) : json(IsoTime(unix_ms));
}

json Figure(const store::StatsRecord& r, const char* name) {
  auto it = r.figures.find(name);
  return it == r.figures.end() ? json(nullptr) : json(it->second);
}

}  // namespace

std::string ServerState(const store::ServerRecord& r, int64_t now_ms, int64_t heartbeat_ms) {
  const int64_t silent_ms = now_ms - r.last_heard_ms;
  std::string derived = "alive";
  if (r.lease_ms > 0 && silent_ms > static_cast<int64_t>(r.lease_ms)) {
    derived = "gone";
  } else if (heartbeat_ms > 0 && silent_ms > 2 * heartbeat_ms) {
    derived = "suspect";
  }
  const bool known = r.state == "alive" || r.state == "suspect" || r.state == "gone";
  return known && StateRank(r.state) > StateRank(derived) ? r.state : derived;
}

int64_t LeaseMsLeft(const store::ServerRecord& r, int64_t now_ms) {
  const int64_t left = static_cast<int64_t>(r.lease_ms) - (now_ms - r.last_heard_ms);
  return left > 0 ? left : 0;
}

std::string HostOf(std::string_view endpoint) {
  if (endpoint.starts_with('[')) {
    const auto close = endpoint.find(']');
    if (close != std::string_view::npos) return std::string(endpoint.substr(1, close - 1));
  }
  const auto colon = endpoint.find(':');
  if (colon != std::string_view::npos && endpoint.find(':', colon + 1) == std::string_view::npos &&
      !endpoint.starts_with("unix:") && !endpoint.starts_with("inproc:")) {
    return std::string(endpoint.substr(0, colon));
  }
  return std::string(endpoint);
}

std::string IsoTime(int64_t unix_ms) {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {  // before 1970: floor, so the milliseconds stay 0..999
    millis += 1000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return "";
  char text[96];  // room for any int fields, which the warning counts on
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::optional<uint32_t> ParseVaText(std::string_view text) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  uint32_t va = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), va, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return va;
}

json ServerJson(const store::ServerRecord& r, int64_t now_ms, int64_t heartbeat_ms) {
  return {{"id", r.id},
          {"index", r.index},
          {"address", HostOf(r.lbd)},
          {"state", ServerState(r, now_ms, heartbeat_ms)},
          {"load", r.load_x100 / 100.0},
          {"instances", r.instances},
          {"sessions", r.sessions},
          {"balance", r.balance},
          {"lease_ms_left", LeaseMsLeft(r, now_ms)},
          // Extras.
          {"recorded_state", r.state},
          {"lbd", r.lbd},
          {"stats", r.stats},
          {"config", r.config},
          {"self", r.self},
          {"eligible", r.eligible},
          {"incarnation", r.incarnation},
          {"config_version", r.config_version},
          {"last_heard_at", TimeOrNull(r.last_heard_ms)},
          {"joined_at", TimeOrNull(r.joined_ms)}};
}

json DaspJson(const store::DirectoryRecord& r, const std::optional<store::DaspRecord>& local) {
  json j = {{"va", mp::FormatVa(r.va)},
            {"uri", r.uri},
            {"app", r.app},
            {"server", r.server},
            {"pid", r.pid},
            {"state", r.state},
            {"sessions", r.sessions},
            // Extras.
            {"va_number", r.va},
            {"udp", r.udp},
            {"local", local.has_value()},
            {"restarts", nullptr},
            {"process", nullptr},
            {"started_at", nullptr}};
  if (local) {
    j["restarts"] = local->restarts;
    j["process"] = local->process;
    j["started_at"] = TimeOrNull(local->started_ms);
  }
  return j;
}

json SessionJson(const store::SessionRecord& r) {
  return {{"app", r.app},
          {"server", r.server},
          {"dasp_va", mp::FormatVa(r.dasp_va)},
          {"client_va", mp::FormatVa(r.client_va)},
          {"client_endpoint", r.client_endpoint},
          {"opened_at", IsoTime(r.opened_ms)},
          {"opened_ms", r.opened_ms}};
}

json StatsJson(const store::StatsRecord& r, int64_t now_ms) {
  return {{"id", r.server},
          {"cpu_pct", Figure(r, "cpu_pct")},
          {"memory_pct", Figure(r, "memory_pct")},
          {"net_pct", Figure(r, "net_pct")},
          {"load", Figure(r, "load")},
          {"latency_p99_ms", Figure(r, "latency_p99_ms")},
          // Extras.
          {"index", r.index},
          {"sampled_at", IsoTime(r.sampled_ms)},
          {"age_ms", now_ms - r.sampled_ms},
          {"figures", r.figures}};
}

json AppJson(const config::AppEntry& app, uint64_t instances, uint64_t sessions) {
  const config::Limits& l = app.limits;
  return {{"name", app.name},
          {"dasp", app.dasp},
          {"args", app.args},
          {"start_at_init", app.start_at_init},
          {"servers", app.servers},
          {"encryption", app.encryption},
          {"instances_per_process", app.instances_per_process},
          {"limits",
           {{"farm",
             {{"instances", Optional(l.farm_instances)},
              {"sessions", Optional(l.farm_sessions)},
              {"memory_mb", Optional(l.farm_memory_mb)}}},
            {"instance",
             {{"sessions", l.instance_sessions}, {"memory_mb", Optional(l.instance_memory_mb)}}}}},
          {"instances", instances},
          {"sessions", sessions}};
}

}  // namespace dabs::ctl
