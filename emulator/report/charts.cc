#include "dabs/emu/charts.h"

#include <algorithm>

#include <fmt/format.h>

#include "atomic_file.h"
#include "name_order.h"
#include "svg_chart.h"

namespace dabs::emu {
namespace {

using internal::ChartSeries;

struct TimeUnit {
  double seconds;
  const char* name;
};

// Seconds for short runs, minutes up to three hours, hours beyond.
TimeUnit UnitFor(double span_s) {
  if (span_s <= 1200) return {1, "s"};
  if (span_s <= 3 * 3600) return {60, "min"};
  return {3600, "h"};
}

int64_t OpenAt(const TimelineRow& row, std::size_t server) {
  return server < row.sessions_open.size() ? row.sessions_open[server] : 0;
}

// Every row when they fit; otherwise, per stretch of rows, its smallest and largest
// value in the order they happened.
std::vector<std::pair<double, double>> ServerPoints(const Timeline& timeline, std::size_t server,
                                                    double unit_s) {
  const std::vector<TimelineRow>& rows = timeline.rows;
  const std::size_t stretch =
      (rows.size() + kMaxPointsPerSeries / 2 - 1) / (kMaxPointsPerSeries / 2);
  std::vector<std::pair<double, double>> points;
  for (std::size_t begin = 0; begin < rows.size(); begin += std::max<std::size_t>(stretch, 1)) {
    const std::size_t end = std::min(rows.size(), begin + std::max<std::size_t>(stretch, 1));
    std::size_t lo = begin, hi = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (OpenAt(rows[i], server) < OpenAt(rows[lo], server)) lo = i;
      if (OpenAt(rows[i], server) > OpenAt(rows[hi], server)) hi = i;
    }
    for (std::size_t i : {std::min(lo, hi), std::max(lo, hi)}) {
      const std::pair<double, double> p{static_cast<double>(rows[i].t_s) / unit_s,
                                        static_cast<double>(OpenAt(rows[i], server))};
      if (points.empty() || points.back() != p) points.push_back(p);
    }
  }
  return points;
}

}  // namespace

std::string RenderSessionsByServerSvg(const Timeline& timeline) {
  const double span = timeline.rows.empty() ? 0 : static_cast<double>(timeline.rows.back().t_s);
  const TimeUnit unit = UnitFor(span);
  internal::LineChart chart;
  chart.title = "Sessions open per server";
  chart.x = {fmt::format("time since start ({})", unit.name), false, std::nullopt, std::nullopt,
             false};
  if (timeline.rows.empty() || timeline.rows.front().t_s == 0) chart.x.min = 0;
  chart.y = {"sessions open", false, 0.0, std::nullopt, false};
  for (std::size_t server : internal::ServerOrder(timeline.servers)) {
    chart.series.push_back(
        {timeline.servers[server], ServerPoints(timeline, server, unit.seconds)});
  }
  return internal::RenderSvg(chart);
}

std::string RenderLatencyCdfSvg(const std::map<std::string, LatencyHistogram>& latency) {
  internal::LineChart chart;
  chart.title = "Request latency per channel (CDF)";
  chart.x = {"latency (ms, log scale)", true, std::nullopt, std::nullopt, false};
  chart.y = {"requests at or below", false, 0.0, 1.0, true};
  std::vector<std::string> names;
  for (const auto& entry : latency)
    names.push_back(entry.first);
  for (std::size_t i : internal::ChannelOrder(names)) {
    const LatencyHistogram& h = latency.at(names[i]);
    ChartSeries series{fmt::format("{} (p50 {:.3g}, p99 {:.3g} ms)", names[i], h.QuantileMs(0.5),
                                   h.QuantileMs(0.99)),
                       {}};
    for (const CdfPoint& p : h.Cdf()) {
      // Sub-microsecond latencies sit at the 1 us edge of the log axis.
      series.points.emplace_back(std::max(p.ms, 0.001), p.fraction);
    }
    chart.series.push_back(std::move(series));
  }
  return internal::RenderSvg(chart);
}

std::error_code WriteSessionsByServerSvg(const std::filesystem::path& file,
                                         const Timeline& timeline) {
  return internal::WriteFileAtomically(file, RenderSessionsByServerSvg(timeline));
}

std::error_code WriteLatencyCdfSvg(const std::filesystem::path& file,
                                   const std::map<std::string, LatencyHistogram>& latency) {
  return internal::WriteFileAtomically(file, RenderLatencyCdfSvg(latency));
}

}  // namespace dabs::emu
