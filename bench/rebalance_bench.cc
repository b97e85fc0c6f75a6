// rebalance_bench: starvation avoidance on a real 3-server farm (dabs-farm up), in one run, as
// one JSON object. Set-tops count with the counter application (every reply checked: a lost or
// doubled ADD shows as a wrong total), and each scenario runs twice, with rebalancing on and
// with it off (placement.rebalance_period_ms 0) as the baseline:
//
//  - starvation: s1's DASPs are slowed by a fault (DABS_FAULT_HANDLER_DELAY, 30 ms a message).
//    Seconds from s1 becoming a source until it is one no more; moves; the pause each move made
//    (a set-top's last reply from the source to its first from the sink) p50/p99; the ADD round
//    trip p50/p99 and ADDs/s; lost or doubled ADDs.
//  - spread: an application started on demand (start_at_init 0) and sessions opened one after
//    another; under `spread` the farm evens them out. Max/mean sessions per server at the end,
//    moves, and moves per second while it evened out.
//
//   build/bin/rebalance_bench --json            # network namespaces, about 3 minutes
//   build/bin/rebalance_bench --json --quick    # smoke: loopback, short
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

#include "counting_client.h"
#include "farm_process.h"
#include "percentiles.h"
#include "store_reads.h"

namespace {

using namespace dabs;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;
namespace ft = dabs::farm::testing;
using Counting = dabs::testing::CountingClient;

using dabs::bench::Percentiles;

struct Options {
  fs::path bin, dir;
  bool netns = true;
  int clients = 24;
  std::chrono::seconds duration{20};
  int period_ms = 300;
  std::string log_level = "warning";      // the daemons'
  std::chrono::microseconds think{2000};  // a set-top's pause between ADDs
};

// One farm with counting set-tops; the scenario's figures.
class Scenario {
 public:
  Scenario(const Options& o, const std::string& name, bool rebalance) : o_(o), name_(name) {
    farm_ = ft::UniqueFarm();
    farm_.rebalance_period_ms = rebalance ? o.period_ms : 0;
    farm_.min_free_cpu_pct = 0;
    ft::TestApp counter;
    counter.name = "counter";
    counter.dasp = (o.bin / "counter-dasp").string();
    farm_.apps.push_back(counter);
  }
  ~Scenario() {
    for (auto& c : counting_)
      c->Stop();
    for (auto& c : counting_) {
      for (int i = 0; i < 100 && !c->idle; ++i)
        std::this_thread::sleep_for(50ms);
    }
    counting_.clear();
    gateway_.reset();
    stores_.clear();
    if (process_) process_->Stop();
  }

  ft::TestFarm& farm() { return farm_; }

  bool Start() {
    const fs::path dir = o_.dir / name_;
    fs::remove_all(dir);
    fs::create_directories(dir);
    ft::FarmProcess::Options fo;
    fo.dabs_farm = o_.bin / "dabs-farm";
    fo.farm_file = ft::WriteFarmFile(farm_, dir);
    fo.state_dir = dir / "farm";
    fo.netns = o_.netns;
    fo.daemons = {"dabs-lbd"};
    fo.log_level = o_.log_level;
    auto p = ft::FarmProcess::Start(fo);
    if (!p) {
      std::fprintf(stderr, "rebalance_bench: %s: %s\n", name_.c_str(), p.error().Message().c_str());
      return false;
    }
    process_ = std::move(*p);
    dacp::GatewayConfig gc;
    gc.node.udp = mp::Endpoint::Parse(process_->client_address() + ":0").value();
    gc.node.multicast_interface = process_->client_address();
    gc.node.udp_offload = false;
    gateway_ = dacp::Gateway::Create(io_.io(), gc).value();
    return true;
  }

