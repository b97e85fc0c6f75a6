#include "plant.h"

#include <boost/asio/steady_timer.hpp>

#include <dabs/mp/errc.h>

namespace dabs::emu {
namespace {

Error NoRoute(std::string detail) {
  return Error{make_error_code(mp::Errc::kNoRoute), std::move(detail)};
}

const char* MissingHardware(ChannelKind k) {
  switch (k) {
    case ChannelKind::kDocsis:
      return "no cable modem in this set-top";
    case ChannelKind::kOob:
      return "no OOB return transmitter in this set-top";
    case ChannelKind::kModem:
      return "no telephone modem in this set-top";
  }
  return "no such hardware";
}

// One installed reverse-channel module of one set-top: reaching the farm needs the hardware;
// then the set-top sends through the plant's pool for that channel.
class EmuChannel final : public dacp::ReverseChannel {
 public:
  EmuChannel(Plant& plant, uint32_t stb, ChannelKind kind)
      : plant_(plant), stb_(stb), kind_(kind) {}
  dacp::ChannelKind kind() const override { return ToDacp(kind_); }
  void Reach(std::function<void(Result<std::shared_ptr<dacp::GatewayPool>>)> done) override {
    if (!plant_.stb(stb_).HasHardware(kind_)) return done(NoRoute(MissingHardware(kind_)));
    done(plant_.PoolFor(stb_, kind_));
  }

 private:
  Plant& plant_;
  const uint32_t stb_;
  const ChannelKind kind_;
};

// Downloads over the in-band carousel (the forward path every set-top has): the module
// arrives when the carousel's next copy of it has gone by, plus a cycle per lost section.
class CarouselModules final : public dacp::ModuleSource {
 public:
  CarouselModules(Plant& plant, uint32_t stb)
      : plant_(plant), stb_(stb), random_(DeriveSeed(plant.stb(stb).index, 0xCA5E)) {}
  void Download(dacp::ChannelKind kind,
                std::function<void(Result<std::shared_ptr<dacp::ReverseChannel>>)> done) override {
    const ChannelKind k = FromDacp(kind);
    auto module = plant_.carousel().Find(ChannelName(k));
    if (!module)
      return done(NoRoute("no module '" + std::string(ChannelName(k)) + "' on the carousel"));
    const double now = plant_.now_s();
    const double complete = plant_.carousel().DownloadComplete(*module, now, random_);
    auto timer = std::make_shared<boost::asio::steady_timer>(
        plant_.io(), Seconds(std::max(0.0, complete - now)));
    timer->async_wait([timer, &plant = plant_, stb = stb_, k,
                       done = std::move(done)](const boost::system::error_code& ec) {
      if (ec) return done(NoRoute("download cancelled"));
      plant.Installed(stb, k);
      done(std::shared_ptr<dacp::ReverseChannel>(std::make_shared<EmuChannel>(plant, stb, k)));
    });
  }

