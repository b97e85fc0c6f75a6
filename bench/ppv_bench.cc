// ppv_bench: how fast purchases are recorded, as JSON on stdout.
//   ledger_serial_per_s   one purchase at a time: one fsync each (the floor)
//   ledger_grouped_per_s  8 threads submitting: group commit, one fsync per group
//   e2e_per_s, e2e_p50_ms, e2e_p99_ms   --stbs set-tops on loopback buying --each events
//                         one after another from a real ppv-dasp (PIN check at the default
//                         4,096 iterations, ledger, MP)
//
//   ppv_bench [--dasp build/bin/ppv-dasp] [--dir DIR] [--stbs 200] [--each 10] [--quick]
// DIR must be on the disk the ledger would use in production (fsync is the cost measured);
// by default a directory under the current one.
#include <algorithm>
#include <cstdio>
#include <future>
#include <thread>

#include <CLI/CLI.hpp>

#include "dacp_testing.h"
#include "ledger.h"
#include "ppv_client.h"
#include "ppv_testing.h"

namespace {

using namespace dabs;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

ppv::PurchaseAttempt Attempt(int thread, uint64_t i) {
  ppv::PurchaseAttempt a;
  a.subscriber = "stb-" + std::to_string(thread);
  a.purchase_id = i + 1;
  a.event_id = static_cast<uint32_t>(i + 1);
  a.price_cents = 100;
  a.pin_ok = true;
  a.now_ms = 1;
  return a;
}

// {serial per s, grouped per s}
std::pair<double, double> LedgerRates(const std::filesystem::path& dir) {
  auto ledger = ppv::Ledger::Open({dir / "ledger-only"}, ppv::PinPolicy{}).value();
  constexpr int kSerial = 300, kThreads = 8, kEach = 2000;
  auto start = Clock::now();
  for (int i = 0; i < kSerial; ++i) {
    std::promise<void> done;
    ledger->Submit(Attempt(99, i), [&](Result<ppv::PurchaseOutcome>) { done.set_value(); });
    done.get_future().wait();
  }
  const double serial = kSerial / Seconds(start);
  start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // At most 256 in flight per thread: the queue's limit is 4,096 in all.
      std::atomic<int> in_flight{0};
      for (int i = 0; i < kEach; ++i) {
        while (in_flight >= 256)
          std::this_thread::yield();
        ++in_flight;
        ledger->Submit(Attempt(t, i), [&](Result<ppv::PurchaseOutcome>) { --in_flight; });
      }
      while (in_flight > 0)
        std::this_thread::yield();
    });
  }
  for (auto& t : threads)
    t.join();
  return {serial, kThreads * kEach / Seconds(start)};
}

struct EndToEnd {
  double per_s = 0, p50_ms = 0, p99_ms = 0;
  int failed = 0;
};

EndToEnd Run(const std::string& dasp_exe, const std::filesystem::path& dir, int stbs, int each) {
  ppv::testing::TempDir cat_dir;
  dacp::testing::StandaloneDasp dasp(
      dasp_exe,
      {"--catalogue",
       ppv::testing::WriteCatalogue(cat_dir, each, 5, ppv::kDefaultPinIterations).string(),
       "--ledger", (dir / "e2e").string(), "--workers", "2"});
  mp::IoThreads io(2);
  std::vector<std::shared_ptr<dacp::Gateway>> gateways;
  std::vector<std::shared_ptr<ppv::PpvClient>> clients;
  for (int i = 0; i < stbs; ++i) {
    if (i % 200 == 0) gateways.push_back(dacp::testing::LoopbackGateway(io.io()));
    auto c = dacp::testing::Config(ppv::kAppName, dasp.endpoint());
    c.client_id = "stb-" + std::to_string(i);
    auto client = dacp::Client::Create(gateways.back()->TakeSeat().value(), c);
    if (!client->OpenSync().ok()) return {};
    clients.push_back(ppv::PpvClient::Create(client));
  }
  std::mutex mu;
  std::vector<double> latencies;
  int failed = 0;
  std::promise<void> all;
  std::atomic<int> left{stbs * each};
  const auto start = Clock::now();
  std::function<void(size_t, uint32_t)> buy = [&](size_t c, uint32_t event) {
    const auto sent = Clock::now();
    clients[c]->Buy(event, ppv::testing::kPin, [&, c, event, sent](Result<ppv::BuyResult> r) {
      {
        std::lock_guard lock(mu);
        latencies.push_back(Seconds(sent) * 1000);
        failed += !(r.ok() && r->confirmed());
      }
      if (event < static_cast<uint32_t>(each)) buy(c, event + 1);
      if (--left == 0) all.set_value();
    });
  };
  for (size_t c = 0; c < clients.size(); ++c)
    buy(c, 1);
  all.get_future().wait();
  EndToEnd e;
  e.per_s = stbs * each / Seconds(start);
  std::sort(latencies.begin(), latencies.end());
  e.p50_ms = latencies[latencies.size() / 2];
  e.p99_ms = latencies[latencies.size() * 99 / 100];
  e.failed = failed;
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ppv_bench: purchases recorded per second (JSON)"};
  std::string dasp = DABS_PPV_DASP;
  std::filesystem::path dir = "ppv-bench";
  int stbs = 200, each = 10;
  bool quick = false;
  cli.add_option("--dasp", dasp, "ppv-dasp")->capture_default_str();
  cli.add_option("--dir", dir, "where the ledgers go (removed after)");
  cli.add_option("--stbs", stbs)->check(CLI::Range(1, 2000));
  cli.add_option("--each", each)->check(CLI::Range(1, 1000));
  cli.add_flag("--quick", quick, "smoke run: 10 set-tops buying 2 events each");
  CLI11_PARSE(cli, argc, argv);
  if (quick) {
    stbs = 10;
    each = 2;
  }
  std::filesystem::remove_all(dir);
  const auto [serial, grouped] = LedgerRates(dir);
  const EndToEnd e = Run(dasp, dir, stbs, each);
  std::filesystem::remove_all(dir);
  std::printf(
      "{\"ledger_serial_per_s\": %.0f, \"ledger_grouped_per_s\": %.0f, \"e2e_per_s\": %.0f, "
      "\"e2e_p50_ms\": %.2f, \"e2e_p99_ms\": %.2f, \"e2e_failed\": %d, \"stbs\": %d, \"each\": "
      "%d}\n",
      serial, grouped, e.per_s, e.p50_ms, e.p99_ms, e.failed, stbs, each);
  return e.failed == 0 ? 0 : 1;
}
