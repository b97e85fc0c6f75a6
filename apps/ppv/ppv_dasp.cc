// ppv-dasp: the pay-per-view application's server portion (docs/spec/mp.md section 9,
// apps/ppv/README.md). Its own options come first in the farm file's `args`; everything
// else is the DASP framework's command line (docs/dasp.md):
//
//   ppv-dasp --catalogue FILE --ledger DIR [--ledger-map-mb N] FRAMEWORK OPTIONS...
//   ppv-dasp --hash-pin [--pin-iterations N] < PIN     prints a pin_hash for the catalogue
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <dabs/dasp/main.h>
#include <dabs/mp/clock.h>

#include "catalogue.h"
#include "ledger.h"
#include "pin_hash.h"
#include "ppv_server.h"

namespace {

using namespace dabs;

constexpr char kUsage[] =
    "ppv-dasp: the pay-per-view application's server portion\n"
    "\n"
    "ppv's own options (before or among the framework's):\n"
    "  --catalogue FILE     the events, subscribers and PIN policy (YAML; required)\n"
    "  --ledger DIR         the purchase ledger, an LMDB directory (required). Every ppv-dasp\n"
    "                       on a host must name the same one (apps/ppv/README.md)\n"
    "  --ledger-map-mb N    the ledger's map size, 16..1048576 (default 1024)\n"
    "  --hash-pin           read a PIN from standard input, print its pin_hash, exit\n"
    "  --pin-iterations N   PBKDF2 iterations of --hash-pin (default 4096)\n"
    "\n"
    "The DASP framework's options follow.\n\n";

struct Options {
  std::string catalogue, ledger;
  uint64_t map_mb = 1024;
  bool hash_pin = false;
  uint64_t pin_iterations = ppv::kDefaultPinIterations;
  std::vector<char*> rest;  // for RunDasp, argv[0] first
};

int Bad(const std::string& why) {
  std::fprintf(stderr, "ppv-dasp: %s (see --help)\n", why.c_str());
  return 2;
}

std::optional<uint64_t> Number(const std::string& s, uint64_t min, uint64_t max) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(s, &used);
    if (used == s.size() && v >= min && v <= max && s[0] != '-') return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Takes ppv's options out of argv (`--name VALUE` or `--name=VALUE`); the rest is the
// framework's. An empty string on success, else what is wrong.
std::string Parse(int argc, char** argv, Options& o) {
  o.rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    const bool flag = arg == "--hash-pin";
    const bool ours = flag || arg.starts_with("--catalogue") || arg.starts_with("--ledger") ||
                      arg.starts_with("--pin-iterations");
    if (!ours) {
      o.rest.push_back(argv[i]);
      continue;
    }
    if (flag) {
      o.hash_pin = true;
      continue;
    }
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return arg + " needs a value";
    }
    if (arg == "--catalogue") {
      o.catalogue = value;
    } else if (arg == "--ledger") {
      o.ledger = value;
    } else if (arg == "--ledger-map-mb") {
      auto n = Number(value, 16, 1 << 20);
      if (!n) return "--ledger-map-mb must be a number from 16 to 1048576";
      o.map_mb = *n;
    } else if (arg == "--pin-iterations") {
      auto n = Number(value, ppv::kMinPinIterations, ppv::kMaxPinIterations);
      if (!n) return "--pin-iterations must be a number from 1000 to 10000000";
      o.pin_iterations = *n;
    } else {
      return "unknown option " + arg;
    }
    if (value.empty()) return arg + " needs a value";
  }
  return {};
}

int HashPinFromStdin(uint64_t iterations) {
  std::string pin;
  std::getline(std::cin, pin);
  if (!ppv::Valid(ppv::PurchaseRequest{1, 0, pin}))
    return Bad("a PIN is 4 to 8 digits, on one line of standard input");
  auto hash = ppv::HashPin(pin, static_cast<uint32_t>(iterations));
  if (!hash) {
    std::fprintf(stderr, "ppv-dasp: %s\n", hash.error().Message().c_str());
    return 1;
  }
  std::printf("%s\n", hash->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      char* help[] = {argv[0], argv[i], nullptr};
      return dasp::RunDasp(2, help, "ppv", [] { return nullptr; });
    }
  }
  Options o;
  if (auto why = Parse(argc, argv, o); !why.empty()) return Bad(why);
  if (o.hash_pin) return HashPinFromStdin(o.pin_iterations);
  if (o.catalogue.empty()) return Bad("--catalogue FILE is required");
  if (o.ledger.empty()) return Bad("--ledger DIR is required");

  std::vector<std::string> problems;
  auto catalogue = ppv::LoadCatalogue(o.catalogue, &problems);
  if (!catalogue) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s\n", p.c_str());
    std::fprintf(stderr, "ppv-dasp: %s is not a valid catalogue\n", o.catalogue.c_str());
    return 2;
  }
  ppv::LedgerOptions lo;
  lo.dir = o.ledger;
  lo.map_bytes = size_t{o.map_mb} << 20;
  auto ledger = ppv::Ledger::Open(lo, catalogue->pin_policy());
  if (!ledger) {
    std::fprintf(stderr, "ppv-dasp: --ledger %s: %s\n", o.ledger.c_str(),
                 ledger.error().Message().c_str());
    return 1;
  }
  ppv::PpvShared shared;
  shared.catalogue = std::make_shared<const ppv::Catalogue>(std::move(*catalogue));
  shared.ledger = std::shared_ptr<ppv::Ledger>(std::move(*ledger));
  shared.clock = std::make_shared<mp::SystemClock>();
  const std::string where = "catalogue " + std::filesystem::absolute(o.catalogue).string() + " (" +
                            std::to_string(shared.catalogue->events().size()) +
                            " events), ledger " + shared.ledger->dir().string();
  auto logged = std::make_shared<std::once_flag>();
  const int rest = static_cast<int>(o.rest.size());
  o.rest.push_back(nullptr);  // argv[argc], as main's own
  // The factory runs once the framework has taken its arguments (and set up its log).
  const int exit_code = dasp::RunDasp(rest, o.rest.data(), "ppv", [shared, where, logged] {
    std::call_once(*logged, [&] { spdlog::info("{}", where); });
    return std::make_unique<ppv::PpvServer>(shared);
  });
  shared.ledger->Close();  // anything still queued is decided (and on disk) before the exit
  return exit_code;
}
