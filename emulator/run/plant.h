// The plant as dabs-emu wires it: for every OOB node, DOCSIS service group and modem line a
// shared medium (emulator/model), and the sockets set-tops send through, each with its own
// shaper on that medium. Gateway mode: one pool of sockets per OOB node and per DOCSIS group
// (at most 200 set-tops per socket, decision D48), one per modem set-top (a phone line is
// not shared). Per-set-top mode: one socket per set-top and channel, each bound to its own
// loopback address 127.a.b.c (or the farm's client address for a farm in namespaces).
//
// It also gives each set-top its reverse-channel modules (dacp::ReverseChannel: reaching the
// farm needs the hardware) and a module source over the carousel (a download takes the
// carousel's time, then the module is installed).
//
// Thread safety: every public method is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <dabs/dacp/gateway.h>
#include <dabs/dacp/reverse_channel.h>
#include <dabs/emu/carousel.h>
#include <dabs/emu/channels/channel.h>
#include <dabs/emu/channels/docsis.h>
#include <dabs/emu/channels/modem.h>
#include <dabs/emu/channels/oob.h>
#include <dabs/emu/population.h>
#include <dabs/emu/scenario.h>

namespace dabs::emu {

struct PlantAddressing {
  std::string multicast_interface = "127.0.0.1";  // the farm's interface: group sends leave here
  // Gateway sockets bind here; per-set-top sockets too unless `loopback_per_stb`.
  std::string bind_address = "127.0.0.1";
  bool loopback_per_stb = true;  // per-set-top mode: 127.a.b.c per set-top (a farm on loopback)
  size_t clients_per_socket = dacp::kDefaultClientsPerSocket;
};

// The emulator's kinds and the framework's are the same three, in the same order (the plant
// model keeps its own so that it depends on mp alone).
static_assert(static_cast<int>(ChannelKind::kDocsis) ==
                  static_cast<int>(dacp::ChannelKind::kDocsis) &&
              static_cast<int>(ChannelKind::kOob) == static_cast<int>(dacp::ChannelKind::kOob) &&
              static_cast<int>(ChannelKind::kModem) == static_cast<int>(dacp::ChannelKind::kModem));
inline dacp::ChannelKind ToDacp(ChannelKind k) {
  return static_cast<dacp::ChannelKind>(k);
}
inline ChannelKind FromDacp(dacp::ChannelKind k) {
  return static_cast<ChannelKind>(k);
}

// The loopback address of set-top `stb` in per-set-top mode: 127.(10 + stb / 65536).(stb / 256 %
// 256).(stb % 256).
std::string PerStbAddress(uint32_t stb);

class Plant {
 public:
  // `io` and `population` must outlive the plant. `now_s` is the run's clock (seconds since
  // the run began), for the carousel.
  Plant(boost::asio::io_context& io, const Scenario& scenario, const Population& population,
        PlantAddressing addressing, std::function<double()> now_s);
  ~Plant();
  Plant(const Plant&) = delete;
  Plant& operator=(const Plant&) = delete;

  // The modules installed on `stb` (its profile's installed_modules).
  std::vector<std::shared_ptr<dacp::ReverseChannel>> Installed(uint32_t stb);
  // Downloads for `stb` over the carousel. Owned by the caller; must outlive its selections.
  std::unique_ptr<dacp::ModuleSource> ModulesFor(uint32_t stb);

  // The fault timeline's loss_burst on every shaper of one channel kind.
  void LossBurst(ChannelKind kind, double loss, double for_s);
  // Counters per channel kind, for the report.
  ChannelCounts Counts(ChannelKind kind) const;
  uint64_t downloads() const;
  size_t sockets() const;
  // Stops every socket (pending sends fail with kCancelled).
  void Stop();

  // For the modules: the pool that `stb` reaches the farm through on `kind`. REQUIRES: the
  // set-top has that hardware.
  Result<std::shared_ptr<dacp::GatewayPool>> PoolFor(uint32_t stb, ChannelKind kind);
  const StbRecord& stb(uint32_t i) const { return population_[i]; }
  boost::asio::io_context& io() { return io_; }
  const Carousel& carousel() const { return carousel_; }
  double now_s() const { return now_s_(); }
  // A module downloaded to `stb` stays installed (later sessions do not download it again).
  void Installed(uint32_t stb, ChannelKind kind);

 private:
  std::shared_ptr<dacp::GatewayPool> NewPool(
      ChannelKind kind, const std::string& address,
      std::function<std::shared_ptr<mp::LinkShaper>()> shaper);
  std::shared_ptr<mp::LinkShaper> Shaper(uint32_t stb, ChannelKind kind, bool gateway);
  std::shared_ptr<OobNode> OobMedium(uint32_t node);
  std::shared_ptr<DocsisGroup> DocsisMedium(uint32_t group);

  boost::asio::io_context& io_;
  const Scenario& scenario_;
  const Population& population_;
  const PlantAddressing addressing_;
  std::function<double()> now_s_;
  Carousel carousel_;
  std::array<std::shared_ptr<ChannelStats>, kChannelKinds> stats_;
  std::array<std::shared_ptr<LossBurstControl>, kChannelKinds> bursts_;

  std::mutex media_mu_;  // the media and the seeds (sockets open lazily, from any thread)
  std::map<uint32_t, std::shared_ptr<OobNode>> oob_nodes_;
  std::map<uint32_t, std::shared_ptr<DocsisGroup>> docsis_groups_;
  uint64_t shaper_seeds_ = 0;
  mutable std::mutex mu_;  // the pools
  // Pools by key: gateway mode (kind, node or group) for OOB and DOCSIS; (kind, set-top)
  // for modems and for every channel in per-set-top mode.
  std::map<uint64_t, std::shared_ptr<dacp::GatewayPool>> pools_;
  std::atomic<uint64_t> downloads_{0};
  std::unique_ptr<std::atomic<uint8_t>[]>
      downloaded_;  // per set-top: ChannelMask of modules downloaded
};

}  // namespace dabs::emu
