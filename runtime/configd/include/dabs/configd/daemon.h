// dabs-configd's core (runtime/configd/README.md): keeps this server's stored configuration
// in step with the farm over CONFIG_SYNC on the configuration group (VA 3), answers PING on
// its local socket with its status, and applies changes as an actor. Apply and Status are
// the seam the HTTP API and the web GUI will call; main.cc is only the command line.
//
//   auto d = Daemon::Create(io, options);   // sockets open
//   (*d)->Start(adopted.imported);          // timer running, first CONFIG_SYNC sent
//   io.run();                               // until a signal calls Stop()
//
// Thread safety: every public method is thread-safe. The daemon's work runs on `io`, which
// must outlive it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <dabs/config/edit.h>
#include <dabs/config/records.h>
#include <dabs/mp/endpoint.h>
#include <dabs/mp/engine.h>
#include <dabs/mp/farm_guard.h>
#include <dabs/mp/node.h>
#include <dabs/mp/result.h>
#include <dabs/store/store.h>

namespace dabs::configd {

struct DaemonOptions {
  std::string server;                    // this server's id: the origin of changes made here
  store::Store* store = nullptr;         // the server's store; must outlive the daemon
  std::filesystem::path local_socket;    // DIR/configd.sock (answers PING); empty: none
  mp::Endpoint group;                    // farm.config_group
  std::string interface = "0.0.0.0";     // the UDP socket's address, and multicast's interface
  uint16_t port = 0;                     // the UDP socket's port; 0 picks one
  mp::EngineConfig engine;               // from the farm's mp.* keys
  std::shared_ptr<mp::FarmGuard> guard;  // seals CONFIG_SYNC, opens the farm's (farm-seal.md)

  std::chrono::milliseconds poll_period{100};       // reading the stored version
  std::chrono::milliseconds announce_period{1000};  // our announcement, for late joiners
  std::chrono::milliseconds full_min_interval{100};
  std::chrono::milliseconds announce_min_interval{100};
  std::chrono::milliseconds answer_delay_max{20};
  size_t max_config_bytes = 1 << 20;  // a configuration in parts (mp.max_message_bytes)
  size_t parts_per_tick = 128;        // parts sent per 10 ms tick
};

// Counters since the start; they only grow.
struct Counters {
  uint64_t fulls_sent = 0;  // configurations sent whole (one datagram or parts)
  uint64_t parts_sent = 0;  // datagrams of configurations sent in parts
  uint64_t announcements_sent = 0;
  uint64_t fulls_received = 0;  // whole configurations heard (parts put together)
  uint64_t parts_received = 0;
  uint64_t announcements_received = 0;
  uint64_t older_heard = 0, newer_heard = 0;  // announcements or configurations vs ours
  uint64_t adopted = 0;                       // newer configurations saved
  uint64_t refused = 0;                       // newer configurations that failed the checks
  uint64_t local_changes = 0;                 // changes made on this server (import, Apply)
  uint64_t malformed = 0;                     // CONFIG_SYNC payloads dropped as malformed
  uint64_t send_failures = 0;
};

struct DaemonStatus {
  std::string server;
  uint64_t version = 0;
  std::string origin, digest;  // digest: SHA-256 of the records, hex
  std::string group, udp;      // where it listens
  Counters counters;
};

class Daemon {
 public:
  // Opens the UDP socket, joins the group, binds the local socket. REQUIRES: options.store.
  static Result<std::unique_ptr<Daemon>> Create(boost::asio::io_context& io,
                                                const DaemonOptions& options);
  ~Daemon();  // stops
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Reads the stored configuration, sends it whole (`imported`: the farm file just became a
  // new version here) or announces it, and starts the periodic work.
  void Start(bool imported);
  // Closes the sockets (the local socket's file is removed) and stops the timer. Idempotent.
  void Stop();

  // Applies `changes` as `who` to the stored configuration (config::Apply: roles, values,
  // consistency), saves it as the next version with this server as origin and sends it to
  // the group at once. On failure nothing changes and `problems` says why.
  Result<config::Records> Apply(const std::vector<config::Change>& changes,
                                const config::Actor& who,
                                std::vector<config::Problem>* problems = nullptr);

  DaemonStatus Status() const;
  // The counters of its MP node (local datagrams refused from other users among them).
  mp::NodeStats NodeStats() const;
  // The status as the JSON document PING on the local socket answers (README.md).
  static std::string StatusJson(const DaemonStatus& status);

  class Impl;

 private:
  explicit Daemon(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace dabs::configd
