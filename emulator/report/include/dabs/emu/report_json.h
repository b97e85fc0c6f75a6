#pragma once
// DIR/report.json: the run's totals for scripts. The keys of shared/spec/config.md are a
// contract: "stbs", "duration_s", "sessions_opened", "sessions_failed", "requests_ok",
// "requests_failed", "failures_by_cause", "latency_ms" ({"<channel>": {"p50", "p99"}}),
// "sessions_by_server". Extra keys are additive (docs/emulator-report.md lists them).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <dabs/emu/recorder.h>

namespace dabs::emu {

// What the run was, beyond what the Recorder measured.
struct RunInfo {
  uint64_t stbs_planned = 0;     // set-tops the scenario asked for; 0: not written
  std::optional<uint64_t> seed;  // the scenario's random seed, if any
  std::string scenario;          // scenario name or file; empty: not written
};

// The report as a JSON document (2-space indent, contract keys first). Pure function.
std::string RenderReportJson(const RecorderSnapshot& snapshot, const RunInfo& info);

// Writes RenderReportJson() to `file` atomically (temporary file, then rename).
[[nodiscard]] std::error_code WriteReportJson(const std::filesystem::path& file,
                                              const RecorderSnapshot& snapshot,
                                              const RunInfo& info);

}  // namespace dabs::emu
