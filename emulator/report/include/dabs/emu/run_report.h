#pragma once
// Everything `dabs-emu run ... --report DIR` leaves in DIR, written in one call at the
// end of a run:
//
//   RecorderSnapshot end = recorder.Finish();
//   std::filesystem::path failed;
//   if (auto ec = WriteRunReport(dir, end, recorder.GetTimeline(), info, &failed)) ...

#include <filesystem>
#include <string_view>
#include <system_error>

#include <dabs/emu/recorder.h>
#include <dabs/emu/report_json.h>

namespace dabs::emu {

inline constexpr std::string_view kReportJsonFile = "report.json";
inline constexpr std::string_view kTimelineCsvFile = "timeline.csv";
inline constexpr std::string_view kSessionsChartFile = "sessions_by_server.svg";
inline constexpr std::string_view kLatencyChartFile = "latency_cdf.svg";

// Creates `dir` if needed and writes the four files above, each atomically. Stops at
// the first failure and, if `failed_file` is not null, stores the file it was writing.
[[nodiscard]] std::error_code WriteRunReport(const std::filesystem::path& dir,
                                             const RecorderSnapshot& snapshot,
                                             const Timeline& timeline, const RunInfo& info,
                                             std::filesystem::path* failed_file = nullptr);

}  // namespace dabs::emu
