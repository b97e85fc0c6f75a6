#pragma once
// The run's charts, as self-contained SVG documents (no script, no external fonts):
//   sessions_by_server.svg: sessions open on each server over time, a line per server;
//   latency_cdf.svg: the latency CDF of each channel, x in ms on a log scale.
// Each series is one <path class="series">; a chart has no other <path>.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include <dabs/emu/latency_histogram.h>
#include <dabs/emu/recorder.h>

namespace dabs::emu {

// Longer timelines are drawn from the smallest and largest value of each stretch of
// rows, so a dip or a spike of one second still shows.
inline constexpr std::size_t kMaxPointsPerSeries = 1000;

// Pure functions.
std::string RenderSessionsByServerSvg(const Timeline& timeline);
std::string RenderLatencyCdfSvg(const std::map<std::string, LatencyHistogram>& latency);

// Write the charts above to `file` atomically.
[[nodiscard]] std::error_code WriteSessionsByServerSvg(const std::filesystem::path& file,
                                                       const Timeline& timeline);
[[nodiscard]] std::error_code WriteLatencyCdfSvg(
    const std::filesystem::path& file, const std::map<std::string, LatencyHistogram>& latency);

}  // namespace dabs::emu