  int Open(int n) {
    int failed = 0;
    const auto group =
        mp::Endpoint::Parse(farm_.group_prefix + "1:" + std::to_string(farm_.port)).value();
    for (int i = 0; i < n; ++i) {
      auto c = Counting::Open(*gateway_, io_.io(), group, "stb-" + std::to_string(i), o_.think);
      if (!c) {
        ++failed;
        continue;
      }
      counting_.push_back(std::move(*c));
      counting_.back()->Start();
    }
    return failed;
  }

  store::Store& StoreOf(const std::string& server) {
    auto& s = stores_[server];
    if (!s) s = store::Store::Open(process_->server_dir(server) / "store").value();
    return *s;
  }
  std::string Balance(const std::string& server) {
    auto all = ft::ServerRecords(StoreOf(server));
    return all.count(server) ? all.at(server).balance : "";
  }
  std::map<std::string, int> SessionsPerServer() {
    std::map<std::string, int> per{{"s1", 0}, {"s2", 0}, {"s3", 0}};
    for (const auto& s : ft::SessionRecords(StoreOf("s2")))
      ++per[s.server];
    return per;
  }

  // Stops the set-tops and sums up what they saw.
  json Finish(double seconds) {
    for (auto& c : counting_)
      c->Stop();
    for (auto& c : counting_) {
      for (int i = 0; i < 200 && !c->idle; ++i)
        std::this_thread::sleep_for(50ms);
    }
    std::vector<double> calls, pauses;
    uint64_t adds = 0, wrong = 0, failures = 0, rehomes = 0;
    for (auto& c : counting_) {
      auto cu = c->call_us();
      calls.insert(calls.end(), cu.begin(), cu.end());
      auto pu = c->pause_us();
      pauses.insert(pauses.end(), pu.begin(), pu.end());
      adds += c->answered;
      wrong += c->wrong_totals;
      failures += c->failures;
      rehomes += c->client->stats().rehomes;
    }
    int moved = 0, failed_moves = 0;
    json why_failed = json::array();
    int64_t first_ms = 0, last_ms = 0;
    for (const char* s : {"s1", "s2", "s3"}) {
      for (const auto& m : ft::MoveRecords(StoreOf(s))) {
        if (m.outcome != "moved") {
          ++failed_moves;
          if (why_failed.size() < 5) why_failed.push_back(m.outcome);
          continue;
        }
        ++moved;
        if (!first_ms || m.at_ms < first_ms) first_ms = m.at_ms;
        last_ms = std::max(last_ms, m.at_ms);
      }
    }
    json out{{"adds", adds},
             {"adds_per_s", adds / seconds},
             {"add_rtt_us", Percentiles(calls)},
             {"lost_or_doubled", wrong},
             {"failed_calls", failures},
             {"rehomes", rehomes},
             {"moves", moved},
             {"failed_moves", failed_moves},
             {"why_failed", why_failed},
             {"pause_us", Percentiles(pauses)},
             {"sessions_per_server", SessionsPerServer()}};
    if (moved > 1 && last_ms > first_ms)
      out["moves_per_s"] = (moved - 1) * 1000.0 / (last_ms - first_ms);
    return out;
  }

