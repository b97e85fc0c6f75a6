// A dabs-emu scenario: the set-top population, the plant and its channels, the carousel, the
// viewers and a timeline of faults, loaded from YAML with every field checked. Reference:
// docs/emulator.md. Units are in the key names (_s, _ms, _bps, _bytes, _kb).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/faults.h>
#include <dabs/mp/result.h>

namespace dabs::emu {

// The reverse (and forward) channels a set-top may have. A ChannelMask holds one bit each.
enum class ChannelKind : uint8_t { kDocsis = 0, kOob = 1, kModem = 2 };
inline constexpr int kChannelKinds = 3;
using ChannelMask = uint8_t;
constexpr ChannelMask Bit(ChannelKind c) {
  return static_cast<ChannelMask>(1u << static_cast<int>(c));
}
// "docsis", "oob", "modem": the names scenarios, modules and the report use.
std::string_view ChannelName(ChannelKind c);

enum class EndpointMode : uint8_t { kPerStb, kGateway };

// A random quantity: fixed, exponential (mean) or uniform [min, max].
struct Distribution {
  enum class Kind : uint8_t { kFixed, kExponential, kUniform };
  Kind kind = Kind::kExponential;
  double mean = 1;
  double min = 0;
  double max = 0;

  // A sample (never negative). Not thread-safe (the Random is not).
  double Sample(mp::Random& random) const;
  double Mean() const { return kind == Kind::kUniform ? (min + max) / 2 : mean; }
};

struct Profile {
  std::string name;
  double share = 1;  // fraction of the set-tops
  ChannelMask channels = Bit(ChannelKind::kDocsis) | Bit(ChannelKind::kOob);  // hardware
  ChannelMask installed_modules = Bit(ChannelKind::kDocsis) | Bit(ChannelKind::kOob);
  bool fpu = true;
  bool encryption = false;
  uint32_t memory_kb = 8192;
  std::vector<std::string> apps{"echo"};
};

// OOB: SCTE 55-1 (forward 2.048 Mbps, return 256 kbps); 55-2 forward 1.544 / 3.088 Mbps.
struct OobParams {
  double forward_bps = 2'048'000;
  double return_bps = 256'000;
  double forward_delay_ms = 2;  // fixed: head-end equipment and plant (assumed)
  double return_delay_ms = 2;
  uint32_t slot_bytes = 53;      // return slot length: one ATM cell's airtime
  uint32_t mac_attempts = 8;     // transmissions before the MAC gives a datagram up
  double backoff_short_ms = 10;  // first back-off: uniform in [0, short)
  double backoff_long_ms = 100;  // later back-offs: uniform in [0, long)
  mp::FaultProfile faults;
};

// DOCSIS 3.0: one 256-QAM downstream channel; upstream by request-grant on MAP intervals.
struct DocsisParams {
  double downstream_bps = 38'000'000;
  double upstream_bps = 27'000'000;  // one 64-QAM 6.4 MHz upstream channel, after overhead
  double downstream_delay_ms = 1;
  double upstream_delay_ms = 1;  // CMTS to the farm, plant propagation
  double map_interval_ms = 2;
  uint32_t grant_delay_maps = 4;  // a request is granted this many MAPs after the next
  bool aqm = true;                // DOCSIS-PIE (RFC 8034) on the upstream queue
  double aqm_target_ms = 10;      // PIE's latency target; the queue swings 0.5x..2x of it
  double buffer_ms = 250;         // the upstream buffer without AQM, in time at the rate
  double upstream_load = 0;       // other subscribers' use of the upstream, 0..1 (1: saturated)
  mp::FaultProfile faults;
};

// Telephone modem: V.34 33.6 kbps up, V.90 56 kbps down.
struct ModemParams {
  double up_bps = 33'600;
  double down_bps = 56'000;
  double delay_ms = 40;       // one way, framing and error correction (assumed)
  double connect_s = 20;      // dial, train and log in (assumed)
  double idle_hangup_s = 60;  // the call is dropped after this long without traffic
  mp::FaultProfile faults;
};

struct PlantParams {
  uint32_t stbs_per_oob_node = 1000;
  uint32_t stbs_per_docsis_group = 500;
  OobParams oob;
  DocsisParams docsis;
  ModemParams modem;
};

struct CarouselModule {
  std::string name;
  uint64_t size_bytes = 0;
  uint32_t repetition = 1;  // times per cycle
  double section_loss = 0;  // probability a 4 KiB section is lost on one pass
};

struct CarouselParams {
  double bitrate_bps = 1'000'000;
  std::vector<CarouselModule> modules;  // default: docsis, oob and modem channel modules
};

struct FlashCrowd {
  double at_s = 0;
  uint32_t stbs = 0;
  double within_s = 1;
};

// How one application's client behaves within a session.
struct AppLoad {
  std::string name;
  Distribution think_time_ms{Distribution::Kind::kExponential, 1000, 0, 0};
};

struct ViewerParams {
  double tune_rate_per_s = 10;  // Poisson arrivals of tune-ins (set-tops opening a session)
  std::vector<FlashCrowd> flash_crowds;
  Distribution session_length_s{Distribution::Kind::kExponential, 30, 0, 0};
  std::vector<AppLoad> apps;  // apps not listed use default_app
  AppLoad default_app{"", {Distribution::Kind::kExponential, 1000, 0, 0}};

  // The load of app `name` (default_app when not listed).
  const AppLoad& For(std::string_view name) const;
};

struct FaultEvent {
  enum class Action : uint8_t { kKill, kStop, kRestart, kPartition, kHeal, kLossBurst };
  double at_s = 0;
  Action action = Action::kKill;
  std::string server;                       // kill, stop, restart, partition; heal: empty means all
  ChannelKind channel = ChannelKind::kOob;  // loss_burst
  double loss = 0;                          // loss_burst
  double for_s = 0;                         // loss_burst
};
std::string_view ActionName(FaultEvent::Action a);

struct Scenario {
  std::string file;  // where it was loaded from, for messages
  double duration_s = 60;
  uint64_t seed = 1;
  EndpointMode endpoint_mode = EndpointMode::kPerStb;
  uint32_t stbs = 100;
  std::vector<Profile> profiles{Profile{.name = "default"}};
  PlantParams plant;
  CarouselParams carousel;
  ViewerParams viewers;
  std::vector<FaultEvent> faults;  // in time order
};

// The limit on set-tops one scenario may declare (a named constant, STYLE 8).
inline constexpr uint32_t kMaxStbs = 1'000'000;

// Parses a scenario. Each problem is "NAME:LINE:COLUMN: message" naming the key; the error
// (kMalformed) carries the first and how many more, `problems` (optional) receives them all.
// Thread-safe.
Result<Scenario> ParseScenario(std::string_view yaml, const std::string& name,
                               std::vector<std::string>* problems = nullptr);
// Reads and parses a file; an unreadable file is one problem naming it.
Result<Scenario> LoadScenario(const std::filesystem::path& file,
                              std::vector<std::string>* problems = nullptr);

}  // namespace dabs::emu
