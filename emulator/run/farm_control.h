// The farm as dabs-emu's fault timeline acts on it: the servers that `dabs-farm up` started,
// read from its FARM_DIR/farm.json, and what an operator's accident does to one of them.
//   kill       SIGKILL to every process of the server (its daemons and its DASPs: every
//              process whose command line names the server's state directory)
//   stop       SIGTERM to its daemons: they leave the farm cleanly (LEAVE), DASPs stop
//   restart    its daemons started again with the same command lines (after kill or stop)
//   partition  the server's network interface down (needs a farm started with --netns)
//   heal       the interface up again
// Not thread-safe; the emulator calls it from its timeline only.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::emu {

struct FarmServer {
  std::string id, address, netns;
  std::filesystem::path state_dir;
  std::map<std::string, std::vector<std::string>> daemons;  // name -> argv
};

class FarmControl {
 public:
  // Reads FARM_DIR/farm.json; an error names the file and what is wrong with it.
  static Result<FarmControl> Load(const std::filesystem::path& farm_dir);

  const std::vector<FarmServer>& servers() const { return servers_; }
  const FarmServer* Find(const std::string& id) const;

  // Each returns what it did in one line, or an error naming the server and the cause.
  Result<std::string> Kill(const std::string& id);
  Result<std::string> Stop(const std::string& id);
  Result<std::string> Restart(const std::string& id);
  Result<std::string> Partition(const std::string& id);
  Result<std::string> Heal(const std::string& id);

 private:
  Result<std::string> SetLink(const std::string& id, bool up);
  std::vector<FarmServer> servers_;
};

// Pids of the running processes whose command line contains `needle` (not this process).
std::vector<int> ProcessesNaming(const std::string& needle);
// Those whose command line has `dir` as an argument or a path prefix (not a sibling's name).
std::vector<int> ProcessesUnder(const std::filesystem::path& dir);

}  // namespace dabs::emu
