// The AgentX subagent inside dabs-statd (Net-SNMP). Net-SNMP is not thread-safe and keeps its
// state in process-wide globals, so the subagent owns one thread that makes every Net-SNMP
// call; other threads only publish into the SnapshotBox. At most one Subagent per process.
//
// On its thread: the start-up order of shared/NOTES.md (MIBS empty, subagent role, the AgentX
// socket, no signals for alarms, no config files, no persistent state, init_agent, the ping
// interval, handlers, init_snmp), then a loop that serves requests, refreshes the tables from
// the newest snapshot every `refresh` and sends queued notifications (send_v2trap). The
// subagent reconnects by itself when snmpd starts later or restarts.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <dabs/mp/result.h>
#include <dabs/snmp/snapshot.h>

namespace dabs::snmp {

struct SubagentOptions {
  std::string agentx_socket = "tcp:127.0.0.1:705";  // snmp.agentx_socket
  std::string name = "dabs-statd";                  // Net-SNMP's application name
  // How often the subagent pings the master, and so how soon it reconnects after snmpd
  // (re)starts. Net-SNMP's default is 15 s.
  std::chrono::seconds ping_interval{2};
  // How often the tables are rebuilt from the newest snapshot and notifications sent.
  std::chrono::milliseconds refresh{250};
};

struct SubagentStats {
  uint64_t refreshes = 0;           // snapshots turned into tables
  uint64_t notifications_sent = 0;  // send_v2trap calls
};

class Subagent {
 public:
  // Starts the thread. `box` must outlive the subagent. Errors: kAlreadyOpen-like
  // (mp::Errc::kLimitExceeded) when this process already runs a subagent.
  static Result<std::unique_ptr<Subagent>> Start(SubagentOptions options,
                                                 std::shared_ptr<SnapshotBox> box);
  ~Subagent();  // Stop()
  Subagent(const Subagent&) = delete;
  Subagent& operator=(const Subagent&) = delete;

  // Stops the thread (within about `refresh`) and shuts Net-SNMP down. Idempotent.
  // Not to be called concurrently with itself.
  void Stop();
  // Thread-safe.
  SubagentStats stats() const;

  class Impl;

 private:
  explicit Subagent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dabs::snmp
