#include "dabs/emu/timeline_csv.h"

#include <cmath>

#include <fmt/format.h>

#include "atomic_file.h"
#include "name_order.h"

namespace dabs::emu {
namespace {

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

template <typename T>
T At(const std::vector<T>& v, std::size_t i, T missing) {
  return i < v.size() ? v[i] : missing;
}

}  // namespace

std::string RenderTimelineCsv(const Timeline& timeline) {
  const std::vector<std::size_t> servers = internal::ServerOrder(timeline.servers);
  const std::vector<std::size_t> channels = internal::ChannelOrder(timeline.channels);
  std::string out = "t_s,sessions_open_total";
  for (std::size_t i : servers)
    out += "," + CsvField("sessions_open_" + timeline.servers[i]);
  out += ",requests_ok,requests_failed";
  for (std::size_t i : channels)
    out += "," + CsvField("p99_ms_" + timeline.channels[i]);
  out += '\n';
  auto inserter = std::back_inserter(out);
  for (const TimelineRow& row : timeline.rows) {
    fmt::format_to(inserter, "{},{}", row.t_s, row.sessions_open_total);
    for (std::size_t i : servers) {
      fmt::format_to(inserter, ",{}", At<int64_t>(row.sessions_open, i, 0));
    }
    fmt::format_to(inserter, ",{},{}", row.requests_ok, row.requests_failed);
    for (std::size_t i : channels) {
      const float p99 = At<float>(row.p99_ms, i, NAN);
      if (std::isnan(p99)) {
        out += ',';
      } else {
        fmt::format_to(inserter, ",{:.3f}", p99);
      }
    }
    out += '\n';
  }
  return out;
}

std::error_code WriteTimelineCsv(const std::filesystem::path& file, const Timeline& timeline) {
  return internal::WriteFileAtomically(file, RenderTimelineCsv(timeline));
}

}  // namespace dabs::emu
