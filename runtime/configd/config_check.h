// Whether a configuration heard from the group may replace this server's (README.md, C3).
// Every record must be a known key with a valid value, the typed view must build, and the
// consistency checks must pass. Two of those checks look at this machine rather than at
// the configuration (a DASP executable exists, the identity key is readable): failing them
// here does not refuse the configuration, which another server made and checked; they are
// reported as local problems, to be logged as a warning.
#pragma once

#include <string>
#include <vector>

#include <dabs/config/records.h>

namespace dabs::configd {

struct Verdict {
  bool accepted = false;
  std::vector<config::Problem> problems;        // !accepted: why
  std::vector<config::Problem> local_problems;  // accepted, but this server lacks these
};

// Thread-safe (reads the file system for the local checks).
Verdict CheckReceived(const config::Records& records);

// "apps[calculator].dasp: no executable at /x (and 2 more)": one line for a log.
std::string Summarise(const std::vector<config::Problem>& problems);

}  // namespace dabs::configd
