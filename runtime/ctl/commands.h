// dabsctl's commands, one function each, called by main.cc once the command line parsed.
// Each returns the exit code and has printed its output (stdout) or its one-line failure
// (stderr) already. README.md in this directory documents them.
#pragma once

#include <string>

#include "ctl.h"

namespace dabs::ctl {

// Filters of the listings; empty: everything.
struct ListFilter {
  std::string app;    // --app NAME
  std::string on;     // --on SERVER: where the DASP or session runs
  std::string state;  // --state STATE (dasps)
};

int RunServers(const Globals& g);
int RunApps(const Globals& g);
int RunDasps(const Globals& g, const ListFilter& filter);
int RunSessions(const Globals& g, const ListFilter& filter);
int RunStats(const Globals& g);

struct DecisionsArgs {
  size_t last = 20;  // the newest N
  std::string app;
};
int RunDecisions(const Globals& g, const DecisionsArgs& args);

struct MovesArgs {
  size_t last = 20;  // the newest N
};
int RunMoves(const Globals& g, const MovesArgs& args);

int RunConfigExport(const Globals& g, const std::string& out);
int RunConfigImport(const Globals& g, const std::string& file);

struct ShutdownArgs {
  std::string dasp;  // a VA (0x hex or decimal) or mp://farm/app/N
  bool emergency = false;
  int timeout_ms = 10'000;
};
int RunShutdown(const Globals& g, const ShutdownArgs& args);

struct KeygenArgs {
  std::string out;  // empty: the farm file's farm.identity_key, else ./farm.key
  bool force = false;
};
int RunKeygen(const Globals& g, const KeygenArgs& args);

int RunPasswd(const Globals& g, const std::string& user);

// dabsctl keys ... (keys.cc; docs/spec/farm-seal.md section 4).
struct KeysArgs {
  std::string file;  // generate: where to write it; install: the key file
  std::string id;    // use, remove: the key id (8 hex digits)
  bool force = false;
};
int RunKeysGenerate(const Globals& g, const KeysArgs& args);
int RunKeysInstall(const Globals& g, const KeysArgs& args);
int RunKeysChange(const Globals& g, const KeysArgs& args, bool use);  // use, or remove
int RunKeysList(const Globals& g);
// dabsctl security: what this server's farm guards sealed, opened and refused.
int RunSecurity(const Globals& g);

}  // namespace dabs::ctl
