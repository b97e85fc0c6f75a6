#include "dabs/emu/run_report.h"

#include "dabs/emu/charts.h"
#include "dabs/emu/timeline_csv.h"

namespace dabs::emu {

std::error_code WriteRunReport(const std::filesystem::path& dir, const RecorderSnapshot& snapshot,
                               const Timeline& timeline, const RunInfo& info,
                               std::filesystem::path* failed_file) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::path file = dir;
  if (!ec) ec = WriteReportJson(file = dir / kReportJsonFile, snapshot, info);
  if (!ec) ec = WriteTimelineCsv(file = dir / kTimelineCsvFile, timeline);
  if (!ec) ec = WriteSessionsByServerSvg(file = dir / kSessionsChartFile, timeline);
  if (!ec) ec = WriteLatencyCdfSvg(file = dir / kLatencyChartFile, snapshot.latency);
  if (ec && failed_file != nullptr) *failed_file = file;
  return ec;
}

}  // namespace dabs::emu
