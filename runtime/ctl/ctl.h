// dabsctl's shared pieces: the global options every command sees, failures as one line on
// stderr, and output as one JSON document or an aligned table (README.md in this directory
// documents every command and flag).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <dabs/mp/result.h>

namespace dabs::ctl {

using nlohmann::json;

// Exit codes: 0 done, 1 the command failed, 2 bad arguments.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Options before or after the command (dabsctl --farm FILE servers --json).
struct Globals {
  std::string farm;       // --farm FILE, may be empty
  std::string state_dir;  // --state-dir DIR (already defaulted from DABS_STATE_DIR)
  std::string server;     // --server ID, may be empty
  bool json = false;      // --json
  bool verbose = false;   // --verbose
};

// An Error whose detail is the whole line to show ("no store in /x (...)").
Error Failure(std::string line);

// Prints "dabsctl: <line>" on stderr and returns kExitFailed.
int Fail(std::string_view line);
int Fail(const Error& error);

// Prints `doc` on stdout as the one JSON document of a command; invalid UTF-8 in text
// read from the store is replaced rather than thrown on.
void PrintJson(const json& doc);

// Milliseconds since the Unix epoch, the clock the daemons stamp records with.
int64_t NowMs();

}  // namespace dabs::ctl
