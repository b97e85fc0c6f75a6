#include "dabs/emu/progress.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "name_order.h"

namespace dabs::emu {
namespace {

// Three significant digits: 0.456ms, 1.23ms, 11.2ms, 310ms (whole ms from 100 on).
std::string FormatMs(double ms) {
  if (ms >= 99.95) return fmt::format("{:.0f}ms", ms);
  if (ms >= 9.995) return fmt::format("{:.1f}ms", ms);
  if (ms >= 0.9995) return fmt::format("{:.2f}ms", ms);
  return fmt::format("{:.3f}ms", ms);
}

std::vector<std::string> OrderedChannels(const RecorderSnapshot& s) {
  std::vector<std::string> names;
  for (const auto& entry : s.recent_p99_ms)
    names.push_back(entry.first);
  std::vector<std::string> ordered;
  for (std::size_t i : internal::ChannelOrder(names))
    ordered.push_back(names[i]);
  return ordered;
}

uint64_t Errors(const RecorderSnapshot& s) {
  return s.sessions_failed + s.requests_failed;
}

}  // namespace

std::string RenderProgressLine(const RecorderSnapshot& s, uint64_t stbs_planned) {
  std::string line = fmt::format("t={:.0f}s stbs {}", std::floor(s.t_s), s.stbs_started);
  if (stbs_planned != 0) line += fmt::format("/{}", stbs_planned);
  fmt::format_to(std::back_inserter(line), " sessions {} open req/s {} errors {}", s.sessions_open,
                 s.last_second_requests, Errors(s));
  const std::vector<std::string> channels = OrderedChannels(s);
  if (!channels.empty()) line += " p99";
  for (const std::string& channel : channels) {
    fmt::format_to(std::back_inserter(line), " {} {}", channel,
                   FormatMs(s.recent_p99_ms.at(channel)));
  }
  return line;
}

std::string RenderProgressJson(const RecorderSnapshot& s, uint64_t stbs_planned) {
  nlohmann::ordered_json p99 = nlohmann::ordered_json::object();
  for (const std::string& channel : OrderedChannels(s)) {
    p99[channel] = std::round(s.recent_p99_ms.at(channel) * 1000.0) / 1000.0;
  }
  const nlohmann::ordered_json line = {
      {"t_s", std::round(s.t_s * 1000.0) / 1000.0},
      {"stbs_started", s.stbs_started},
      {"stbs_planned", stbs_planned},
      {"sessions_open", s.sessions_open},
      {"requests_per_s", s.last_second_requests},
      {"errors", Errors(s)},
      {"p99_ms", p99},
  };
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

ProgressPrinter::ProgressPrinter(std::FILE* out, ProgressOptions options)
    : out_(out), options_(options) {
  if (options_.json) options_.tty = false;
}

bool ProgressPrinter::IsTerminal(std::FILE* stream) {
  return ::isatty(::fileno(stream)) == 1;
}

void ProgressPrinter::Update(const RecorderSnapshot& snapshot) {
  if (!options_.tty && printed_ && snapshot.t_s - last_printed_s_ < options_.interval_s) return;
  Print(snapshot);
}

void ProgressPrinter::Finish(const RecorderSnapshot& snapshot) {
  Print(snapshot);
  if (options_.tty) std::fputs("\n", out_);
  std::fflush(out_);
}

void ProgressPrinter::Print(const RecorderSnapshot& snapshot) {
  if (options_.json) {
    std::fputs((RenderProgressJson(snapshot, options_.stbs_planned) + "\n").c_str(), out_);
  } else if (options_.tty) {
    // Carriage return, the line, then clear whatever a longer previous line left.
    std::fputs(("\r" + RenderProgressLine(snapshot, options_.stbs_planned) + "\x1b[K").c_str(),
               out_);
  } else {
    std::fputs((RenderProgressLine(snapshot, options_.stbs_planned) + "\n").c_str(), out_);
  }
  std::fflush(out_);
  printed_ = true;
  last_printed_s_ = snapshot.t_s;
}

}  // namespace dabs::emu
