// Test harness for real dabs-configd processes: a farm directory with a farm file on a
// multicast group no other test uses, server processes (optionally inside a network
// namespace), reading and changing their stores as dabsctl would, PING on their local
// sockets, and network namespaces that are removed even when a test fails.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <dabs/config/records.h>
#include <dabs/mp/farm_guard.h>
#include <dabs/mp/node.h>
#include <dabs/store/store.h>

namespace dabs::configd::testing {

namespace fs = std::filesystem;
using Millis = std::chrono::milliseconds;

// What a finished process left.
struct Exited {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

// Runs a command to its end (at most `timeout`) and captures its output.
Exited RunToExit(const std::vector<std::string>& argv, Millis timeout = Millis(10'000));

// One dabs-configd process; killed (SIGKILL) when destroyed if still running.
class ConfigdProcess {
 public:
  // `prefix`: words before the executable (e.g. ip netns exec NS).
  ConfigdProcess(const fs::path& farm, const std::string& server, const fs::path& state_dir,
                 const fs::path& log, const std::vector<std::string>& prefix = {});
  ~ConfigdProcess();
  ConfigdProcess(const ConfigdProcess&) = delete;
  ConfigdProcess& operator=(const ConfigdProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits for the exit; nullopt on timeout. The status is 128 + signal for a signal.
  std::optional<int> Wait(Millis timeout);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  fs::path log_;
};

// A farm on a group of its own, under a fresh directory.
class TestFarm {
 public:
  explicit TestFarm(const std::string& name);  // name: for the directory and the group
  ~TestFarm();

  const fs::path& root() const { return root_; }
  fs::path farm_file() const { return root_ / "farm.yaml"; }
  fs::path state_dir(const std::string& server) const { return root_ / server; }
  std::string config_group() const;

  // Writes farm.yaml: the groups, `interface`, `apps` applications (so that the
  // configuration needs several datagrams), and `servers_yaml` verbatim if not empty.
  void WriteFarmFile(int apps, const std::string& interface = "127.0.0.1",
                     const std::string& servers_yaml = "");

  // Starts dabs-configd for `server`, logging to ROOT/<server>.log.
  std::unique_ptr<ConfigdProcess> Start(const std::string& server,
                                        const std::vector<std::string>& prefix = {});

  // The farm's key: every server started by Start gets it in its keyring, and Guard seals
  // with it for daemons run in the test's own process.
  const mp::FarmKey& farm_key() const { return key_; }
  std::shared_ptr<mp::FarmGuard> Guard(uint16_t index) const;

  // The server's store, opened once by this process and kept.
  store::Store& StoreOf(const std::string& server);
  uint64_t Version(const std::string& server);
  // As dabsctl config import: one write transaction, the version raised by one, origin
  // `server`. `change` edits the records. Returns the new version.
  uint64_t Change(const std::string& server, const std::function<void(config::Records&)>& change);
  // Polls until every server's stored version is at least `version`; the time it took.
  std::optional<Millis> WaitForVersion(const std::vector<std::string>& servers, uint64_t version,
                                       Millis timeout);

  // PING on the server's local socket: its status, or nullopt when it does not answer.
  std::optional<nlohmann::json> Ping(const std::string& server, Millis timeout = Millis(500));
  // Waits until the server answers PING.
  bool WaitReady(const std::string& server, Millis timeout = Millis(5000));
  // Sends raw bytes to the configuration group from 127.0.0.1 (for malformed input).
  void SendRawToGroup(const std::vector<uint8_t>& bytes);
  // Sends an MP message to the configuration group, as an outsider (unsealed).
  void SendToGroup(uint16_t command, std::vector<uint8_t> payload);
  // The same, sealed with the farm key as a member of the farm (server index 9) would.
  void SendSealedToGroup(uint16_t command, std::vector<uint8_t> payload);
  // What the server's dabs-configd refused unsealed or forged (its farm guard's counters, as
  // it writes them to the store each second): rejected datagrams in all.
  uint64_t Rejected(const std::string& server);

 private:
  mp::Node& Client();
  mp::Node& Member();

  fs::path root_;
  mp::FarmKey key_ = mp::FarmKey::Generate().value();
  std::string group_address_;
  uint16_t port_ = 0;
  std::map<std::string, std::unique_ptr<store::Store>> stores_;
  std::unique_ptr<mp::IoThreads> io_;
  std::unique_ptr<mp::Node> client_, member_;
};

// Network namespaces s1..sN on one bridge (10.77.X.i/24), removed when destroyed.
class Namespaces {
 public:
  // Fails loudly (the error says why) when namespaces cannot be made.
  static std::unique_ptr<Namespaces> Create(int servers, std::string* error);
  ~Namespaces();
  Namespaces(const Namespaces&) = delete;
  Namespaces& operator=(const Namespaces&) = delete;

  std::string ns(int i) const;       // 1-based
  std::string address(int i) const;  // 10.77.X.i
  std::vector<std::string> Exec(int i) const { return {"ip", "netns", "exec", ns(i)}; }
  // Cuts server i off the bridge, or joins it again.
  bool SetLink(int i, bool up);

 private:
  Namespaces() = default;
  std::string tag_;
  int servers_ = 0;
  int subnet_ = 0;
};

}  // namespace dabs::configd::testing
