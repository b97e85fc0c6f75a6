#pragma once
// The live progress line of dabs-emu, e.g.
//   t=12s stbs 2000/2000 sessions 1987 open req/s 812 errors 3 p99 docsis 11.2ms oob 64.0ms modem
//   310ms
// "req/s" counts the last closed second's requests (ok and failed), "errors" every failed
// session and request so far, and p99 is each channel's over the last 10 .. 20 s.

#include <cstdint>
#include <cstdio>
#include <string>

#include <dabs/emu/recorder.h>

namespace dabs::emu {

// One human line, no line ending. Pure function. `stbs_planned` 0 prints "stbs N".
std::string RenderProgressLine(const RecorderSnapshot& snapshot, uint64_t stbs_planned);

// The same figures as one JSON object, no line ending: {"t_s", "stbs_started",
// "stbs_planned", "sessions_open", "requests_per_s", "errors", "p99_ms": {"<channel>": ms}}.
std::string RenderProgressJson(const RecorderSnapshot& snapshot, uint64_t stbs_planned);

struct ProgressOptions {
  bool tty = false;          // rewrite one line in place ("\r", clear to end of line)
  bool json = false;         // one JSON object per line (overrides tty)
  double interval_s = 10.0;  // when not a tty: the least time between two lines
  uint64_t stbs_planned = 0;
};

// Prints progress lines to `out`. Not thread-safe: call from one thread (the emulator's
// once-a-second timer). `out` must outlive the printer.
class ProgressPrinter {
 public:
  ProgressPrinter(std::FILE* out, ProgressOptions options);
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  // Shows `snapshot`: always on a tty, otherwise when interval_s has passed since the
  // last line printed (the first snapshot always prints).
  void Update(const RecorderSnapshot& snapshot);
  // Prints `snapshot` whatever the interval, and ends the in-place line on a tty.
  void Finish(const RecorderSnapshot& snapshot);

  // Whether `stream` is a terminal (for ProgressOptions::tty).
  static bool IsTerminal(std::FILE* stream);

 private:
  void Print(const RecorderSnapshot& snapshot);

  std::FILE* out_;
  ProgressOptions options_;
  bool printed_ = false;
  double last_printed_s_ = 0;
};

}  // namespace dabs::emu
