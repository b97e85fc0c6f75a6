// dabs-statd, the statistics process of one server (docs/spec/config.md):
//
//   dabs-statd --farm FILE --server ID --state-dir DIR
//
// It opens the server's store at DIR/store, runs with the configuration dabs-configd saved
// there (else the farm file's) and follows its version. One cron, with a period per task
// (STYLE 11):
//   every sample period (1 s): sample the machine; smooth the load score; check
//     placement.min_free and the latency water marks (on a crossing, tell dabs-lbd at
//     DIR/lbd.sock); send SERVER_STATS to the statistics group; store this server's and every
//     heard server's figures in one write transaction; publish the SNMP snapshot;
//   every DASP poll period (2 s): GET_STATISTICS to each local instance of the dasps database,
//     at once when an instance reports a nearing threshold (STATE_CHANGE to DIR/statd.sock);
//   every config check period (2 s): re-read the stored configuration when its version moved.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>
#include <dabs/statd/stats_store.h>

namespace dabs::statd {

// --agentx-socket value that turns the subagent off.
inline constexpr std::string_view kNoSubagent = "none";

struct StatdOptions {
  std::filesystem::path farm_file;
  std::string server_id;
  std::filesystem::path state_dir;
  std::optional<uint16_t> stats_port;  // overrides servers[ID].stats_port
  std::string address;                 // this server's address: bind and multicast interface
                                       // (default: servers[ID].address, else farm.interface)
  std::chrono::milliseconds sample_period{1000};
  std::chrono::milliseconds dasp_poll_period{2000};
  std::chrono::milliseconds config_check_period{2000};
  std::optional<std::string> agentx_socket;  // overrides snmp.agentx_socket
  size_t history_samples = kDefaultHistorySamples;

  // kInvalidConfig-style errors (mp::Errc::kMalformed) naming the bad option.
  Status Validate() const;
};

// Where dabs-statd finds and puts things in its state directory.
std::filesystem::path StorePath(const std::filesystem::path& state_dir);        // DIR/store
std::filesystem::path StatdSocketPath(const std::filesystem::path& state_dir);  // DIR/statd.sock
std::filesystem::path LbdSocketPath(const std::filesystem::path& state_dir);    // DIR/lbd.sock

class Statd {
 public:
  // Opens the store, loads the configuration, binds the node and starts the SNMP subagent.
  // Errors name what failed (a bad farm file lists its first problem).
  static Result<std::unique_ptr<Statd>> Create(const StatdOptions& options);
  ~Statd();
  Statd(const Statd&) = delete;
  Statd& operator=(const Statd&) = delete;

  // Runs the cron on the calling thread until Stop().
  void Run();
  // Ends Run() soon (within one store transaction). Thread-safe; may come before Run().
  void Stop();

  // Where the node's UDP socket is bound. Thread-safe.
  std::optional<mp::Endpoint> udp_endpoint() const;

  class Impl;

 private:
  explicit Statd(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dabs::statd
