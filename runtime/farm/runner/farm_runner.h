// dabs-farm up: a whole farm on one machine, for operators trying dabs, for the README's
// first command and for tests. Each server's daemons (dabs-lbd, dabs-statd, dabs-configd)
// run with their own state directory FARM_DIR/<id>, on loopback or each server in its own
// network namespace. The runner watches them, says when every server sees every other, and
// stops them all (and removes every namespace and socket) on SIGINT/SIGTERM.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::farm {

struct RunnerOptions {
  std::filesystem::path farm_file;
  int servers = 3;
  std::filesystem::path state_dir;
  bool netns = false;
  std::filesystem::path bin_dir;  // where the daemons are; default: beside dabs-farm
  std::vector<std::string> daemons = {"dabs-lbd", "dabs-statd", "dabs-configd"};
  bool logs_to_terminal = false;  // else FARM_DIR/<id>/logs/<daemon>.log
  std::chrono::seconds ready_timeout{30};
  std::string log_level = "info";
  // The farm key every server gets (docs/spec/farm-seal.md): default DIR/seal.key, made on
  // the first `up` when missing. A server whose keyring lacks it has it installed.
  std::filesystem::path key_file;
};

// Runs until SIGINT/SIGTERM (or a failure to start). Returns the exit code.
int RunFarm(const RunnerOptions& options);

}  // namespace dabs::farm