  const Options& o_;
  std::string name_;
  ft::TestFarm farm_;
  std::unique_ptr<ft::FarmProcess> process_;
  mp::IoThreads io_{1};
  std::shared_ptr<dacp::Gateway> gateway_;
  std::vector<std::shared_ptr<Counting>> counting_;
  std::map<std::string, std::unique_ptr<store::Store>> stores_;
};

json Starvation(const Options& o, bool rebalance) {
  ::setenv("DABS_FAULT_HANDLER_DELAY", "s1:30", 1);
  json out;
  {
    Scenario sc(o, rebalance ? "starve-on" : "starve-off", rebalance);
    if (!sc.Start()) return json{{"error", "the farm did not start"}};
    out["open_failures"] = sc.Open(o.clients);
    out["sessions_on_s1_at_start"] = sc.SessionsPerServer()["s1"];
    const auto t0 = Clock::now();
    std::optional<Clock::time_point> source, relieved;
    while (Clock::now() - t0 < o.duration) {
      const std::string b = sc.Balance("s1");
      if (!source && b == "source") source = Clock::now();
      if (source && !relieved && b != "source") relieved = Clock::now();
      std::this_thread::sleep_for(50ms);
    }
    auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    out["s1_source_after_s"] = source ? json(seconds(*source - t0)) : json();
    out["s1_relieved_after_s"] = source && relieved ? json(seconds(*relieved - *source)) : json();
    out.update(sc.Finish(seconds(Clock::now() - t0)));
  }
  ::unsetenv("DABS_FAULT_HANDLER_DELAY");
  return out;
}

json Spread(const Options& o, bool rebalance) {
  Scenario sc(o, rebalance ? "spread-on" : "spread-off", rebalance);
  sc.farm().rebalance = "spread";
  sc.farm().apps[0].start_at_init = 0;  // on demand: the first server to start one collects
  if (!sc.Start()) return json{{"error", "the farm did not start"}};
  const int n = o.clients * 3;
  json out{{"open_failures", sc.Open(n)}};
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(o.duration);
  out.update(sc.Finish(std::chrono::duration<double>(Clock::now() - t0).count()));
  double max = 0, sum = 0;
  for (const auto& [id, k] : out["sessions_per_server"].items()) {
    max = std::max(max, k.get<double>());
    sum += k.get<double>();
  }
  out["max_over_mean"] = sum > 0 ? json(max / (sum / 3)) : json();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rebalance_bench: starvation avoidance and spread on a 3-server farm, on and off"};
  bool json_out = false, quick = false;
  Options o;
  int seconds = 20;
  std::string only;
  cli.add_flag("--json", json_out, "Print one JSON object (always printed; for symmetry)");
  cli.add_flag("--quick", quick, "Loopback, 8 set-tops, 6 s per run (smoke)");
  cli.add_option("--seconds", seconds, "How long each run counts")->capture_default_str();
  cli.add_option("--clients", o.clients, "Counting set-tops (spread opens 3x)")
      ->capture_default_str();
  cli.add_option("--period-ms", o.period_ms, "placement.rebalance_period_ms")
      ->capture_default_str();
  cli.add_option("--only", only, "Run one scenario: starvation or spread");
  bool keep = false;
  cli.add_option("--log-level", o.log_level, "The daemons' log level")->capture_default_str();
  cli.add_flag("--keep", keep, "Keep the farms' state directories (logs) for a look afterwards");
  CLI11_PARSE(cli, argc, argv);
  (void)json_out;
  spdlog::set_level(spdlog::level::err);  // stdout is the JSON
  o.bin = fs::path(DABS_BIN_DIR);
  o.dir = fs::temp_directory_path() / ("rb-" + std::to_string(::getpid()));
  o.duration = std::chrono::seconds(seconds);
  if (quick) {
    o.netns = false;
    o.clients = 8;
    o.duration = 6s;
  }
  if (::geteuid() != 0) o.netns = false;
  json out{{"netns", o.netns},
           {"clients", o.clients},
           {"seconds", o.duration.count()},
           {"period_ms", o.period_ms}};
  if (only.empty() || only == "starvation") {
    std::fprintf(stderr, "rebalance_bench: starvation, rebalancing on\n");
    out["starvation"] = Starvation(o, true);
    std::fprintf(stderr, "rebalance_bench: starvation, rebalancing off (baseline)\n");
    out["starvation_off"] = Starvation(o, false);
  }
  if (only.empty() || only == "spread") {
    std::fprintf(stderr, "rebalance_bench: spread, on\n");
    out["spread"] = Spread(o, true);
    std::fprintf(stderr, "rebalance_bench: spread, off (baseline)\n");
    out["spread_off"] = Spread(o, false);
  }
  if (keep) {
    std::fprintf(stderr, "rebalance_bench: kept %s\n", o.dir.string().c_str());
  } else {
    fs::remove_all(o.dir);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
