// Node: the engine on Boost.Asio. Each event (datagrams ready, a timer, a call from any
// thread) runs through one Serializer, so the engine sees one thread at a time; when the
// thread inside leaves, the queued datagrams are flushed in batches and the timer is re-armed
// for the engine's next deadline. Asio provides readiness and timers; the serializer lets an
// application thread that finds the node idle do its own send, with no thread hop.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <dabs/mp/node.h>

#include "datagram_socket.h"
#include "serializer.h"

namespace dabs::mp {

namespace asio = boost::asio;
using internal::DatagramSocket;

class Node::Impl final : public std::enable_shared_from_this<Impl>,
                         public DatagramSink,
                         public EngineHandler,
                         public InProcessHub::Receiver {
 public:
  Impl(asio::io_context& io, NodeConfig config, NodeCallbacks callbacks)
      : config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        io_(io),
        serializer_([this] { AfterEntry(); }),
        random_(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32)),
        fault_random_(config_.fault_seed),
        faults_(config_.faults, fault_random_),
        engine_(config_.engine, clock_, random_, *this, *this),
        timer_(io) {}

  Status Open() {
    internal::SocketOptions options;
    options.buffer_bytes = config_.socket_buffer_bytes;
    options.send_queue_limit = config_.send_queue_limit;
    options.multicast_interface = config_.multicast_interface;
    options.multicast_ttl = config_.multicast_ttl;
    options.local_allowed_uids = config_.local_allowed_uids;
    if (config_.udp) {
      options.offload = config_.udp_offload;
      auto s = DatagramSocket::OpenUdp(io_.get_executor(), *config_.udp, options);
      if (!s) return s.error();
      udp_ = std::move(*s);
      udp_->SetWake(Waker());
    }
    options.offload = false;  // group and local sockets never see runs worth coalescing
    for (const Endpoint& g : config_.groups) {
      auto s = DatagramSocket::OpenGroup(io_.get_executor(), g, options);
      if (!s) return s.error();
      groups_.push_back(std::move(*s));
    }
    if (config_.local_path) {
      auto s = DatagramSocket::OpenLocal(io_.get_executor(), *config_.local_path, options);
      if (!s) return s.error();
      local_ = std::move(*s);
      local_->SetWake(Waker());
    }
    return Status::Ok();
  }

  void Start() {
    if (config_.hub && !config_.in_process_name.empty()) {
      config_.hub->Register(config_.in_process_name, weak_from_this());
    }
    serializer_.Run([self = shared_from_this()] {
      if (self->udp_) self->ArmReceive(self->udp_.get(), false);
      for (auto& g : self->groups_)
        self->ArmReceive(g.get(), true);
      if (self->local_) self->ArmReceive(self->local_.get(), false);
    });
  }

  // Runs `fn` with the engine, exclusively.
  template <typename F>
  void OnStrand(F&& fn) {
    serializer_.Run([self = shared_from_this(), fn = std::forward<F>(fn)]() mutable {
      if (!self->stopped_) fn(self->engine_);
    });
  }

  void Stop() {
    serializer_.Run([self = shared_from_this()] { self->StopOnStrand(); });
  }

  // Runs `task` exclusively, even after the node stopped.
  template <typename F>
  void RunExclusive(F&& task) {
    serializer_.Run(std::forward<F>(task));
  }

  void FlushSockets() {
    if (udp_) udp_->Flush();
    if (local_) local_->Flush();
  }

  void StopOnStrand() {
    if (stopped_) return;
    engine_.FailAll(Errc::kCancelled);
    AfterEntry();
    stopped_ = true;
    timer_.cancel();
    if (udp_) udp_->Close();
    for (auto& g : groups_)
      g->Close();
    if (local_) local_->Close();
    if (config_.hub && !config_.in_process_name.empty())
      config_.hub->Unregister(config_.in_process_name);
  }

  bool on_strand() const { return serializer_.InThisThread(); }

  std::optional<Endpoint> udp_endpoint() const {
    return udp_ ? std::optional(udp_->local_endpoint()) : std::nullopt;
  }
  std::optional<Endpoint> local_endpoint() const {
    return local_ ? std::optional(local_->local_endpoint()) : std::nullopt;
  }
  std::optional<Endpoint> in_process_endpoint() const {
    if (!config_.hub || config_.in_process_name.empty()) return std::nullopt;
    return Endpoint::InProcess(config_.in_process_name);
  }
  const NodeConfig& config() const { return config_; }
  asio::io_context& io() { return io_; }

  NodeStats Stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

