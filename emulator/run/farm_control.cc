#include "farm_control.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dabs::emu {
namespace {

namespace fs = std::filesystem;

Error Failure(std::string detail) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(detail)};
}

std::string ReadCmdline(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

// Runs argv (a path first) detached: its own session, output to `log`, not waited for.
Result<int> SpawnDetached(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Failure("fork failed");
  if (pid == 0) {
    ::setsid();
    if (std::FILE* f = std::freopen(log.c_str(), "a", stderr)) (void)f;
    if (std::FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    if (std::FILE* f = std::freopen("/dev/null", "r", stdin)) (void)f;
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return static_cast<int>(pid);
}

// Runs a short command (ip ...) and waits; its exit status.
int RunAndWait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (std::FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Joined(const std::vector<int>& pids) {
  std::string out;
  for (int p : pids)
    out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

}  // namespace

std::vector<int> ProcessesNaming(const std::string& needle) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    if (ReadCmdline(pid).find(needle) != std::string::npos) pids.push_back(pid);
  }
  return pids;
}

std::vector<int> ProcessesUnder(const std::filesystem::path& dir) {
  const std::string d = dir.string();
  std::vector<int> pids;
  for (int pid : ProcessesNaming(d)) {
    const std::string cmdline = ReadCmdline(pid) + " ";
    // The directory as a whole argument or a path prefix, not a sibling ("s1" vs "s10").
    if (cmdline.find(d + " ") != std::string::npos || cmdline.find(d + "/") != std::string::npos)
      pids.push_back(pid);
  }
  return pids;
}

Result<FarmControl> FarmControl::Load(const fs::path& farm_dir) {
  const fs::path file = farm_dir / "farm.json";
  std::ifstream in(file);
  if (!in)
    return Failure(file.string() + ": cannot read it (is `dabs-farm up --state-dir " +
                   farm_dir.string() + "` running?)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("servers") || !j["servers"].is_array())
    return Failure(file.string() + ": not a dabs-farm farm.json (no \"servers\" array)");
  FarmControl c;
  for (const auto& s : j["servers"]) {
    FarmServer f;
    f.id = s.value("id", "");
    f.address = s.value("address", "");
    f.netns = s.value("netns", "");
    f.state_dir = s.value("state_dir", "");
    if (f.id.empty() || f.state_dir.empty())
      return Failure(file.string() + ": a server without \"id\" or \"state_dir\"");
    if (s.contains("daemons") && s["daemons"].is_object()) {
      for (const auto& [name, d] : s["daemons"].items()) {
        if (d.contains("argv") && d["argv"].is_array())
          f.daemons[name] = d["argv"].get<std::vector<std::string>>();
      }
    }
    c.servers_.push_back(std::move(f));
  }
  return c;
}

const FarmServer* FarmControl::Find(const std::string& id) const {
  for (const auto& s : servers_)
    if (s.id == id) return &s;
  return nullptr;
}

Result<std::string> FarmControl::Kill(const std::string& id) {
  const FarmServer* s = Find(id);
  if (!s) return Failure("kill: no server " + id + " in the farm");
  // "--state-dir DIR" names the daemons; DASPs carry the directory in their socket paths.
  const auto pids = ProcessesUnder(s->state_dir);
  for (int pid : pids)
    ::kill(pid, SIGKILL);
  return "killed " + id + " (" + std::to_string(pids.size()) + " processes: " + Joined(pids) + ")";
}

Result<std::string> FarmControl::Stop(const std::string& id) {
  const FarmServer* s = Find(id);
  if (!s) return Failure("stop: no server " + id + " in the farm");
  std::vector<int> stopped;
  for (const auto& [name, argv] : s->daemons) {
    (void)argv;
    for (int pid : ProcessesUnder(s->state_dir)) {
      if (ReadCmdline(pid).find(name + " --farm") == std::string::npos) continue;
      ::kill(pid, SIGTERM);
      stopped.push_back(pid);
    }
  }
  return "stopped " + id + " (SIGTERM to " + std::to_string(stopped.size()) + " daemons)";
}

Result<std::string> FarmControl::Restart(const std::string& id) {
  const FarmServer* s = Find(id);
  if (!s) return Failure("restart: no server " + id + " in the farm");
  std::vector<int> started;
  for (const auto& [name, argv] : s->daemons) {
    if (argv.empty()) continue;
    bool running = false;
    for (int pid : ProcessesUnder(s->state_dir))
      running |= ReadCmdline(pid).find(name + " --farm") != std::string::npos;
    if (running) continue;
    std::vector<std::string> full = argv;
    if (!s->netns.empty()) full.insert(full.begin(), {"/usr/bin/ip", "netns", "exec", s->netns});
    auto pid = SpawnDetached(full, s->state_dir / "logs" / (name + ".restarted.log"));
    if (!pid) return Failure("restart " + id + ": " + pid.error().Message());
    started.push_back(*pid);
  }
  return "restarted " + id + " (" + std::to_string(started.size()) +
         " daemons: " + Joined(started) + ")";
}

Result<std::string> FarmControl::SetLink(const std::string& id, bool up) {
  const FarmServer* s = Find(id);
  if (!s) return Failure("no server " + id + " in the farm");
  if (s->netns.empty()) {
    return Failure((up ? "heal " : "partition ") + id +
                   ": needs a farm started with `dabs-farm up --netns` (one interface per server)");
  }
  // dabs-farm --netns gives each namespace one veth end, named eth0 (runtime/farm/runner/netns.cc).
  const std::string state = up ? "up" : "down";
  if (RunAndWait({"/usr/bin/ip", "-n", s->netns, "link", "set", "eth0", state}) != 0)
    return Failure("cannot set " + id + "'s interface eth0 " + state + " in namespace " + s->netns);
  return std::string(up ? "healed " : "partitioned ") + id;
}

Result<std::string> FarmControl::Partition(const std::string& id) {
  return SetLink(id, false);
}
Result<std::string> FarmControl::Heal(const std::string& id) {
  return SetLink(id, true);
}

}  // namespace dabs::emu
