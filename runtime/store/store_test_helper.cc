// store_test_helper: the other process of the store's multi-process tests. It opens the
// store itself after exec, as a daemon does, reports on stdout one line per event, and is
// often killed with SIGKILL half-way.
//
//   store_test_helper commit DIR COUNT        commit COUNT records one per transaction,
//                                             printing each key once Write returned Ok
//   store_test_helper hold-reader DIR         print "reading" inside a read txn, then wait
//   store_test_helper hold-writer DIR         print "writing" inside a write txn, then wait
//   store_test_helper idle DIR                print "open" with the store open, then wait
//   store_test_helper count DIR ID N MAP START_MS
//                                             from START_MS (unix ms) on, N increments of the
//                                             shared counter, each with a key of its own
//   store_test_helper fill DIR BYTES MAP      commit BYTES of values in 256 KiB transactions
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <unistd.h>

#include <dabs/mp/coding.h>
#include <dabs/store/store.h>

namespace {

using namespace dabs;
using namespace dabs::store;

[[noreturn]] void Fail(const std::string& what) {
  std::printf("error %s\n", what.c_str());
  std::fflush(stdout);
  std::exit(2);
}

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::unique_ptr<Store> OpenStore(const char* dir,
                                 uint64_t initial_map = StoreOptions{}.initial_map_bytes) {
  StoreOptions o;
  o.initial_map_bytes = initial_map;
  auto store = Store::Open(dir, o);
  if (!store) Fail(store.error().Message());
  return std::move(*store);
}

[[noreturn]] void WaitForKill() {
  for (;;)
    ::pause();
}

int Commit(const char* dir, long count) {
  auto store = OpenStore(dir);
  for (long i = 0; i < count; ++i) {
    const std::string key = "k" + std::to_string(i);
    Status s =
        store->Write([&](WriteTxn& txn) { return txn.Put(Database::kConfig, key, "v" + key); });
    if (!s) Fail(s.error().Message());
    Say(key);  // acknowledged: the commit returned
  }
  return 0;
}

int HoldReader(const char* dir) {
  auto store = OpenStore(dir);
  Status s = store->Read([](const ReadTxn&) -> Status {
    Say("reading");
    WaitForKill();
  });
  Fail(s.ok() ? "read returned" : s.error().Message());
}

int HoldWriter(const char* dir) {
  auto store = OpenStore(dir);
  Status s = store->Write([](WriteTxn& txn) -> Status {
    if (Status p = txn.Put(Database::kConfig, "uncommitted", "x"); !p) return p;
    Say("writing");
    WaitForKill();
  });
  Fail(s.ok() ? "write returned" : s.error().Message());
}

int Idle(const char* dir) {
  auto store = OpenStore(dir);
  Say("open");
  WaitForKill();
}

int Count(const char* dir, const std::string& id, long n, uint64_t map, int64_t start_ms) {
  auto store = OpenStore(dir, map);
  std::this_thread::sleep_until(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(start_ms)));
  const std::string padding(512, 'p');
  for (long i = 0; i < n; ++i) {
    Status s = store->Write([&](WriteTxn& txn) -> Status {
      auto v = txn.Get(Database::kStatistics, "counter");
      if (!v) return v.error();
      const uint64_t count = *v ? mp::GetU64(reinterpret_cast<const uint8_t*>((*v)->data())) : 0;
      uint8_t bytes[8];
      mp::PutU64(bytes, count + 1);
      if (Status p = txn.Put(Database::kStatistics, "counter", std::span<const uint8_t>(bytes)); !p)
        return p;
      return txn.Put(Database::kStatistics, id + "/" + std::to_string(i), padding);
    });
    if (!s) Fail(s.error().Message());
  }
  const StoreStats st = store->stats();
  Say("done grows=" + std::to_string(st.map_grows) + " adoptions=" +
      std::to_string(st.map_adoptions) + " redos=" + std::to_string(st.write_redos));
  return 0;
}

int Fill(const char* dir, uint64_t bytes, uint64_t map) {
  auto store = OpenStore(dir, map);
  constexpr uint64_t kValue = 4096, kPerTxn = 64;  // 256 KiB per transaction
  for (uint64_t done = 0, n = 0; done < bytes; done += kValue * kPerTxn) {
    Status s = store->Write([&](WriteTxn& txn) -> Status {
      for (uint64_t i = 0; i < kPerTxn; ++i) {
        if (Status p =
                txn.Put(Database::kDasps, "f" + std::to_string(n + i), std::string(kValue, 'f'));
            !p) {
          return p;
        }
      }
      return Status::Ok();
    });
    if (!s) Fail(s.error().Message());
    n += kPerTxn;
  }
  Say("filled grows=" + std::to_string(store->stats().map_grows));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[1] : "";
  if (mode == "commit" && argc == 4) return Commit(argv[2], std::atol(argv[3]));
  if (mode == "hold-reader" && argc == 3) return HoldReader(argv[2]);
  if (mode == "hold-writer" && argc == 3) return HoldWriter(argv[2]);
  if (mode == "idle" && argc == 3) return Idle(argv[2]);
  if (mode == "count" && argc == 7) {
    return Count(argv[2], argv[3], std::atol(argv[4]), std::strtoull(argv[5], nullptr, 10),
                 std::strtoll(argv[6], nullptr, 10));
  }
  if (mode == "fill" && argc == 5) {
    return Fill(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10));
  }
  std::fprintf(stderr, "usage: see the top of store_test_helper.cc\n");
  return 64;
}
