// Recording throughput: RequestOk from 1 and 2 threads, with 8 shards and with one lock
// (shards = 1), on the real clock. Prints one JSON object: ns per event per thread and
// events per second in total, for each case.

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "dabs/emu/recorder.h"

namespace {

struct Result {
  double ns_per_event;
  double events_per_s;
};

Result Measure(std::size_t shards, int threads, int events_per_thread) {
  dabs::emu::Recorder recorder(dabs::emu::SteadyRunClock(),
                               dabs::emu::RecorderOptions{.shards = shards});
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&recorder, events_per_thread, t] {
      const char* channel = t % 2 ? "oob" : "docsis";
      for (int i = 0; i < events_per_thread; ++i) {
        recorder.RequestOk(channel, std::chrono::microseconds(100 + i % 5000));
      }
    });
  }
  for (std::thread& w : workers)
    w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double total = static_cast<double>(threads) * events_per_thread;
  return {seconds * 1e9 / events_per_thread, total / seconds};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int events = quick ? 200'000 : 5'000'000;
  std::string out = "{";
  for (std::size_t shards : {std::size_t{1}, std::size_t{8}}) {
    for (int threads : {1, 2}) {
      const Result r = Measure(shards, threads, events);
      char buffer[200];
      std::snprintf(buffer, sizeof buffer,
                    "%s\"shards_%zu_threads_%d\": {\"ns_per_event\": %.1f, \"events_per_s\": %.0f}",
                    out.size() > 1 ? ", " : "", shards, threads, r.ns_per_event, r.events_per_s);
      out += buffer;
    }
  }
  std::printf("%s}\n", out.c_str());
  return 0;
}
