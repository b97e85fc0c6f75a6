// Gateways: the sockets client portions send through. A Gateway owns one mp::Node (one UDP
// socket) and routes the messages a DASP or the farm sends unasked (SHUTDOWN, REDIRECT,
// STATUS, ...; header VA = the client's VA) to the right Client. A real set-top is a Gateway
// with one client; dabs-emu hosts many clients per socket, so nothing here spends a thread
// per client: every client's work runs on its gateway's node strand.
//
// A DASP keys its sessions by (client endpoint, session id) with ids 1..255 (spec 1.3), so
// one socket can carry at most 255 sessions with one DASP instance. GatewayPool therefore
// hands out seats so that no socket carries more than `clients_per_socket` clients
// (default 200; docs/decisions.md D48).
//
// Thread safety: every public method of Gateway, GatewaySeat and GatewayPool is thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <dabs/mp/node.h>

namespace dabs::dacp {

class Client;
class Gateway;

// Clients one socket carries at most, by default: below spec 1.3's 255 sessions per client
// endpoint and DASP instance, with room for sessions that are closing.
inline constexpr size_t kDefaultClientsPerSocket = 200;
inline constexpr size_t kMaxClientsPerSocket = 255;

// One client's place on a gateway. Move-only; gives the seat back when destroyed. Keeps its
// gateway alive.
class GatewaySeat {
 public:
  GatewaySeat() = default;
  ~GatewaySeat();
  GatewaySeat(GatewaySeat&& other) noexcept;
  GatewaySeat& operator=(GatewaySeat&& other) noexcept;
  GatewaySeat(const GatewaySeat&) = delete;
  GatewaySeat& operator=(const GatewaySeat&) = delete;

  explicit operator bool() const { return gateway_ != nullptr; }
  // REQUIRES: *this holds a seat.
  Gateway& gateway() const { return *gateway_; }

 private:
  friend class Gateway;
  explicit GatewaySeat(std::shared_ptr<Gateway> g) : gateway_(std::move(g)) {}
  std::shared_ptr<Gateway> gateway_;
};

struct GatewayConfig {
  // The node's socket: the emulator sets `udp` (a bind address, port 0), `udp_offload =
  // false` and a `shaper`; a set-top leaves the defaults and sets `udp` to 0.0.0.0:0. The
  // node joins no groups: it sends to the farm's group, it does not listen on it.
  mp::NodeConfig node;
  size_t max_clients = kDefaultClientsPerSocket;  // 1..255
};

struct GatewayStats {
  size_t seated = 0;       // clients holding a seat
  size_t routed = 0;       // clients with a session, reachable by their VA
  uint64_t delivered = 0;  // unsolicited messages handed to a client
  uint64_t unrouted = 0;   // unsolicited messages for no client here (NAKed)
};

class Gateway : public std::enable_shared_from_this<Gateway> {
 public:
  // Opens the node's socket. `io` must outlive the gateway and be run by some thread.
  static Result<std::shared_ptr<Gateway>> Create(boost::asio::io_context& io, GatewayConfig config);
  ~Gateway();  // stops the node
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // A seat for one more client; kLimitExceeded when `max_clients` are seated.
  Result<GatewaySeat> TakeSeat();

  mp::Node& node() { return *node_; }
  boost::asio::io_context& io() { return io_; }
  const mp::EngineConfig& engine_config() const { return engine_config_; }
  std::optional<mp::Endpoint> endpoint() const { return node_->udp_endpoint(); }
  size_t max_clients() const { return max_clients_; }
  size_t seated() const;
  GatewayStats Stats() const;
  // Closes the socket; every pending send fails with kCancelled. Idempotent.
  void Stop();

  // For Client: where messages to `va` go. A client routes its VA while it has a session.
  void Route(mp::Va va, const std::shared_ptr<Client>& client);
  void Unroute(mp::Va va, const Client* client);

  struct Router;  // private; public so the node's callbacks can name it

 private:
  friend class GatewaySeat;
  Gateway(boost::asio::io_context& io, size_t max_clients, mp::EngineConfig engine,
          std::shared_ptr<Router> router);
  void ReleaseSeat();

  boost::asio::io_context& io_;
  const size_t max_clients_;
  const mp::EngineConfig engine_config_;
  std::shared_ptr<Router> router_;
  std::unique_ptr<mp::Node> node_;
};

struct GatewayPoolConfig {
  mp::NodeConfig node;  // every socket's configuration (see GatewayConfig::node)
  size_t clients_per_socket = kDefaultClientsPerSocket;  // 1..255
  // Optional: the configuration of the i-th socket (e.g. its own LinkShaper, which need not
  // be thread-safe). When set, `node` is ignored.
  std::function<mp::NodeConfig(size_t index)> node_for;
};

// Sockets for many clients: a new one is opened when every open one is full.
class GatewayPool {
 public:
  // `io` must outlive the pool.
  GatewayPool(boost::asio::io_context& io, GatewayPoolConfig config);
  ~GatewayPool();
  GatewayPool(const GatewayPool&) = delete;
  GatewayPool& operator=(const GatewayPool&) = delete;

  // A seat on a socket with room, opening a socket when none has any. Errors: the socket
  // could not be opened.
  Result<GatewaySeat> Acquire();
  size_t sockets() const;
  size_t clients() const;
  std::vector<std::shared_ptr<Gateway>> gateways() const;
  // Stops every socket (pending sends fail with kCancelled).
  void Stop();

 private:
  boost::asio::io_context& io_;
  GatewayPoolConfig config_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Gateway>> gateways_;
  size_t hint_ = 0;  // the socket that last had room
};

}  // namespace dabs::dacp
