#include <dabs/dasp/timers.h>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>

#include <dabs/mp/errc.h>

namespace dabs::dasp {

// ---------------------------------------------------------------------------- ReadTimer

namespace {
ReadTimer::Config Complete(ReadTimer::Config c) {
  if (c.backlog_reads == 0) c.backlog_reads = 1;
  if (c.adjust_per_read <= Duration(0)) {
    c.adjust_per_read = c.first_timeout / std::max<uint32_t>(1, c.backlog_reads / 2);
  }
  return c;
}
}  // namespace

ReadTimer::ReadTimer(std::string name, const Config& config, std::function<void(uint64_t)> on_backlog)
    : Timer(std::move(name)), config_(Complete(config)), on_backlog_(std::move(on_backlog)),
      timeout_(config_.first_timeout) {}

Duration ReadTimer::timeout() const {
  std::lock_guard lock(mu_);
  return timeout_;
}

uint32_t ReadTimer::consecutive() const {
  std::lock_guard lock(mu_);
  return consecutive_;
}

void ReadTimer::OnRead(bool timed_out) {
  uint64_t report = 0;
  {
    std::lock_guard lock(mu_);
    if (timed_out) {
      RecordTimeout();
      consecutive_ = 0;
      timeout_ = config_.first_timeout;
      return;
    }
    RecordCompletion(Duration(0));
    ++not_timed_out_total_;
    timeout_ = std::max(config_.min_timeout, timeout_ - config_.adjust_per_read);
    if (++consecutive_ >= config_.backlog_reads) {
      report = consecutive_;
      consecutive_ = 0;  // the next report needs as many reads again
      ++backlog_reports_;
    }
  }
  if (report && on_backlog_) on_backlog_(report);
}

// ---------------------------------------------------------------------------- WriteTimer

WriteTimer::WriteTimer(std::string name, const Config& config,
                       std::function<void(uint64_t)> on_timeout, const mp::Clock& clock)
    : Timer(std::move(name)), config_(config), on_timeout_(std::move(on_timeout)), clock_(clock),
      interval_start_(clock.Now()) {}

Status WriteTimer::Write(const std::function<bool(Duration)>& attempt) {
  Duration timeout = config_.initial_timeout;
  const auto start = clock_.Now();
  for (int i = 0; i < std::max(1, config_.max_tries); ++i) {
    if (attempt(timeout)) {
      RecordCompletion(clock_.Now() - start);
      return Status::Ok();
    }
    RecordTimeout();
    timeout = std::chrono::duration_cast<Duration>(timeout * config_.factor);
  }
  uint64_t in_interval;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.Now();
    if (now - interval_start_ >= config_.interval) {
      interval_start_ = now;
      in_interval_ = 0;
    }
    in_interval = ++in_interval_;
  }
  if (on_timeout_) on_timeout_(in_interval);
  return Error{make_error_code(mp::Errc::kTimedOut),
               "write '" + name() + "' timed out " + std::to_string(config_.max_tries) + " times"};
}

uint64_t WriteTimer::timeouts_in_interval() const {
  std::lock_guard lock(mu_);
  return clock_.Now() - interval_start_ >= config_.interval ? 0 : in_interval_;
}

// ---------------------------------------------------------------------------- AsyncTimer

AsyncTimer::AsyncTimer(std::string name, uint64_t client_id, Callback callback)
    : Timer(std::move(name)), client_id_(client_id), callback_(std::move(callback)),
      started_(std::chrono::steady_clock::now()) {}

std::shared_ptr<AsyncTimer> AsyncTimer::Start(boost::asio::io_context& io, std::string name,
                                              Duration timeout, uint64_t client_id,
                                              Callback callback) {
  std::shared_ptr<AsyncTimer> t(new AsyncTimer(std::move(name), client_id, std::move(callback)));
  auto timer = std::make_shared<boost::asio::steady_timer>(io, timeout);
  t->timer_ = timer;
  timer->async_wait([keep = t](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: it completed
    AsyncOutcome o;
    o.timed_out = true;
    o.status = Error{make_error_code(mp::Errc::kTimedOut), "asynchronous call timed out"};
    keep->Fire(std::move(o));
  });
  return t;
}

bool AsyncTimer::Complete(Status status) {
  AsyncOutcome o;
  o.status = std::move(status);
  if (!Fire(std::move(o))) return false;
  static_cast<boost::asio::steady_timer*>(timer_.get())->cancel();
  return true;
}

bool AsyncTimer::Fire(AsyncOutcome outcome) {
  if (done_.exchange(true)) return false;
  outcome.elapsed = std::chrono::steady_clock::now() - started_;
  outcome.client_id = client_id_;
  outcome.timed_out ? RecordTimeout() : RecordCompletion(outcome.elapsed);
  if (callback_) callback_(outcome);
  return true;
}

}  // namespace dabs::dasp
