// For tests and benchmarks that need a real farm: a farm file written from a few options,
// `dabs-farm up` run as a child process (loopback or network namespaces) until stopped, and
// a client that opens sessions through the farm's group as a set-top would (spec 4).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <dabs/mp/node.h>
#include <dabs/mp/result.h>
#include <dabs/mp/system_messages.h>

#include "subprocess.h"

namespace dabs::farm::testing {

struct TestApp {
  std::string name = "echo";
  std::string dasp;  // absolute path of the executable
  uint32_t start_at_init = 1;
  uint32_t instances_per_process = 1;
  uint32_t instance_sessions = 1000;
  std::optional<uint32_t> farm_instances, farm_sessions;
  std::vector<std::string> servers;  // sub-group
  std::string encryption = "off";    // apps[].encryption (needs TestFarm::identity_key)
  std::optional<uint32_t> backlog_reads;  // apps[].timers.backlog_reads
};

struct TestFarm {
  std::string name = "testfarm";
  // Groups are 239.<a>.<b>.1..3 on `port`: give each concurrent test its own.
  std::string group_prefix = "239.193.1.";
  uint16_t port = 7400;
  std::string interface = "127.0.0.1";
  int heartbeat_ms = 100;
  int lease_ms = 400;
  std::string policy = "vote";
  int ballot_window_ms = 10;
  std::string agentx_socket;  // snmp.agentx_socket, when set
  std::string identity_key;   // farm.identity_key, when set (relative to the farm file)
  // placement.min_free.cpu_pct, when set: 0 keeps a test's farm eligible on a busy machine.
  std::optional<double> min_free_cpu_pct;
  // placement.rebalance_period_ms: off unless a test is about moving sessions, so that a
  // test of something else is not moved under by a busy machine's backlogs.
  int rebalance_period_ms = 0;
  std::string rebalance = "starvation";  // placement.rebalance
  uint32_t spread_pct = 10;              // placement.spread_pct
  std::vector<TestApp> apps;
};

// A unique group prefix and port for this process (tests run in parallel).
TestFarm UniqueFarm();
// Writes the farm file and returns its path.
std::filesystem::path WriteFarmFile(const TestFarm& farm, const std::filesystem::path& dir);

class FarmProcess {
 public:
  struct Options {
    std::filesystem::path dabs_farm;  // the executable
    std::filesystem::path farm_file;
    std::filesystem::path state_dir;
    int servers = 3;
    bool netns = false;
    std::vector<std::string> daemons = {"dabs-lbd", "dabs-configd"};
    std::chrono::seconds ready_timeout{30};
    // The daemons' log level; DABS_TEST_LOG_LEVEL overrides it (debug a failing test).
    std::string log_level = "info";
  };
  // Starts dabs-farm and waits for "farm ready: N servers".
  static Result<std::unique_ptr<FarmProcess>> Start(const Options& options);
  ~FarmProcess();  // Stop()

  // SIGINT, then waits (SIGKILL after 30 s). Returns dabs-farm's exit status.
  int Stop();
  // farm.json as dabs-farm last wrote it.
  nlohmann::json Json() const;
  std::string client_address() const;
  std::filesystem::path server_dir(const std::string& id) const { return options_.state_dir / id; }
  // The pid of one daemon of a server (0 if unknown).
  pid_t DaemonPid(const std::string& server, const std::string& daemon) const;
  // The argv dabs-farm started a daemon with (to start it again).
  std::vector<std::string> DaemonArgv(const std::string& server, const std::string& daemon) const;
  pid_t pid() const { return process_ ? process_->pid() : 0; }

 private:
  Options options_;
  std::unique_ptr<dabs::testing::Subprocess> process_;
};

// A process started by a test (e.g. a daemon started again after a kill), its standard
// error appended to `log`; stopped with SIGTERM (then SIGKILL after 20 s) when destroyed.
class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                     const std::filesystem::path& log);
  ~ChildProcess() { Stop(); }
  pid_t pid() const { return process_->pid(); }
  // The exit status (128 + signal when killed).
  int Stop(int sig = SIGTERM);

 private:
  explicit ChildProcess(std::unique_ptr<dabs::testing::Subprocess> p) : process_(std::move(p)) {}
  std::unique_ptr<dabs::testing::Subprocess> process_;
};

// An exit status from waitpid as a number: the code, or 128 + the signal.
int ExitCode(int wait_status);

// What OPEN_SESSION through the group gave.
struct Opened {
  mp::OpenSessionReply reply;
  mp::Endpoint dasp;  // where the reply came from
  std::chrono::microseconds latency{0};
};

// Opens a session as a set-top does: OPEN_SESSION to the group (resent as spec 4 says)
// until the reply or a NAK.
Result<Opened> OpenViaGroup(mp::Node& client, const mp::Endpoint& group, const std::string& app,
                            const std::string& client_id);

}  // namespace dabs::farm::testing
