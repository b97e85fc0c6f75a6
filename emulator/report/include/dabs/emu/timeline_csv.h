#pragma once
// DIR/timeline.csv: one row per closed second, with a header row. Columns, in this order:
//   t_s, sessions_open_total, sessions_open_<server>... (servers in natural order: s2
//   before s10), requests_ok, requests_failed, p99_ms_<channel>... (docsis, oob, modem,
//   then the rest in natural order).
// A p99 cell is empty when that channel had no request that second. Names with a comma,
// quote or line break are quoted as RFC 4180 says.

#include <filesystem>
#include <string>
#include <system_error>

#include <dabs/emu/recorder.h>

namespace dabs::emu {

// The CSV text. Pure function.
std::string RenderTimelineCsv(const Timeline& timeline);

// Writes RenderTimelineCsv() to `file` atomically.
[[nodiscard]] std::error_code WriteTimelineCsv(const std::filesystem::path& file,
                                               const Timeline& timeline);

}  // namespace dabs::emu