  // ---- DatagramSink
  void SendDatagram(const Endpoint& to, std::span<const uint8_t> bytes) override {
    if (config_.farm_guard && to.kind() == TransportKind::kUdp) {
      bytes = config_.farm_guard->Outbound(to, bytes, clock_.UnixMillis(), guard_out_);
      if (bytes.empty()) return;
    }
    const bool shaped = config_.shaper && to.kind() == TransportKind::kUdp;
    if (!faults_.profile().Any() && !shaped) {
      Route(to, bytes);
      return;
    }
    FaultDecision d = faults_.profile().Any() ? faults_.Decide(bytes.size()) : FaultDecision{};
    if (shaped && d.copies > 0) Combine(d, config_.shaper->Outbound(to, bytes, clock_.Now()));
    if (d.copies == 0) ++fault_drops_;
    for (int i = 0; i < d.copies; ++i) {
      std::vector<uint8_t> copy(bytes.begin(), bytes.end());
      FaultInjector::Apply(d, copy);
      if (d.extra_delay <= Duration(0)) {
        Route(to, copy);
        continue;
      }
      Later(d.extra_delay, [to, copy = std::move(copy)](Impl& self) { self.Route(to, copy); });
    }
  }

  // ---- EngineHandler
  void OnMessage(Message&& m) override {
    if (callbacks_.on_message) callbacks_.on_message(std::move(m));
  }
  void OnErrorReport(const ErrorReport& r) override {
    if (callbacks_.on_error_report) callbacks_.on_error_report(r);
  }
  void OnSessionReopen(const Endpoint& peer, uint8_t session) override {
    if (callbacks_.on_session_reopen) callbacks_.on_session_reopen(peer, session);
  }

  // ---- InProcessHub::Receiver
  void DeliverInProcess(const Endpoint& from, std::vector<uint8_t> bytes) override {
    // Always through the io_context, never inline: the sender is in the middle of a
    // transmission, and the two nodes may answer each other.
    asio::post(io_, [self = shared_from_this(), from, bytes = std::move(bytes)] {
      self->serializer_.Run([self, from, bytes] {
        if (!self->stopped_) self->engine_.OnDatagram(from, bytes);
      });
    });
  }

 private:
  void ArmReceive(DatagramSocket* socket, bool via_group) {
    socket->WaitReadable(
        [self = shared_from_this(), socket, via_group](const boost::system::error_code& ec) {
          if (ec) return;
          // By value: when another thread is inside, it runs this after the handler is gone.
          self->serializer_.Run([self, socket, via_group] {
            if (self->stopped_) return;
            socket->ReceiveBatch(
                [&](const Endpoint& from, std::span<const uint8_t> bytes) {
                  if (socket == self->local_.get()) {
                    self->engine_.OnDatagram(from, bytes, false);
                  } else if (self->config_.shaper && !via_group && socket == self->udp_.get()) {
                    self->ShapedInbound(from, bytes);
                  } else {
                    self->FromNetwork(from, bytes, via_group);
                  }
                },
                self->config_.receive_budget);
            self->ArmReceive(socket, via_group);
          });
        });
  }

  // `more` applied after `d`: copies multiply, delays add, damage accumulates (one byte each).
  static void Combine(FaultDecision& d, const FaultDecision& more) {
    d.copies *= more.copies;
    d.extra_delay += more.extra_delay;
    if (more.corrupt && !d.corrupt) {
      d.corrupt = true;
      d.corrupt_offset = more.corrupt_offset;
      d.corrupt_mask = more.corrupt_mask;
    }
  }

  // Runs `fn` on the strand after `delay`, unless the node has stopped by then.
  void Later(Duration delay, std::function<void(Impl&)> fn) {
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([self = shared_from_this(), timer,
                       fn = std::move(fn)](const boost::system::error_code& ec) {
      if (ec) return;
      self->serializer_.Run([self, fn] {
        if (!self->stopped_) fn(*self);
      });
    });
  }

  // A datagram from the UDP socket or a group: through the farm guard, if any, to the engine.
  void FromNetwork(const Endpoint& from, std::span<const uint8_t> bytes, bool via_group) {
    if (!config_.farm_guard) {
      engine_.OnDatagram(from, bytes, via_group);
      return;
    }
    uint32_t sealed_by = 0;
    switch (config_.farm_guard->Inbound(from, via_group, bytes, clock_.UnixMillis(), guard_in_,
                                        sealed_by)) {
      case FarmGuard::Verdict::kDrop:
        return;
      case FarmGuard::Verdict::kPlain:
        engine_.OnDatagram(from, bytes, via_group);
        return;
      case FarmGuard::Verdict::kOpened:
        // What this datagram completes came sealed (a multi-buffer message completes with its
        // last buffer; an outsider can add none to a member's, whose plaintext is refused).
        engine_.OnDatagram(from, guard_in_, via_group, sealed_by);
        return;
    }
  }

