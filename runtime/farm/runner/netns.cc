#include "netns.h"

#include <filesystem>
#include <functional>

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"

namespace dabs::farm {

NetnsFarm& NetnsFarm::operator=(NetnsFarm&& other) noexcept {
  if (this != &other) {
    Teardown();
    bridge_ = std::move(other.bridge_);
    client_address_ = std::move(other.client_address_);
    servers_ = std::move(other.servers_);
    made_namespaces_ = std::move(other.made_namespaces_);
    bridge_made_ = other.bridge_made_;
    other.made_namespaces_.clear();
    other.bridge_made_ = false;
  }
  return *this;
}

Result<NetnsFarm> NetnsFarm::Create(const std::string& tag, int servers) {
  NetnsFarm f;
  const size_t h = std::hash<std::string>{}(tag);
  const std::string subnet =
      "10." + std::to_string(100 + h % 150) + "." + std::to_string((h >> 8) % 250) + ".";
  f.bridge_ = "dbr" + tag.substr(0, 10);  // interface names: at most 15 characters
  if (Status s = RunCommand({"ip", "link", "add", "name", f.bridge_, "type", "bridge"}); !s)
    return s.error();
  f.bridge_made_ = true;
  f.client_address_ = subnet + "254";
  // Without an IGMP querier, snooping would keep group traffic from members.
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "link", "set", f.bridge_, "type", "bridge", "mcast_snooping", "0"},
           {"ip", "addr", "add", subnet + "254/24", "dev", f.bridge_},
           {"ip", "link", "set", f.bridge_, "up"}}) {
    if (Status s = RunCommand(cmd); !s) return s.error();
  }
  for (int k = 1; k <= servers; ++k) {
    NetnsServer s{"dabs-" + tag + "-" + std::to_string(k), subnet + std::to_string(k)};
    const std::string host_end = "dv" + tag.substr(0, 8) + "-" + std::to_string(k);
    if (Status st = RunCommand({"ip", "netns", "add", s.ns}); !st) return st.error();
    f.made_namespaces_.push_back(s.ns);
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", s.ns},
        {"ip", "link", "set", host_end, "master", f.bridge_},
        {"ip", "link", "set", host_end, "up"},
        {"ip", "-n", s.ns, "link", "set", "lo", "up"},
        {"ip", "-n", s.ns, "addr", "add", s.address + "/24", "dev", "eth0"},
        {"ip", "-n", s.ns, "link", "set", "eth0", "up"},
        {"ip", "-n", s.ns, "route", "add", "224.0.0.0/4", "dev", "eth0"},
    };
    for (const auto& cmd : steps) {
      if (Status st = RunCommand(cmd); !st) return st.error();
    }
    f.servers_.push_back(std::move(s));
  }
  return f;
}

void KillEverythingIn(const std::string& ns) {
  // `ip netns pids` lists them; reading its output needs a pipe, so read /proc instead:
  // a process is in the namespace when its net namespace is the one bound at /run/netns/NS.
  struct stat target {};
  if (::stat(("/run/netns/" + ns).c_str(), &target) != 0) return;
  for (int round = 0; round < 50; ++round) {
    int found = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      struct stat st {};
      if (::stat((entry.path() / "ns" / "net").c_str(), &st) != 0) continue;
      if (st.st_ino != target.st_ino || st.st_dev != target.st_dev) continue;
      ++found;
      ::kill(std::stoi(name), SIGKILL);
    }
    if (found == 0) return;
    ::usleep(20'000);
  }
}

std::vector<std::string> NetnsFarm::Exec(int server, std::vector<std::string> argv) const {
  std::vector<std::string> out = {"/usr/bin/ip", "netns", "exec",
                                  servers_.at(static_cast<size_t>(server)).ns};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void NetnsFarm::Teardown() {
  // Nothing may outlive the farm: a process left in a namespace (a DASP orphaned by a killed
  // dabs-lbd) would keep it alive.
  for (const auto& ns : made_namespaces_)
    KillEverythingIn(ns);
  for (const auto& ns : made_namespaces_) {
    if (Status s = RunCommand({"ip", "netns", "del", ns}); !s) spdlog::warn("{}", s.error().detail);
  }
  made_namespaces_.clear();
  if (bridge_made_) {
    if (Status s = RunCommand({"ip", "link", "del", bridge_}); !s)
      spdlog::warn("{}", s.error().detail);
    bridge_made_ = false;
  }
}

}  // namespace dabs::farm
