// A simulated network of Engines under a FakeClock: datagrams are delivered after a
// latency, through a FaultInjector, and multicast groups deliver to every member. Runs
// entirely on the calling thread, so engine tests are deterministic for a given seed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include <dabs/mp/engine.h>
#include <dabs/mp/faults.h>
#include <dabs/mp/testing/fake_clock.h>

namespace dabs::mp::testing {

class FakeNetwork {
 public:
  // One attachment point: the sink an Engine sends through, bound to its endpoint.
  class Port final : public DatagramSink {
   public:
    Port(FakeNetwork& net, Endpoint self) : net_(net), self_(std::move(self)) {}
    void Bind(Engine* engine) { engine_ = engine; }
    void SendDatagram(const Endpoint& to, std::span<const uint8_t> bytes) override {
      net_.Transmit(self_, to, bytes);
    }
    const Endpoint& endpoint() const { return self_; }
    Engine* engine() const { return engine_; }

   private:
    FakeNetwork& net_;
    Endpoint self_;
    Engine* engine_ = nullptr;
  };

  FakeNetwork(FakeClock& clock, uint64_t seed) : clock_(clock), random_(seed) {}

  Port& AddPort(const Endpoint& self) {
    ports_.push_back(std::make_unique<Port>(*this, self));
    return *ports_.back();
  }
  void JoinGroup(const Endpoint& group, Port& member) {
    groups_[GroupKey(group)].push_back(&member);
  }
  void SetFaults(const FaultProfile& profile) { profile_ = profile; }
  void SetLatency(Duration one_way) { latency_ = one_way; }
  // Drops every datagram for which the filter returns true (before the random faults).
  void SetDropFilter(
      std::function<bool(const Endpoint& from, const Endpoint& to, std::span<const uint8_t>)>
          filter) {
    drop_filter_ = std::move(filter);
  }
  // Sees every datagram handed to the network, before any fault.
  void SetObserver(
      std::function<void(const Endpoint& from, const Endpoint& to, std::span<const uint8_t>)>
          observer) {
    observer_ = std::move(observer);
  }

  // Advances the clock, delivering datagrams and firing engine timers, for `d`.
  void RunFor(Duration d) {
    RunUntil([] { return false; }, d);
  }
  // Runs until `done` holds (checked after every event) or `limit` passes. True if done.
  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    const TimePoint end = clock_.Now() + limit;
    while (!done()) {
      TimePoint next = end;
      if (!in_flight_.empty()) next = std::min(next, in_flight_.top().at);
      for (auto& p : ports_) {
        if (!p->engine()) continue;
        if (auto t = p->engine()->NextDeadline()) next = std::min(next, *t);
      }
      if (next >= end) {
        clock_.AdvanceTo(end);
        return done();
      }
      clock_.AdvanceTo(next);
      Step();
    }
    return true;
  }

  uint64_t datagrams_sent() const { return sent_; }

 private:
  struct InFlight {
    TimePoint at;
    uint64_t seq;
    Endpoint from, to;
    std::vector<uint8_t> bytes;
    bool via_group;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  static std::string GroupKey(const Endpoint& e) { return e.ToString(); }

  void Transmit(const Endpoint& from, const Endpoint& to, std::span<const uint8_t> bytes) {
    ++sent_;
    if (observer_) observer_(from, to, bytes);
    if (drop_filter_ && drop_filter_(from, to, bytes)) return;
    if (to.IsMulticast()) {
      auto it = groups_.find(GroupKey(to));
      if (it == groups_.end()) return;
      for (Port* member : it->second)
        Schedule(from, member->endpoint(), bytes, true);
      return;
    }
    Schedule(from, to, bytes, false);
  }

  void Schedule(const Endpoint& from, const Endpoint& to, std::span<const uint8_t> bytes,
                bool via_group) {
    FaultInjector faults(profile_, random_);
    const FaultDecision d = faults.Decide(bytes.size());
    for (int i = 0; i < d.copies; ++i) {
      std::vector<uint8_t> copy(bytes.begin(), bytes.end());
      FaultInjector::Apply(d, copy);
      const Duration delay = latency_ + d.extra_delay + Duration(i);  // copies a hair apart
      in_flight_.push({clock_.Now() + delay, seq_++, from, to, std::move(copy), via_group});
    }
  }

  void Step() {
    const TimePoint now = clock_.Now();
    while (!in_flight_.empty() && in_flight_.top().at <= now) {
      InFlight d = in_flight_.top();
      in_flight_.pop();
      for (auto& p : ports_) {
        if (p->engine() && p->endpoint() == d.to)
          p->engine()->OnDatagram(d.from, d.bytes, d.via_group);
      }
    }
    for (auto& p : ports_) {
      if (!p->engine()) continue;
      if (auto t = p->engine()->NextDeadline(); t && *t <= now) p->engine()->OnTimer();
    }
  }

  FakeClock& clock_;
  SeededRandom random_;
  FaultProfile profile_;
  Duration latency_ = milliseconds(1);
  std::vector<std::unique_ptr<Port>> ports_;
  std::map<std::string, std::vector<Port*>> groups_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
  std::function<bool(const Endpoint&, const Endpoint&, std::span<const uint8_t>)> drop_filter_;
  std::function<void(const Endpoint&, const Endpoint&, std::span<const uint8_t>)> observer_;
  uint64_t seq_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace dabs::mp::testing