  // A datagram from the UDP socket through the shaper: now, later, twice, or never.
  void ShapedInbound(const Endpoint& from, std::span<const uint8_t> bytes) {
    const FaultDecision d = config_.shaper->Inbound(from, bytes, clock_.Now());
    if (d.copies == 0) ++fault_drops_;
    for (int i = 0; i < d.copies; ++i) {
      if (d.extra_delay <= Duration(0) && !d.corrupt) {
        FromNetwork(from, bytes, false);
        continue;
      }
      std::vector<uint8_t> copy(bytes.begin(), bytes.end());
      FaultInjector::Apply(d, copy);
      if (d.extra_delay <= Duration(0)) {
        FromNetwork(from, copy, false);
        continue;
      }
      Later(d.extra_delay,
            [from, copy = std::move(copy)](Impl& self) { self.FromNetwork(from, copy, false); });
    }
  }

  // A socket that can send again: an entry into the serializer, whose AfterEntry flushes.
  std::function<void()> Waker() {
    return [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->serializer_.Run([] {});
    };
  }

  void Route(const Endpoint& to, std::span<const uint8_t> bytes) {
    switch (to.kind()) {
      case TransportKind::kUdp:
        if (udp_) {
          udp_->Queue(to, bytes);
          return;
        }
        break;
      case TransportKind::kLocal:
        if (local_) {
          local_->Queue(to, bytes);
          return;
        }
        break;
      case TransportKind::kInProcess:
        if (config_.hub && config_.hub->Deliver(to.path(), *in_process_endpoint(), bytes)) return;
        break;
    }
    ++no_route_;
  }

  void AfterEntry() {
    if (stopped_) return;
    if (udp_) udp_->Flush();
    if (local_) local_->Flush();
    RearmTimer();
    RefreshStats();
  }

  void RearmTimer() {
    const std::optional<TimePoint> next = engine_.NextDeadline();
    if (!next || (armed_ && *armed_ <= *next)) return;
    armed_ = next;
    timer_.expires_at(*next);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // re-armed for an earlier time, or stopped
      self->serializer_.Run([self] {
        if (self->stopped_) return;
        self->armed_.reset();
        self->engine_.OnTimer();
      });
    });
  }

  void RefreshStats() {
    NodeStats s;
    s.engine = engine_.stats();
    s.pending = engine_.pending_count();
    s.peers = engine_.peer_count();
    auto add = [&s](const DatagramSocket* d) {
      if (!d) return;
      s.received += d->stats().received;
      s.sent += d->stats().sent;
      s.send_errors += d->stats().send_errors;
      s.queue_drops += d->stats().queue_drops;
      s.oversize += d->stats().oversize;
      s.offload_sends += d->stats().offload_sends;
      s.local_retries += d->stats().local_retries;
      s.local_refused += d->stats().refused;
    };
    add(udp_.get());
    add(local_.get());
    for (auto& g : groups_)
      add(g.get());
    s.send_errors += no_route_;
    s.fault_drops = fault_drops_;
    std::lock_guard lock(stats_mu_);
    stats_ = s;
  }

  NodeConfig config_;
  NodeCallbacks callbacks_;
  asio::io_context& io_;
  internal::Serializer serializer_;
  SystemClock clock_;
  SeededRandom random_;
  SeededRandom fault_random_;
  FaultInjector faults_;
  Engine engine_;
  asio::steady_timer timer_;
  std::optional<TimePoint> armed_;
  std::unique_ptr<DatagramSocket> udp_, local_;
  std::vector<std::unique_ptr<DatagramSocket>> groups_;
  bool stopped_ = false;
  std::vector<uint8_t> guard_in_, guard_out_;  // opened and sealed datagrams, reused
  uint64_t no_route_ = 0, fault_drops_ = 0;
  mutable std::mutex stats_mu_;
  NodeStats stats_;
};

// ---------------------------------------------------------------------------- Node

