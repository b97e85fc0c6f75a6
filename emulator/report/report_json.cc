#include "dabs/emu/report_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "atomic_file.h"

namespace dabs::emu {
namespace {

using Json = nlohmann::ordered_json;  // keeps the contract keys first, for people reading

// Milliseconds to the microsecond: finer digits are below the histogram's resolution.
double RoundMs(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

Json LatencyJson(const LatencyHistogram& h) {
  return Json{{"p50", RoundMs(h.QuantileMs(0.50))},
              {"p99", RoundMs(h.QuantileMs(0.99))},
              {"count", h.Count()},
              {"p90", RoundMs(h.QuantileMs(0.90))},
              {"p999", RoundMs(h.QuantileMs(0.999))},
              {"max", RoundMs(h.MaxMs())}};
}

template <typename Map>
Json ObjectOf(const Map& map) {
  Json out = Json::object();
  for (const auto& [key, value] : map)
    out[key] = value;
  return out;
}

}  // namespace

std::string RenderReportJson(const RecorderSnapshot& s, const RunInfo& info) {
  Json latency = Json::object();
  for (const auto& [channel, histogram] : s.latency)
    latency[channel] = LatencyJson(histogram);
  Json report = {
      // The contract (shared/spec/config.md).
      {"stbs", s.stbs_started},
      {"duration_s", RoundMs(s.t_s)},
      {"sessions_opened", s.sessions_opened},
      {"sessions_failed", s.sessions_failed},
      {"requests_ok", s.requests_ok},
      {"requests_failed", s.requests_failed},
      {"failures_by_cause", ObjectOf(s.failures_by_cause)},
      {"latency_ms", latency},
      {"sessions_by_server", ObjectOf(s.sessions_by_server)},
      // Extras.
      {"sessions_closed", s.sessions_closed},
      {"sessions_open_at_end", s.sessions_open},
      {"sessions_open_by_server", ObjectOf(s.sessions_open_by_server)},
      {"sessions_by_channel", ObjectOf(s.sessions_by_channel)},
      {"rehomed", s.rehomed},
      {"local_ops", s.local_ops},
      {"requests_per_s",
       s.t_s > 0 ? RoundMs(static_cast<double>(s.requests_ok + s.requests_failed) / s.t_s) : 0.0},
  };
  if (info.stbs_planned != 0) report["stbs_planned"] = info.stbs_planned;
  if (info.seed) report["seed"] = *info.seed;
  if (!info.scenario.empty()) report["scenario"] = info.scenario;
  // Names come from the farm and the scenario: replace bytes that are not UTF-8 rather
  // than throw.
  return report.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::error_code WriteReportJson(const std::filesystem::path& file, const RecorderSnapshot& snapshot,
                                const RunInfo& info) {
  return internal::WriteFileAtomically(file, RenderReportJson(snapshot, info));
}

}  // namespace dabs::emu
