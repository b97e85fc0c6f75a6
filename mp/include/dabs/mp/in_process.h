// Direct dispatch between MP nodes of one process (spec 3, proximity "same process"): a
// registry of nodes by name. Pass one hub to every node of the process that should reach
// the others directly. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <dabs/mp/endpoint.h>

namespace dabs::mp {

class InProcessHub {
 public:
  class Receiver {
   public:
    virtual ~Receiver() = default;
    // Called on the sender's thread; the receiver queues the datagram for its own.
    virtual void DeliverInProcess(const Endpoint& from, std::vector<uint8_t> bytes) = 0;
  };

  // False when the name is taken by a live receiver.
  bool Register(const std::string& name, std::weak_ptr<Receiver> receiver) {
    std::lock_guard lock(mu_);
    auto& slot = receivers_[name];
    if (!slot.expired()) return false;
    slot = std::move(receiver);
    return true;
  }
  void Unregister(const std::string& name) {
    std::lock_guard lock(mu_);
    receivers_.erase(name);
  }
  // False when nobody of that name is here.
  bool Deliver(const std::string& to, const Endpoint& from, std::span<const uint8_t> bytes) {
    std::shared_ptr<Receiver> r;
    {
      std::lock_guard lock(mu_);
      auto it = receivers_.find(to);
      if (it == receivers_.end()) return false;
      r = it->second.lock();
    }
    if (!r) return false;
    r->DeliverInProcess(from, std::vector<uint8_t>(bytes.begin(), bytes.end()));
    return true;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<Receiver>> receivers_;
};

}  // namespace dabs::mp
