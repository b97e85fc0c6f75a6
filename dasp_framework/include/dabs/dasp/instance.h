// One DASP instance: its own VA, UDP endpoint and session-id space, serving many DACPs
// (spec 1.3, DESIGN.md sections 1 and 3). It runs the author's Server on worker threads,
// answers the runtime's commands (ADD_CLIENT, GET_STATISTICS, STATUS, SHUTDOWN, PING), and
// reports to dabs-lbd over its local socket: STARTED, STATE_CHANGE on every change,
// ERROR_REPORT on runtime errors and on exit. In standalone mode it answers OPEN_SESSION
// itself, for authors working without a farm.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <dabs/dasp/runtime.h>
#include <dabs/dasp/server.h>
#include <dabs/mp/node.h>
#include <dabs/mp/session_handshake.h>

namespace dabs::dasp {

struct InstanceConfig {
  std::string app;                   // the application name clients open sessions with
  mp::Va va = mp::MakeVa(1, 1);      // this instance's VA
  mp::Endpoint listen;               // UDP endpoint (port 0 picks one)
  std::string control;               // local socket path (dabs-lbd talks to it); with `lbd`
                                     // and none given, one beside dabs-lbd's socket
  std::optional<mp::Endpoint> lbd;   // dabs-lbd's local socket (farm mode)
  bool standalone = false;           // answer OPEN_SESSION itself (and allocate client VAs)
  std::vector<mp::Endpoint> groups;  // standalone: also answer OPEN_SESSION sent to these
  std::string multicast_interface;
  uint16_t server_index = 1;             // standalone: client VAs are this index + a counter
  std::string server_id = "standalone";  // the SERVER tag of OPEN_SESSION replies
  int workers = 0;                       // 0: one per CPU (at least 2)
  size_t max_sessions = 1000;            // limits.instance.sessions
  size_t queue_limit = 65536;            // messages waiting for the workers
  ReadTimer::Config read_timer;          // timers.read_timeout_ms, timers.backlog_reads
  WriteTimer::Config write_timer;        // timers.write_timeout_ms
  mp::Duration lock_timeout = std::chrono::milliseconds(50);  // timers.lock_timeout_ms
  mp::Duration shutdown_timeout = std::chrono::seconds(5);    // a clean shutdown's bound
  uint32_t high_water_ms = 250;                               // latency.high_water_ms
  uint32_t low_water_ms = 150;                                // latency.low_water_ms
  mp::EngineConfig engine;
  bool udp_offload = true;
  // Session encryption (spec 6; apps[].encryption, --encryption, --identity-key): off,
  // offered or required, the farm's identity key that signs ENC_ACCEPT (required unless
  // off), the suites accepted and each session key's limits.
  mp::ServerEncryption encryption;
};

class Instance final : public Runtime {
 public:
  // Opens the sockets. The server is owned by the instance.
  static Result<std::unique_ptr<Instance>> Create(boost::asio::io_context& io,
                                                  InstanceConfig config,
                                                  std::unique_ptr<Server> server);
  ~Instance() override;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Starts the workers and the housekeeping, and (farm mode) reports STARTED.
  void Start();
  // Clean: draining, SHUTDOWN to every client, waits (bounded) for their ACKs and the
  // pending transactions, closes the sessions, reports, stops. Emergency: SHUTDOWN to every
  // client and stop at once. `done` runs once, on an I/O thread, when the instance stopped.
  void Shutdown(ShutdownMode mode, std::function<void()> done);
  // Runs (on an I/O thread) when a shutdown asked by dabs-lbd (SHUTDOWN) has finished.
  // REQUIRES: set before Start().
  void OnStopped(std::function<void()> done);

  mp::Endpoint udp_endpoint() const;
  size_t session_count() const;
  mp::wire::DaspState state() const;
  const InstanceConfig& config() const;

  // Runtime
  void OnStatisticsRequest(std::function<void(mp::Statistics&)> callback) override;
  void OnShutdown(std::function<void(ShutdownMode)> callback) override;
  void OnStateRequest(std::function<void(mp::wire::DaspState&)> callback) override;
  void OnAddClient(std::function<void(const mp::AddClient&)> callback) override;
  void ReportError(uint16_t error, std::string text) override;
  // (The defaults repeat Runtime's, so calls through an Instance see them too.)
  std::shared_ptr<ResourceLock> MakeLock(std::string name, std::string resource_type,
                                         int capacity = 1, mp::Duration timeout = {}) override;
  std::shared_ptr<WriteTimer> MakeWriteTimer(std::string name) override;
  std::shared_ptr<AsyncTimer> StartAsyncTimer(std::string name, mp::Duration timeout,
                                              uint64_t client_id,
                                              AsyncTimer::Callback callback) override;
  mp::Va va() const override;
  const std::string& app() const override;
  mp::Statistics Snapshot() override;
  boost::asio::io_context& io() override;

  class Impl;

 private:
  explicit Instance(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace dabs::dasp
