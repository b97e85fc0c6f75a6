// dabs-emu: thousands of set-tops and the plant between them and a real farm.
//   dabs-emu run SCENARIO.yaml --farm FILE [--report DIR] [--farm-state DIR]
//   dabs-emu check SCENARIO.yaml
// (shared/spec/config.md; the scenario reference is docs/emulator.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <dabs/config/farm.h>
#include <dabs/config/load.h>
#include <dabs/emu/scenario.h>
#include <dabs/mp/identity_key.h>
#include <dabs/mp/result.h>
#include <dabs/mp/session_handshake.h>

#include "calc_client.h"
#include "echo_client.h"
#include "emulation.h"
#include "ppv_client_app.h"

namespace {

namespace fs = std::filesystem;

int Fail(const std::string& line) {
  std::fprintf(stderr, "dabs-emu: %s\n", line.c_str());
  return 1;
}

// The scenario, or every problem on stderr.
std::optional<dabs::emu::Scenario> Load(const fs::path& file) {
  std::vector<std::string> problems;
  auto s = dabs::emu::LoadScenario(file, &problems);
  if (s) return std::move(*s);
  for (const auto& p : problems)
    std::fprintf(stderr, "%s\n", p.c_str());
  if (problems.empty()) std::fprintf(stderr, "%s\n", s.error().Message().c_str());
  std::fprintf(stderr, "dabs-emu: %s is not a valid scenario\n", file.string().c_str());
  return std::nullopt;
}

// The farm's client-side address (a farm in namespaces: the bridge's), from farm.json.
std::optional<std::string> ClientAddress(const fs::path& farm_dir) {
  std::ifstream in(farm_dir / "farm.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("client_address")) return std::nullopt;
  return j.value("client_address", "");
}

struct Flags {
  fs::path scenario, farm_file, report_dir, farm_state;
  std::optional<uint32_t> stbs;
  std::optional<double> duration;
  std::optional<uint64_t> seed;
  std::optional<std::string> mode;
  int threads = 2;
  bool json = false, quiet = false;
  double drain_s = 10;
  std::string log_level = "warn";
  std::filesystem::path farm_public_key;
};

// What each application's set-tops offer: the farm file's apps[].encryption, checked with the
// farm's public key (--farm-public-key, else farm.identity_key's FILE.pub beside it, as
// dabsctl keygen writes it).
dabs::Result<std::map<std::string, dabs::mp::ClientEncryption>> EncryptionOf(
    const dabs::config::FarmConfig& farm, const Flags& f) {
  std::map<std::string, dabs::mp::ClientEncryption> out;
  std::shared_ptr<const dabs::mp::FarmPublicKey> key;
  for (const auto& app : farm.apps) {
    auto policy = dabs::mp::ParseEncryptionPolicy(app.encryption);
    if (!policy || *policy == dabs::mp::EncryptionPolicy::kOff) continue;
    if (!key) {
      const std::filesystem::path path = !f.farm_public_key.empty() ? f.farm_public_key
                                         : farm.identity_key
                                             ? std::filesystem::path(*farm.identity_key + ".pub")
                                             : std::filesystem::path();
      if (path.empty()) {
        return dabs::Error{{}, "apps[" + app.name + "] is encrypted: give --farm-public-key FILE"};
      }
      auto loaded = dabs::mp::FarmPublicKey::Load(path);
      if (!loaded) {
        return dabs::Error{{},
                           "apps[" + app.name + "] is encrypted, and the farm's public key " +
                               path.string() + " does not load: " + loaded.error().Message() +
                               " (dabsctl keygen writes FILE.pub; or give --farm-public-key)"};
      }
      key = std::make_shared<const dabs::mp::FarmPublicKey>(std::move(*loaded));
    }
    dabs::mp::ClientEncryption e;
    e.policy = *policy;
    e.farm_key = key;
    out.emplace(app.name, std::move(e));
  }
  return out;
}

int Run(const Flags& f) {
  auto scenario = Load(f.scenario);
  if (!scenario) return 2;
  std::vector<dabs::config::Problem> problems;
  auto loaded = dabs::config::LoadFarmFile(f.farm_file, &problems);
  if (!loaded) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return Fail(f.farm_file.string() + " is not a valid farm file");
  }
  auto farm = dabs::config::Build(loaded->records);
  if (!farm) return Fail(farm.error().Message());
  if (f.stbs) scenario->stbs = *f.stbs;
  if (f.duration) scenario->duration_s = *f.duration;
  if (f.seed) scenario->seed = *f.seed;
  if (f.mode)
    scenario->endpoint_mode =
        *f.mode == "gateway" ? dabs::emu::EndpointMode::kGateway : dabs::emu::EndpointMode::kPerStb;

  dabs::emu::EmulationOptions o;
  o.scenario = std::move(*scenario);
  o.scenario_name = f.scenario.filename().string();
  o.farm_group = farm->group;
  if (auto e = EncryptionOf(*farm, f); !e) {
    return Fail(e.error().detail);
  } else {
    o.encryption = std::move(*e);
  }
  o.addressing.multicast_interface = farm->interface == "0.0.0.0" ? "127.0.0.1" : farm->interface;
  o.addressing.bind_address = "127.0.0.1";
  if (!f.farm_state.empty()) {
    o.farm_dir = f.farm_state;
    // A farm in namespaces: set-tops are on the root side of its bridge.
    if (auto a = ClientAddress(f.farm_state); a && !a->empty() && *a != "127.0.0.1") {
      o.addressing.multicast_interface = *a;
      o.addressing.bind_address = *a;
      o.addressing.loopback_per_stb = false;
    }
  }
  if (!f.report_dir.empty()) o.report_dir = f.report_dir;
  o.io_threads = f.threads;
  o.drain_s = f.drain_s;
  o.show_progress = !f.quiet;
  o.progress.json = f.json;
  o.progress.tty = dabs::emu::ProgressPrinter::IsTerminal(stderr);
  o.progress.interval_s = 5;
  auto summary = dabs::emu::RunEmulation(o);
  if (!summary) return Fail(summary.error().Message());
  const auto& e = summary->end;
  std::fprintf(stderr,
               "dabs-emu: %llu set-tops, %llu sessions opened (%llu failed), %llu requests ok "
               "(%llu failed), "
               "%llu local operations, %llu re-homed, %llu module downloads%s\n",
               static_cast<unsigned long long>(e.stbs_started),
               static_cast<unsigned long long>(e.sessions_opened),
               static_cast<unsigned long long>(e.sessions_failed),
               static_cast<unsigned long long>(e.requests_ok),
               static_cast<unsigned long long>(e.requests_failed),
               static_cast<unsigned long long>(e.local_ops),
               static_cast<unsigned long long>(e.rehomed),
               static_cast<unsigned long long>(summary->module_downloads),
               o.report_dir ? (", report in " + o.report_dir->string()).c_str() : "");
  return 0;
}

// The command line: `run` fills `f`, `check` fills `check_file`.
struct Cli {
  CLI::App app{
      "dabs-emu: emulated set-tops and plant (OOB, DOCSIS, modem, carousel) against a real dabs "
      "farm"};
  CLI::App* run = nullptr;
  CLI::App* check = nullptr;
};

void DefineCli(Cli& c, Flags& f, fs::path& check_file) {
  CLI::App& cli = c.app;
  cli.require_subcommand(1);
  c.run = cli.add_subcommand("run", "Run a scenario against a running farm");
  c.run->add_option("scenario", f.scenario, "The scenario (YAML; docs/emulator.md)")
      ->required()
      ->check(CLI::ExistingFile);
  c.run
      ->add_option("--farm", f.farm_file,
                   "The farm file (its group is where set-tops open sessions)")
      ->required()
      ->check(CLI::ExistingFile);
  c.run->add_option("--report", f.report_dir, "Write report.json, timeline.csv and charts here");
  c.run->add_option("--farm-public-key", f.farm_public_key,
                    "The farm's public key (PEM or hex) for encrypted applications (default: "
                    "farm.identity_key's FILE.pub)");
  c.run->add_option("--farm-state", f.farm_state,
                    "dabs-farm's --state-dir: needed by server faults (kill, stop, restart, "
                    "partition) and for a farm in namespaces");
  c.run->add_option("--stbs", f.stbs, "Override the scenario's set-top count")
      ->check(CLI::Range(1u, dabs::emu::kMaxStbs));
  c.run->add_option("--duration", f.duration, "Override the scenario's duration (seconds)")
      ->check(CLI::PositiveNumber);
  c.run->add_option("--seed", f.seed, "Override the scenario's random seed");
  c.run->add_option("--endpoint-mode", f.mode, "Override the endpoint mode")
      ->check(CLI::IsMember({"per_stb", "gateway"}));
  c.run->add_option("--threads", f.threads, "I/O threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  c.run->add_option("--drain", f.drain_s, "Seconds to close every session at the end")
      ->capture_default_str();
  c.run->add_flag("--json", f.json, "Progress as one JSON object per line");
  c.run->add_flag("--quiet", f.quiet, "No progress lines");
  c.run->add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  c.check = cli.add_subcommand("check", "Validate a scenario and print what it describes");
  c.check->add_option("scenario", check_file, "The scenario (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  fs::path check_file;
  Cli c;
  DefineCli(c, f, check_file);
  CLI::App& cli = c.app;
  auto* run = c.run;
  auto* check = c.check;
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "CallForHelp") {
      std::fputs((cli.got_subcommand("run")     ? run->help()
                  : cli.got_subcommand("check") ? check->help()
                                                : cli.help())
                     .c_str(),
                 stdout);
      return 0;
    }
    std::fprintf(stderr, "dabs-emu: %s (see --help)\n", e.what());
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("dabs-emu"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  (void)dabs::calculator::RegisterClient();
  (void)dabs::echo::RegisterClient();
  auto ppv = std::make_shared<dabs::ppv::ClientFigures>();  // counted across every set-top
  (void)dabs::ppv::RegisterClient(ppv);
  if (cli.got_subcommand("check")) {
    auto s = Load(check_file);
    if (!s) return 2;
    std::printf("%s: %u set-tops, %zu profiles, %.0f s, seed %llu, %s mode, %zu faults\n",
                check_file.string().c_str(), s->stbs, s->profiles.size(), s->duration_s,
                static_cast<unsigned long long>(s->seed),
                s->endpoint_mode == dabs::emu::EndpointMode::kGateway ? "gateway" : "per_stb",
                s->faults.size());
    return 0;
  }
  const int rc = Run(f);
  if (ppv->Any()) {
    std::fprintf(stderr, "dabs-emu: %s\n", ppv->Summary().c_str());
    if (!f.report_dir.empty()) std::ofstream(f.report_dir / "ppv.json") << ppv->Json() << "\n";
  }
  return rc;
}
