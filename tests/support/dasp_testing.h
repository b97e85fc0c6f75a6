// Private, for the framework's tests: a fake dabs-lbd on a local socket (a real MP node)
// that records what instances report and can send them commands, and DACP-like clients.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <dabs/dasp/instance.h>
#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

namespace dabs::dasp::testing {

using namespace std::chrono_literals;

inline std::string TempSocket(const std::string& name) {
  static std::atomic<int> n{0};
  return (std::filesystem::temp_directory_path() /
          ("dasp-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" + name + ".sock"))
      .string();
}

// Records every message it gets; answers STARTED; sends commands to instances.
class FakeLbd {
 public:
  explicit FakeLbd(boost::asio::io_context& io) : path_(TempSocket("lbd")) {
    mp::NodeConfig c;
    c.local_path = path_;
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command == mp::wire::kStarted) node_->Reply(m, {});
      std::lock_guard lock(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    };
    node_ = mp::Node::Create(io, c, cb).value();
  }
  mp::Endpoint endpoint() const { return mp::Endpoint::Local(path_); }
  mp::Node& node() { return *node_; }

  // Waits until a message matching `pred` has come; returns it.
  std::optional<mp::Message> WaitFor(const std::function<bool(const mp::Message&)>& pred,
                                     std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mu_);
    std::optional<mp::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : got_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::optional<mp::StateChange> WaitForState(mp::StateReason reason, std::chrono::milliseconds timeout = 5000ms) {
    auto found = WaitFor(
        [&](const mp::Message& m) {
          if (m.header.command != mp::wire::kStateChange) return false;
          auto s = mp::StateChange::Decode(m.payload);
          return s && s->reason == reason;
        },
        timeout);
    if (!found) return std::nullopt;
    return mp::StateChange::Decode(found->payload).value();
  }
  size_t Count(uint16_t command) {
    std::lock_guard lock(mu_);
    return std::count_if(got_.begin(), got_.end(), [&](const auto& m) { return m.header.command == command; });
  }

 private:
  std::string path_;
  std::unique_ptr<mp::Node> node_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> got_;
};

// A client node (a DACP, for the framework's purposes) that records unsolicited messages.
class Client {
 public:
  explicit Client(boost::asio::io_context& io) {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      std::lock_guard lock(mu_);
      unsolicited_.push_back(std::move(m));
      cv_.notify_all();
    };
    node_ = mp::Node::Create(io, c, cb).value();
  }
  mp::Node& node() { return *node_; }
  mp::Endpoint endpoint() const { return *node_->udp_endpoint(); }

  // Opens a session directly (standalone instance); the reply, or the error.
  Result<mp::OpenSessionReply> Open(const mp::Endpoint& dasp, const std::string& app = "test") {
    auto r = node_->SendSync(dasp, 0, mp::wire::kOpenSession, 0,
                             mp::OpenSessionRequest{app, {}, "client", {}}.Encode());
    if (!r) return r.error();
    auto reply = mp::OpenSessionReply::Decode(r->payload);
    if (reply) node_->OpenSession(dasp, reply->session);
    return reply;
  }

  std::vector<mp::Message> Unsolicited() {
    std::lock_guard lock(mu_);
    return unsolicited_;
  }
  bool WaitUnsolicited(uint16_t command, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::any_of(unsolicited_.begin(), unsolicited_.end(),
                         [&](const auto& m) { return m.header.command == command; });
    });
  }

 private:
  std::unique_ptr<mp::Node> node_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> unsolicited_;
};

inline InstanceConfig Standalone(const std::string& app = "test") {
  InstanceConfig c;
  c.app = app;
  c.standalone = true;
  c.listen = mp::Endpoint::Parse("127.0.0.1:0").value();
  c.workers = 2;
  return c;
}

}  // namespace dabs::dasp::testing
