// An MP node on Boost.Asio: the reliability engine driven by real transports (spec 2, 3):
// a UDP socket, any number of multicast groups, a local datagram socket and in-process
// dispatch. It picks the transport from the destination endpoint, and with a resolver, from
// where a VA lives (same process, same host, elsewhere).
//
// Thread safety: every public method is thread-safe. The engine runs on a strand of the
// given io_context; every callback runs on that strand. SendSync must not be called on it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <sys/types.h>

#include <dabs/mp/engine.h>
#include <dabs/mp/farm_guard.h>
#include <dabs/mp/faults.h>
#include <dabs/mp/in_process.h>
#include <dabs/mp/resolver.h>

namespace dabs::mp {

struct NodeConfig {
  EngineConfig engine;
  std::optional<Endpoint> udp;      // bind the UDP socket here (port 0 picks one)
  std::vector<Endpoint> groups;     // IPv4 multicast groups to receive
  std::string multicast_interface;  // interface address for joins and group sends
  int multicast_ttl = 1;
  std::optional<std::string> local_path;  // bind a local datagram socket here (mode 0600)
  // Who may send to the local socket: datagrams whose sender (the real uid the kernel
  // reports) is not listed are dropped and counted in NodeStats::local_refused. Empty: this
  // process's effective uid and root. A tool talking to daemons that run as another user
  // lists that user too, or their replies are dropped.
  std::vector<uid_t> local_allowed_uids;
  std::shared_ptr<InProcessHub> hub;  // with in_process_name: reachable in-process
  std::string in_process_name;
  size_t socket_buffer_bytes = 8 << 20;  // kernel buffers asked for each socket
  size_t send_queue_limit = 65536;       // datagrams held while a socket is full
  size_t receive_budget = 256;           // datagrams per readiness event (fairness)
  // UDP segmentation offload (GSO sends, GRO receives) on the UDP socket: far fewer system
  // calls for runs of equal datagrams (ACKs, multi-buffer messages). Costs 512 KiB of
  // receive buffers per node; the emulator's thousands of small sockets turn it off.
  bool udp_offload = true;
  FaultProfile faults;  // applied to every datagram sent (tests, emulator)
  uint64_t fault_seed = 1;
  // The plant between this node and its peers (the emulator's channels): delays, losses and
  // damage for every UDP datagram sent and received, after `faults`. None: a plain wire.
  std::shared_ptr<LinkShaper> shaper;
  // A farm daemon's guard (mp/farm_guard.h): seals what goes to the farm, opens and checks
  // what comes from it before the engine parses anything, and drops what outsiders may not
  // send. Local-socket and in-process traffic does not pass through it. None: no farm.
  std::shared_ptr<FarmGuard> farm_guard;
  std::shared_ptr<const VaResolver> resolver;  // for SendToVa
  Self self;                                   // where this node runs, for proximity
  // For a blocking client with no thread running the io_context: SendSync runs it on the
  // calling thread while it waits, as one would wait on a plain socket. Asynchronous work
  // then moves only while the application runs the io_context itself.
  bool sync_runs_io = false;
};

struct NodeCallbacks {
  std::function<void(Message&&)> on_message;                        // new messages
  std::function<void(const ErrorReport&)> on_error_report;          // give-ups (spec 2)
  std::function<void(const Endpoint&, uint8_t)> on_session_reopen;  // 3 NAKs (spec 2)
};

struct NodeStats {
  EngineStats engine;
  uint64_t received = 0, sent = 0;  // datagrams through the sockets
  uint64_t send_errors = 0, queue_drops = 0, oversize = 0;
  uint64_t fault_drops = 0;    // dropped on purpose by the fault profile
  uint64_t offload_sends = 0;  // GSO sends, each carrying several datagrams
  uint64_t local_retries = 0;  // sends to a local peer whose queue was full, tried again
  uint64_t local_refused = 0;  // local datagrams from a user not in local_allowed_uids, dropped
  size_t pending = 0, peers = 0;
};

class Node {
 public:
  // Opens the sockets and starts receiving. Errors name the socket that failed.
  static Result<std::unique_ptr<Node>> Create(boost::asio::io_context& io, NodeConfig config,
                                              NodeCallbacks callbacks);
  ~Node();  // stops the node; pending sends fail with kCancelled
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  std::optional<Endpoint> udp_endpoint() const;    // the bound UDP address
  std::optional<Endpoint> local_endpoint() const;  // unix:PATH
  std::optional<Endpoint> in_process_endpoint() const;

  void OpenSession(const Endpoint& peer, uint8_t session, SessionOptions options = {});
  void CloseSession(const Endpoint& peer, uint8_t session);

  // Asynchronous send; `done` runs once, on the node's strand (spec 2).
  void Send(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
            std::vector<uint8_t> payload, SendOptions options, SendCallback done);
  // Sends to a VA, over the closest transport the resolver knows for it.
  void SendToVa(Va va, uint8_t session, uint16_t command, std::vector<uint8_t> payload,
                SendOptions options, SendCallback done);
  // Synchronous send: the reply (or, for one-way sends, an empty message) or the error.
  // REQUIRES: not called on this node's strand (it would wait for itself).
  Result<Message> SendSync(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
                           std::vector<uint8_t> payload, SendOptions options = {});

  void Reply(const Message& request, std::vector<uint8_t> payload, Va va = kVaNone);
  void ReplyTo(const Endpoint& peer, uint8_t session, uint8_t transaction, uint16_t command, Va va,
               std::vector<uint8_t> payload);
  void Nak(const Message& request, Errc error, std::string text = {});

  // Runs `fn` on the node's strand with its engine.
  void Post(std::function<void(Engine&)> fn);
  // Hands every datagram queued so far to the kernel before returning (as far as the
  // sockets take them), e.g. before an emergency exit.
  void Flush();
  // A snapshot of the counters, refreshed after every event.
  NodeStats Stats() const;
  // Closes the sockets and fails every pending send with kCancelled. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Node(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// An io_context with threads running it, for tools and tests that have no loop of their own.
class IoThreads {
 public:
  explicit IoThreads(int threads = 1);
  ~IoThreads();  // stops and joins
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  boost::asio::io_context& io() { return *io_; }
  void Stop();

 private:
  std::unique_ptr<boost::asio::io_context> io_;
  std::shared_ptr<void> work_;
  std::vector<std::thread> threads_;
};

}  // namespace dabs::mp
