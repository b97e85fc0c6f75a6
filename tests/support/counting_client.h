// A set-top that counts (tests and benchmarks of moving sessions): it runs the counter
// application's ADD 1 over and over through the DACP framework, and checks every reply: the
// session's total must be the number of ADDs answered before it, plus one, whichever instance
// answers. A total too low is a lost ADD, too high one applied twice. It also measures each
// call, and the pause a move makes: from the last reply before a REDIRECT to the first after.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/coding.h>

namespace dabs::testing {

class CountingClient : public std::enable_shared_from_this<CountingClient> {
 public:
  static constexpr uint16_t kAdd = 0x0100;
  using Clock = std::chrono::steady_clock;

  // A counter set-top `client_id` on `gateway`, its session opened through `farm` (the group):
  // not started yet, or the open's error.
  static Result<std::shared_ptr<CountingClient>> Open(dacp::Gateway& gateway,
                                                      boost::asio::io_context& io,
                                                      const mp::Endpoint& farm,
                                                      const std::string& client_id,
                                                      std::chrono::microseconds think) {
    dacp::ClientConfig c;
    c.app = "counter";
    c.client_id = client_id;
    c.farm = farm;
    c.open_timeout = std::chrono::seconds(10);
    auto seat = gateway.TakeSeat();
    if (!seat) return seat.error();
    auto client = dacp::Client::Create(std::move(*seat), c);
    auto redirects = std::make_shared<std::atomic<int>>(0);
    dacp::ClientCallbacks cb;  // counts REDIRECTs, for the pauses
    cb.on_redirect = [redirects](const dacp::SessionInfo&) { ++*redirects; };
    client->SetCallbacks(cb);
    if (Status opened = client->OpenSync(); !opened) return opened.error();
    return std::make_shared<CountingClient>(client, redirects, io, think);
  }

  // `think`: the pause between a reply and the next ADD (a timer on `io`); zero: at once.
  CountingClient(std::shared_ptr<dacp::Client> c, std::shared_ptr<std::atomic<int>> redirects,
                 boost::asio::io_context& io, std::chrono::microseconds think = {})
      : client(std::move(c)), redirects_(std::move(redirects)), timer_(io), think_(think) {}

  void Start() { Next(); }
  void Stop() { running = false; }

  std::shared_ptr<dacp::Client> client;
  std::atomic<bool> running{true}, idle{false};
  std::atomic<uint64_t> answered{0}, failures{0}, wrong_totals{0};

  std::string first_failure() {
    std::lock_guard lock(mu_);
    return first_failure_;
  }
  // Microseconds per call, and per move (last reply before a REDIRECT to the first after).
  std::vector<double> call_us() {
    std::lock_guard lock(mu_);
    return call_us_;
  }
  std::vector<double> pause_us() {
    std::lock_guard lock(mu_);
    return pause_us_;
  }

 private:
  void Next() {
    if (!running) {
      idle = true;
      return;
    }
    std::vector<uint8_t> one(8);
    mp::PutU64(one.data(), 1);
    const auto sent = Clock::now();
    client->Call(kAdd, std::move(one),
                 [self = shared_from_this(), sent](Result<std::vector<uint8_t>>&& r) {
                   self->Done(sent, std::move(r));
                   self->Later();
                 });
  }

  void Later() {
    if (think_.count() == 0) return Next();
    timer_.expires_after(think_);
    timer_.async_wait(
        [self = shared_from_this()](const boost::system::error_code&) { self->Next(); });
  }

  void Done(Clock::time_point sent, Result<std::vector<uint8_t>>&& r) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    if (!r) {
      if (failures++ == 0) first_failure_ = r.error().Message();
      return;
    }
    call_us_.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
    const int redirects = redirects_->load();
    if (redirects != seen_redirects_ && last_reply_ != Clock::time_point{}) {
      pause_us_.push_back(std::chrono::duration<double, std::micro>(now - last_reply_).count());
    }
    seen_redirects_ = redirects;
    last_reply_ = now;
    if (r->size() != 16 || mp::GetU64(r->data()) != answered + 1) {
      ++wrong_totals;
      if (r->size() == 16) answered = mp::GetU64(r->data());
    } else {
      ++answered;
    }
  }

  std::shared_ptr<std::atomic<int>> redirects_;
  std::mutex mu_;
  std::string first_failure_;
  std::vector<double> call_us_, pause_us_;
  boost::asio::steady_timer timer_;  // used from the client's callbacks only, one at a time
  std::chrono::microseconds think_;
  int seen_redirects_ = 0;
  Clock::time_point last_reply_{};
};

}  // namespace dabs::testing
