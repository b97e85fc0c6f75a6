// Partitions (seed 002 Figs. 5, 22, 23): the interface a client portion calls for one part of
// its application. The same signatures are served either by a network partition (each call a
// message to the DASP through the client's session) or by a mutable object (the same code
// running locally, in the client's own thread and memory). The application declares its
// partition interface deriving from Partition and chooses the implementation at run time from
// the set-top's capabilities (SetTopProfile, client_app.h).
//
// Every partition counts what it does, so that tests and the emulator can tell a local call
// (which sends nothing) from a network one.
//
// Thread safety: the counters are atomic; the rest is up to the application's partition.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include <dabs/dacp/client.h>

namespace dabs::dacp {

enum class PartitionPlace : uint8_t {
  kNetwork = 1,  // messages to the DASP
  kLocal = 2,    // a mutable object running here
};
std::string_view PartitionPlaceName(PartitionPlace p);

struct PartitionCounters {
  uint64_t messages_sent = 0;  // messages sent to the DASP
  uint64_t local_calls = 0;    // calls served in place
};

class Partition {
 public:
  explicit Partition(PartitionPlace place) : place_(place) {}
  virtual ~Partition() = default;
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  PartitionPlace place() const { return place_; }
  bool is_local() const { return place_ == PartitionPlace::kLocal; }
  PartitionCounters counters() const { return {messages_.load(), local_.load()}; }

 protected:
  // For network partitions: one message to the DASP through `client` (Client::Call), counted.
  void SendToServer(Client& client, uint16_t command, std::vector<uint8_t> payload,
                    CallCallback done) {
    ++messages_;
    client.Call(command, std::move(payload), std::move(done));
  }
  // For mutable objects: counts one call served in place.
  void CountLocalCall() { ++local_; }

 private:
  const PartitionPlace place_;
  std::atomic<uint64_t> messages_{0}, local_{0};
};

}  // namespace dabs::dacp
