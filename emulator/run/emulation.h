// One dabs-emu run: the population tunes in as the viewers' schedule says, each set-top
// finds a reverse channel (downloading a module over the carousel when none it has works),
// opens a session through the farm's group with its application's client portion, acts at
// the viewers' think time, re-homes when its server vanishes, and tunes away. The fault
// timeline acts on the farm and the plant meanwhile. Progress goes to stderr once a second;
// at the end every session is closed and, with a report directory, report.json,
// timeline.csv and the charts are written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <dabs/emu/progress.h>
#include <dabs/emu/recorder.h>
#include <dabs/emu/scenario.h>
#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>
#include <dabs/mp/session_handshake.h>

#include "plant.h"

namespace dabs::emu {

struct EmulationOptions {
  Scenario scenario;
  std::string scenario_name;  // for the report
  mp::Endpoint farm_group;    // the farm's load-balancing group (farm.group)
  // Per application, what its set-tops' client portions offer (spec 6): the farm file's
  // apps[].encryption, with the farm's public key delivered with the client portion.
  std::map<std::string, mp::ClientEncryption> encryption;
  PlantAddressing addressing;
  std::optional<std::filesystem::path> farm_dir;  // dabs-farm's state dir: needed by server faults
  std::optional<std::filesystem::path> report_dir;
  int io_threads = 2;
  ProgressOptions progress;
  bool show_progress = true;
  double drain_s = 10;  // at the end: how long closing every session may take
};

// What the run did, beyond the recorder's figures.
struct EmulationSummary {
  RecorderSnapshot end;
  uint64_t module_downloads = 0;
  uint64_t requests_skipped = 0;  // a request came while the set-top's last one was in flight
  uint64_t peak_sessions_open = 0;
  uint64_t rss_start_kb = 0, rss_peak_kb = 0;
  double bytes_per_open_stb = 0;  // resident growth at the peak / sessions open then
  size_t sockets = 0;
  std::vector<std::string> faults_done;  // one line per fault carried out
};

// Runs the scenario to its end. Errors: the report could not be written, a fault needs the
// farm directory and none was given, an application has no client portion.
Result<EmulationSummary> RunEmulation(const EmulationOptions& options);

// Resident set size of this process, in KiB.
uint64_t ResidentKb();

}  // namespace dabs::emu
