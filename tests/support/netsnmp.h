// Net-SNMP's own tools for tests (Debian packages snmpd, snmp, snmptrapd): a private snmpd
// and snmptrapd on loopback ports (shared/NOTES.md), snmpwalk by numeric OID, and
// snmptrapd's log read line by line. A missing tool fails the test, naming the package:
// these tests never pass silently.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "subprocess.h"

namespace dabs::testing {

inline constexpr const char* kSnmpd = "/usr/sbin/snmpd";
inline constexpr const char* kSnmptrapd = "/usr/sbin/snmptrapd";
inline constexpr const char* kSnmpwalk = "/usr/bin/snmpwalk";

// Net-SNMP's tools, or a failure naming the Debian package.
inline bool HaveNetSnmpTools() {
  bool ok = true;
  for (auto [path, package] :
       {std::pair{kSnmpd, "snmpd"}, {kSnmptrapd, "snmptrapd"}, {kSnmpwalk, "snmp"}}) {
    if (::access(path, X_OK) != 0) {
      ADD_FAILURE() << path << " is missing: install the Debian package '" << package << "'";
      ok = false;
    }
  }
  return ok;
}

// A free loopback port of `type` (SOCK_DGRAM, SOCK_STREAM), as the kernel hands one out.
inline uint16_t FreeLoopbackPort(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Starts a Net-SNMP daemon in the foreground, logging to stdout, and waits for its banner.
inline std::unique_ptr<Subprocess> StartNetSnmpDaemon(const char* path,
                                                      const std::filesystem::path& conf,
                                                      std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {path, "-f", "-Lo", "-C", "-c", conf.string(), "-m", ""};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Subprocess>(argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = p->ReadLine(std::chrono::seconds(1));
    if (line && line->find("NET-SNMP version") != std::string::npos) return p;
    if (!p->running()) break;
  }
  ADD_FAILURE() << path << " did not start with " << conf;
  return nullptr;
}

// A private snmpd (AgentX master) and snmptrapd (its trap sink) on free loopback ports, with
// their files in `dir`.
struct NetSnmp {
  uint16_t snmp_port = 0, agentx_port = 0, trap_port = 0;
  std::unique_ptr<Subprocess> snmpd, trapd;

  bool Start(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    snmp_port = FreeLoopbackPort(SOCK_DGRAM);
    agentx_port = FreeLoopbackPort(SOCK_STREAM);
    trap_port = FreeLoopbackPort(SOCK_DGRAM);
    fs::create_directories(dir / "snmpd");
    fs::create_directories(dir / "trapd");
    std::ofstream(dir / "snmptrapd.conf")
        << "snmpTrapdAddr udp:127.0.0.1:" << trap_port << "\n"
        << "authCommunity log public\n"
        << "[snmp] persistentDir " << (dir / "trapd").string() << "\n";
    std::ofstream(dir / "snmpd.conf")
        << "agentaddress udp:127.0.0.1:" << snmp_port << "\n"
        << "master agentx\n"
        << "agentXSocket tcp:127.0.0.1:" << agentx_port << "\n"
        << "rocommunity public 127.0.0.1\n"
        << "trap2sink 127.0.0.1:" << trap_port << " public\n"
        << "[snmp] persistentDir " << (dir / "snmpd").string() << "\n";
    trapd = StartNetSnmpDaemon(kSnmptrapd, dir / "snmptrapd.conf", {"-On"});
    if (!trapd) return false;
    snmpd = StartNetSnmpDaemon(kSnmpd, dir / "snmpd.conf");
    return snmpd != nullptr;
  }
  std::string agentx_socket() const { return "tcp:127.0.0.1:" + std::to_string(agentx_port); }
};

// snmpwalk -On -m '' of `oid` (dotted, no leading dot): OID -> value text ("Gauge32: 3").
inline std::map<std::string, std::string> SnmpWalk(uint16_t port, const std::string& oid) {
  Subprocess p({kSnmpwalk, "-On", "-m", "", "-v2c", "-c", "public", "-t", "2", "-r", "1",
                "127.0.0.1:" + std::to_string(port), oid});
  std::map<std::string, std::string> out;
  while (auto line = p.ReadLine(std::chrono::seconds(30))) {
    const auto eq = line->find(" = ");
    if (eq == std::string::npos || line->empty() || (*line)[0] != '.') continue;
    out[line->substr(1, eq - 1)] = line->substr(eq + 3);
  }
  p.Wait();
  return out;
}

// The number in "Gauge32: 42" / "INTEGER: 5", or -1.
inline long long SnmpNumber(const std::string& value) {
  const auto colon = value.find(": ");
  if (colon == std::string::npos) return -1;
  try {
    return std::stoll(value.substr(colon + 2));
  } catch (const std::exception&) {
    return -1;
  }
}

// snmptrapd's output, line by line (one line per notification's varbinds).
class TrapLog {
 public:
  explicit TrapLog(Subprocess& trapd) : trapd_(trapd) {}

  // Whether a line holds every one of `needles`: one already read, or one coming within
  // `limit`. Notifications of one round may arrive in any order.
  bool Await(const std::vector<std::string>& needles, std::chrono::seconds limit) {
    auto matches = [&](const std::string& line) {
      return std::all_of(needles.begin(), needles.end(),
                         [&](const std::string& n) { return line.find(n) != std::string::npos; });
    };
    if (std::any_of(lines_.begin(), lines_.end(), matches)) return true;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = trapd_.ReadLine(std::chrono::seconds(1));
      if (!line) continue;
      lines_.push_back(*line);
      if (matches(*line)) return true;
    }
    return false;
  }
  std::string Text() const {
    std::string out;
    for (const auto& l : lines_)
      out += l + "\n";
    return out;
  }

 private:
  Subprocess& trapd_;
  std::vector<std::string> lines_;
};

}  // namespace dabs::testing