Result<std::unique_ptr<Node>> Node::Create(asio::io_context& io, NodeConfig config,
                                           NodeCallbacks callbacks) {
  if (config.farm_guard) {
    config.engine.datagram_reserve =
        std::max(config.engine.datagram_reserve, farm_seal::kOverhead + wire::kCrcSize);
  }
  auto impl = std::make_shared<Impl>(io, std::move(config), std::move(callbacks));
  if (Status s = impl->Open(); !s) return s.error();
  impl->Start();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::~Node() {
  Stop();
}

std::optional<Endpoint> Node::udp_endpoint() const {
  return impl_->udp_endpoint();
}
std::optional<Endpoint> Node::local_endpoint() const {
  return impl_->local_endpoint();
}
std::optional<Endpoint> Node::in_process_endpoint() const {
  return impl_->in_process_endpoint();
}

void Node::OpenSession(const Endpoint& peer, uint8_t session, SessionOptions options) {
  impl_->OnStrand([=](Engine& e) mutable { e.OpenSession(peer, session, std::move(options)); });
}

void Node::CloseSession(const Endpoint& peer, uint8_t session) {
  impl_->OnStrand([=](Engine& e) { e.CloseSession(peer, session); });
}

void Node::Send(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
                std::vector<uint8_t> payload, SendOptions options, SendCallback done) {
  impl_->OnStrand([=, payload = std::move(payload), done = std::move(done)](Engine& e) mutable {
    e.Send(peer, session, command, va, std::move(payload), options, std::move(done));
  });
}

void Node::SendToVa(Va va, uint8_t session, uint16_t command, std::vector<uint8_t> payload,
                    SendOptions options, SendCallback done) {
  const auto& resolver = impl_->config().resolver;
  std::optional<DirectoryEntry> entry = resolver ? resolver->Lookup(va) : std::nullopt;
  if (!entry) {
    impl_->OnStrand([done = std::move(done), id = options.client_id](Engine&) mutable {
      SendResult r;
      r.error = Errc::kNoRoute;
      r.client_id = id;
      done(std::move(r));
    });
    return;
  }
  Send(ChooseEndpoint(entry->location, impl_->config().self), session, command, va,
       std::move(payload), options, std::move(done));
}

namespace {

// Where a synchronous send waits for its result. (Spinning first was tried: on two cores
// it starves the threads that receive the reply, and the round trip got slower.)
class SyncWaiter {
 public:
  void Set(SendResult&& r) {
    {
      std::lock_guard lock(mu_);
      result_ = std::move(r);
      ready_.store(true, std::memory_order_release);
    }
    cv_.notify_one();
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  SendResult Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return ready_.load(std::memory_order_acquire); });
    return std::move(result_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> ready_{false};
  SendResult result_;
};

}  // namespace

Result<Message> Node::SendSync(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
                               std::vector<uint8_t> payload, SendOptions options) {
  if (impl_->on_strand()) {
    return Error{make_error_code(Errc::kRejected), "SendSync called inside the node's callbacks"};
  }
  auto waiter = std::make_shared<SyncWaiter>();
  Send(peer, session, command, va, std::move(payload), options,
       [waiter](SendResult&& r) { waiter->Set(std::move(r)); });
  if (impl_->config().sync_runs_io) {
    // No thread of ours runs the io_context: this one does, until the answer is in.
    auto& io = impl_->io();
    while (!waiter->ready()) {
      if (io.stopped()) io.restart();
      io.run_one();
    }
  }
  SendResult r = waiter->Wait();
  if (r.error) return Error{r.error, std::move(r.text)};
  if (r.reply) return std::move(*r.reply);
  return Message{};
}

void Node::Reply(const Message& request, std::vector<uint8_t> payload, Va va) {
  ReplyTo(request.peer, request.header.session, request.header.transaction, request.header.command,
          va, std::move(payload));
}

void Node::ReplyTo(const Endpoint& peer, uint8_t session, uint8_t transaction, uint16_t command,
                   Va va, std::vector<uint8_t> payload) {
  impl_->OnStrand([=, payload = std::move(payload)](Engine& e) mutable {
    (void)e.ReplyTo(peer, session, transaction, command, va, std::move(payload));
  });
}

void Node::Nak(const Message& request, Errc error, std::string text) {
  impl_->OnStrand([peer = request.peer, header = request.header, error,
                   text = std::move(text)](Engine& e) { e.Nak(peer, header, error, text); });
}

void Node::Post(std::function<void(Engine&)> fn) {
  impl_->OnStrand(std::move(fn));
}

void Node::Flush() {
  if (impl_->on_strand()) {
    impl_->FlushSockets();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto ready = done->get_future();
  impl_->RunExclusive([impl = impl_, done] {
    impl->FlushSockets();
    done->set_value();
  });
  ready.wait();
}

NodeStats Node::Stats() const {
  return impl_->Stats();
}

void Node::Stop() {
  impl_->Stop();
}

// ---------------------------------------------------------------------------- IoThreads

IoThreads::IoThreads(int threads) : io_(std::make_unique<asio::io_context>(threads)) {
  work_ = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_->get_executor());
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] { io_->run(); });
}

IoThreads::~IoThreads() {
  Stop();
}

void IoThreads::Stop() {
  work_.reset();
  io_->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace dabs::mp