 private:
  Plant& plant_;
  const uint32_t stb_;
  mp::SeededRandom random_;
};

uint64_t PoolKey(ChannelKind kind, uint32_t id) {
  return (uint64_t{static_cast<uint8_t>(kind)} << 32) | id;
}

}  // namespace

std::string PerStbAddress(uint32_t stb) {
  return "127." + std::to_string(10 + stb / 65536) + "." + std::to_string(stb / 256 % 256) + "." +
         std::to_string(stb % 256);
}

Plant::Plant(boost::asio::io_context& io, const Scenario& scenario, const Population& population,
             PlantAddressing addressing, std::function<double()> now_s)
    : io_(io),
      scenario_(scenario),
      population_(population),
      addressing_(std::move(addressing)),
      now_s_(std::move(now_s)),
      carousel_(scenario.carousel),
      downloaded_(new std::atomic<uint8_t>[population.size()]()) {
  for (int k = 0; k < kChannelKinds; ++k) {
    stats_[k] = std::make_shared<ChannelStats>();
    bursts_[k] = std::make_shared<LossBurstControl>();
  }
}

Plant::~Plant() {
  Stop();
}

std::vector<std::shared_ptr<dacp::ReverseChannel>> Plant::Installed(uint32_t stb) {
  std::vector<std::shared_ptr<dacp::ReverseChannel>> out;
  for (int k = 0; k < kChannelKinds; ++k) {
    const auto kind = static_cast<ChannelKind>(k);
    const bool downloaded = (downloaded_[stb].load() & Bit(kind)) != 0;
    if (population_[stb].HasModule(kind) || downloaded)
      out.push_back(std::make_shared<EmuChannel>(*this, stb, kind));
  }
  return out;
}

void Plant::Installed(uint32_t stb, ChannelKind kind) {
  ++downloads_;
  downloaded_[stb].fetch_or(Bit(kind));
}

std::unique_ptr<dacp::ModuleSource> Plant::ModulesFor(uint32_t stb) {
  return std::make_unique<CarouselModules>(*this, stb);
}

std::shared_ptr<OobNode> Plant::OobMedium(uint32_t node) {
  auto& m = oob_nodes_[node];
  if (!m)
    m = std::make_shared<OobNode>(scenario_.plant.oob, DeriveSeed(scenario_.seed, 0x00B0000 + node),
                                  stats_[1]);
  return m;
}

std::shared_ptr<DocsisGroup> Plant::DocsisMedium(uint32_t group) {
  auto& m = docsis_groups_[group];
  if (!m) {
    m = std::make_shared<DocsisGroup>(scenario_.plant.docsis,
                                      DeriveSeed(scenario_.seed, 0xD0C0000 + group), stats_[0]);
  }
  return m;
}

std::shared_ptr<mp::LinkShaper> Plant::Shaper(uint32_t stb, ChannelKind kind, bool gateway) {
  std::lock_guard lock(media_mu_);
  const StbRecord& r = population_[stb];
  const uint64_t seed = DeriveSeed(scenario_.seed, 0x5A4E0000 + ++shaper_seeds_);
  const auto burst = bursts_[static_cast<int>(kind)];
  switch (kind) {
    case ChannelKind::kDocsis:
      return std::make_shared<DocsisShaper>(DocsisMedium(r.docsis_group), seed, burst);
    case ChannelKind::kOob:
      return std::make_shared<OobShaper>(OobMedium(r.oob_node), gateway ? kAnyStation : r.index,
                                         seed, burst);
    case ChannelKind::kModem:
      return std::make_shared<ModemShaper>(
          std::make_shared<ModemLine>(scenario_.plant.modem, stats_[2]), seed, burst);
  }
  return nullptr;
}

std::shared_ptr<dacp::GatewayPool> Plant::NewPool(
    ChannelKind kind, const std::string& address,
    std::function<std::shared_ptr<mp::LinkShaper>()> shaper) {
  dacp::GatewayPoolConfig c;
  c.clients_per_socket = addressing_.clients_per_socket;
  c.node_for = [this, kind, address, shaper = std::move(shaper)](size_t) {
    mp::NodeConfig n;
    n.udp = mp::Endpoint::Parse(address + ":0").value();
    n.multicast_interface = addressing_.multicast_interface;
    n.udp_offload = false;  // thousands of small sockets: no 512 KiB GRO buffers each
    n.socket_buffer_bytes = 256 << 10;
    n.receive_budget = 64;
    n.shaper = shaper();
    // A gateway socket is one MP peer for hundreds of set-tops, so a dead DASP's timeouts
    // back the shared per-peer timer off hundreds of times over (RFC 6298 5.5, once per
    // flight): capped at 10 s, the set-tops would take a minute to notice. On DOCSIS 2 s is
    // still far above the round trip (D52). Not on the OOB return, whose contention delays
    // reach seconds: there a 2 s cap resends into the collisions and the channel collapses
    // (the demo's 4 OOB nodes carried 92 datagrams per request), so it keeps the default.
    if (kind == ChannelKind::kDocsis) n.engine.rto.ceiling = std::chrono::seconds(2);
    return n;
  };
  return std::make_shared<dacp::GatewayPool>(io_, std::move(c));
}

Result<std::shared_ptr<dacp::GatewayPool>> Plant::PoolFor(uint32_t stb, ChannelKind kind) {
  std::lock_guard lock(mu_);
  const StbRecord& r = population_[stb];
  const bool gateway =
      scenario_.endpoint_mode == EndpointMode::kGateway && kind != ChannelKind::kModem;
  const uint64_t key = gateway
                           ? PoolKey(kind, kind == ChannelKind::kOob ? r.oob_node : r.docsis_group)
                           : (uint64_t{1} << 40) | PoolKey(kind, stb);
  auto& pool = pools_[key];
  if (!pool) {
    const bool own_address = !gateway && addressing_.loopback_per_stb;
    const std::string address = own_address ? PerStbAddress(stb) : addressing_.bind_address;
    // Each socket gets its own shaper (shapers follow one node's strand); the medium behind
    // them is shared.
    pool =
        NewPool(kind, address, [this, stb, kind, gateway] { return Shaper(stb, kind, gateway); });
  }
  return pool;
}

void Plant::LossBurst(ChannelKind kind, double loss, double for_s) {
  bursts_[static_cast<int>(kind)]->Start(loss, std::chrono::steady_clock::now() + Seconds(for_s));
}

ChannelCounts Plant::Counts(ChannelKind kind) const {
  return stats_[static_cast<int>(kind)]->Snapshot();
}

uint64_t Plant::downloads() const {
  return downloads_.load();
}

size_t Plant::sockets() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, pool] : pools_)
    n += pool->sockets();
  return n;
}

void Plant::Stop() {
  std::map<uint64_t, std::shared_ptr<dacp::GatewayPool>> pools;
  {
    std::lock_guard lock(mu_);
    pools = pools_;
  }
  for (auto& [key, pool] : pools)
    pool->Stop();
}

}  // namespace dabs::emu
