// Gateway: one node, many clients, routed by VA; GatewayPool: sockets with bounded seats.
#include <atomic>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/header.h>

namespace dabs::dacp {

namespace {
Error Fail(mp::Errc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}
}  // namespace

// The routing table, shared by the gateway and its node's callbacks (which may run while
// the gateway is being destroyed).
struct Gateway::Router {
  struct Entry {
    const Client* raw;
    std::weak_ptr<Client> client;
  };
  mutable std::mutex mu;
  std::unordered_multimap<mp::Va, Entry> by_va;
  mp::Node* node = nullptr;  // set once the node exists; cleared before it is destroyed
  std::atomic<size_t> seated{0};
  std::atomic<uint64_t> delivered{0}, unrouted{0};

  void OnMessage(mp::Message&& m) {
    std::vector<std::shared_ptr<Client>> candidates;
    mp::Node* n = nullptr;
    {
      std::lock_guard lock(mu);
      n = node;
      auto [lo, hi] = by_va.equal_range(m.header.va);
      for (auto it = lo; it != hi; ++it) {
        if (auto c = it->second.client.lock()) candidates.push_back(std::move(c));
      }
    }
    std::shared_ptr<Client> target;
    if (candidates.size() == 1) {
      target = candidates.front();
    } else {
      // Two DASPs (standalone ones, say) may give out the same client VA: the session decides.
      for (auto& c : candidates) {
        if (c->Serves(m.peer, m.header.session)) target = c;
      }
    }
    if (!target) {
      ++unrouted;
      spdlog::debug("dacp: {} 0x{:04x} from {} for VA {}: no such client here",
                    mp::CommandName(m.header.command), m.header.command, m.peer.ToString(),
                    mp::FormatVa(m.header.va));
      if (n) n->Nak(m, mp::Errc::kUnknownSession, "no client with that VA here");
      return;
    }
    ++delivered;
    target->OnUnsolicited(std::move(m));
  }
};

// ---------------------------------------------------------------------------- seats

GatewaySeat::~GatewaySeat() {
  if (gateway_) gateway_->ReleaseSeat();
}
GatewaySeat::GatewaySeat(GatewaySeat&& other) noexcept : gateway_(std::move(other.gateway_)) {}
GatewaySeat& GatewaySeat::operator=(GatewaySeat&& other) noexcept {
  if (this != &other) {
    if (gateway_) gateway_->ReleaseSeat();
    gateway_ = std::move(other.gateway_);
  }
  return *this;
}

// ---------------------------------------------------------------------------- gateway

Gateway::Gateway(boost::asio::io_context& io, size_t max_clients, mp::EngineConfig engine,
                 std::shared_ptr<Router> router)
    : io_(io),
      max_clients_(max_clients),
      engine_config_(std::move(engine)),
      router_(std::move(router)) {}

Result<std::shared_ptr<Gateway>> Gateway::Create(boost::asio::io_context& io,
                                                 GatewayConfig config) {
  if (config.max_clients == 0 || config.max_clients > kMaxClientsPerSocket) {
    return Fail(mp::Errc::kLimitExceeded,
                "max_clients must be 1..255 (spec 1.3), not " + std::to_string(config.max_clients));
  }
  if (!config.node.udp) config.node.udp = mp::Endpoint::Parse("0.0.0.0:0").value();
  auto router = std::make_shared<Router>();
  mp::NodeCallbacks cb;
  cb.on_message = [router](mp::Message&& m) { router->OnMessage(std::move(m)); };
  cb.on_error_report = [](const mp::ErrorReport& r) {
    spdlog::debug("dacp: gave up on {} to {}: {}", mp::CommandName(r.command), r.peer.ToString(),
                  r.text);
  };
  const mp::EngineConfig engine = config.node.engine;
  auto node = mp::Node::Create(io, std::move(config.node), std::move(cb));
  if (!node) return node.error();
  std::shared_ptr<Gateway> g(new Gateway(io, config.max_clients, engine, router));
  g->node_ = std::move(node).value();
  std::lock_guard lock(router->mu);
  router->node = g->node_.get();
  return g;
}

Gateway::~Gateway() {
  {
    std::lock_guard lock(router_->mu);
    router_->node = nullptr;
  }
  if (node_) node_->Stop();
}

void Gateway::Stop() {
  node_->Stop();
}

Result<GatewaySeat> Gateway::TakeSeat() {
  size_t now = router_->seated.load();
  do {
    if (now >= max_clients_) {
      return Fail(mp::Errc::kLimitExceeded,
                  "this socket already carries " + std::to_string(now) + " clients");
    }
  } while (!router_->seated.compare_exchange_weak(now, now + 1));
  return GatewaySeat(shared_from_this());
}

void Gateway::ReleaseSeat() {
  --router_->seated;
}

size_t Gateway::seated() const {
  return router_->seated.load();
}

GatewayStats Gateway::Stats() const {
  GatewayStats s;
  s.seated = router_->seated.load();
  s.delivered = router_->delivered.load();
  s.unrouted = router_->unrouted.load();
  std::lock_guard lock(router_->mu);
  s.routed = router_->by_va.size();
  return s;
}

void Gateway::Route(mp::Va va, const std::shared_ptr<Client>& client) {
  std::lock_guard lock(router_->mu);
  router_->by_va.emplace(va, Router::Entry{client.get(), client});
}

void Gateway::Unroute(mp::Va va, const Client* client) {
  std::lock_guard lock(router_->mu);
  auto [lo, hi] = router_->by_va.equal_range(va);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.raw == client) {
      router_->by_va.erase(it);
      return;
    }
  }
}

// ---------------------------------------------------------------------------- pool

GatewayPool::GatewayPool(boost::asio::io_context& io, GatewayPoolConfig config)
    : io_(io), config_(std::move(config)) {}

GatewayPool::~GatewayPool() = default;

Result<GatewaySeat> GatewayPool::Acquire() {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < gateways_.size(); ++i) {
    const size_t at = (hint_ + i) % gateways_.size();
    if (gateways_[at]->seated() >= gateways_[at]->max_clients()) continue;
    auto seat = gateways_[at]->TakeSeat();
    if (seat) {
      hint_ = at;
      return seat;
    }
  }
  GatewayConfig gc;
  gc.node = config_.node_for ? config_.node_for(gateways_.size()) : config_.node;
  gc.max_clients = config_.clients_per_socket;
  auto g = Gateway::Create(io_, std::move(gc));
  if (!g) return g.error();
  gateways_.push_back(*g);
  hint_ = gateways_.size() - 1;
  return gateways_.back()->TakeSeat();
}

size_t GatewayPool::sockets() const {
  std::lock_guard lock(mu_);
  return gateways_.size();
}

size_t GatewayPool::clients() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& g : gateways_)
    n += g->seated();
  return n;
}

std::vector<std::shared_ptr<Gateway>> GatewayPool::gateways() const {
  std::lock_guard lock(mu_);
  return gateways_;
}

void GatewayPool::Stop() {
  for (const auto& g : gateways())
    g->Stop();
}

}  // namespace dabs::dacp
