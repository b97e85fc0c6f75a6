// store_bench: the LMDB store's commit and put rates, in one run, as one JSON object.
// The disk's own floor (write + fdatasync of one 4 KiB page) is measured in the same run and
// directory, since a commit with full sync cannot beat it: compare the ratios.
//
//   build/bin/store_bench                  # the full run (a few seconds)
//   build/bin/store_bench --quick          # a smoke run for CI
//   build/bin/store_bench --dir /var/lib/x # measure on another file system
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <dabs/store/store.h>

namespace {

using namespace dabs;
using namespace dabs::store;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Sizes {
  int commits = 3'000;  // one small put per transaction
  int batches = 20;     // transactions of kBatch puts
  int reads = 200'000;  // one get per read transaction
};
constexpr int kBatch = 10'000;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

json Percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, size_t(q * v.size()))];
  };
  return {{"p50", at(0.50)}, {"p99", at(0.99)}};
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key%09d", i);
  return buf;
}

[[noreturn]] void Die(const Status& s) {
  std::cerr << "store_bench: " << s.error().Message() << "\n";
  std::exit(1);
}

std::unique_ptr<Store> OpenFresh(const std::filesystem::path& dir, Durability durability) {
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.durability = durability;
  auto store = Store::Open(dir, o);
  if (!store) Die(store.error());
  return std::move(*store);
}

// Commits of one 16-byte put each: commits per second and latency in microseconds.
json SingleCommits(const std::filesystem::path& dir, Durability durability, int n) {
  auto store = OpenFresh(dir, durability);
  const std::string value(16, 'v');
  std::vector<double> us;
  us.reserve(n);
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    Status s =
        store->Write([&](WriteTxn& txn) { return txn.Put(Database::kStatistics, Key(i), value); });
    if (!s) Die(s);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return {{"per_s", n / Seconds(Clock::now() - start)}, {"latency_us", Percentiles(us)}};
}

// kBatch puts of 16-byte values per transaction, full sync: puts per second.
double BatchedPuts(const std::filesystem::path& dir, int batches) {
  auto store = OpenFresh(dir, Durability::kFull);
  const std::string value(16, 'v');
  const auto start = Clock::now();
  for (int b = 0; b < batches; ++b) {
    Status s = store->Write([&](WriteTxn& txn) -> Status {
      for (int i = 0; i < kBatch; ++i) {
        if (Status p = txn.Put(Database::kStatistics, Key(b * kBatch + i), value); !p) return p;
      }
      return Status::Ok();
    });
    if (!s) Die(s);
  }
  return double(batches) * kBatch / Seconds(Clock::now() - start);
}

// Point reads, each in its own read transaction, over the keys BatchedPuts left.
double PointReads(const std::filesystem::path& dir, int n, int keys) {
  StoreOptions o;
  auto store = Store::Open(dir, o);
  if (!store) Die(store.error());
  size_t found = 0;
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    Status s = (*store)->Read([&](const ReadTxn& txn) -> Status {
      auto v = txn.Get(Database::kStatistics, Key((i * 7919) % keys));
      if (!v) return v.error();
      found += v->has_value();
      return Status::Ok();
    });
    if (!s) Die(s);
  }
  const double rate = n / Seconds(Clock::now() - start);
  if (found != size_t(n)) std::cerr << "store_bench: " << n - found << " reads missed\n";
  return rate;
}

// The floor under a durable commit: write one 4 KiB page and fdatasync it.
double FdatasyncRate(const std::filesystem::path& dir, int n) {
  const auto file = dir / "fdatasync.probe";
  const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  const std::string page(4096, 'p');
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (::pwrite(fd, page.data(), page.size(), 0) < 0 || ::fdatasync(fd) != 0) break;
  }
  const double rate = n / Seconds(Clock::now() - start);
  ::close(fd);
  std::filesystem::remove(file);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"store_bench: commit and put rates of the LMDB store"};
  bool quick = false;
  std::string dir_arg;
  app.add_flag("--quick", quick, "A small run to check that everything works");
  app.add_option("--dir", dir_arg, "Directory to measure in (default: a new one under /tmp)");
  CLI11_PARSE(app, argc, argv);
  Sizes z;
  if (quick) z = {200, 2, 20'000};

  std::filesystem::path base;
  if (dir_arg.empty()) {
    std::string pattern = "/tmp/dabs-store-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return 1;
    base = pattern;
  } else {
    base = std::filesystem::path(dir_arg) / "store-bench";
    std::filesystem::create_directories(base);
  }

  json out;
  std::cerr << "store_bench: fdatasync floor...\n";
  out["fdatasync_4k_per_s"] = FdatasyncRate(base, z.commits);
  std::cerr << "store_bench: single-put commits, full sync...\n";
  out["store_commit_full_sync"] = SingleCommits(base / "full", Durability::kFull, z.commits);
  std::cerr << "store_bench: single-put commits, MDB_NOMETASYNC...\n";
  out["store_commit_nometasync"] =
      SingleCommits(base / "nometa", Durability::kNoMetaSync, z.commits);
  std::cerr << "store_bench: " << kBatch << " puts per transaction, full sync...\n";
  out["store_batched_puts_per_s"] = BatchedPuts(base / "batched", z.batches);
  std::cerr << "store_bench: point reads...\n";
  out["store_point_reads_per_s"] = PointReads(base / "batched", z.reads, z.batches * kBatch);
  out["dir"] = base.string();
  std::filesystem::remove_all(base);
  std::cout << out.dump(2) << "\n";
  return 0;
}
