#include "ledger.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "ppv_errc.h"

namespace dabs::ppv {

struct Ledger::State {
  struct Pending {
    PurchaseAttempt attempt;
    Done done;
  };

  State(std::unique_ptr<LmdbEnv> e, LedgerOptions o, PinPolicy p)
      : env(std::move(e)), options(std::move(o)), policy(p) {}
  void Loop();
  void Decide(std::vector<Pending>& group);

  const std::unique_ptr<LmdbEnv> env;
  const LedgerOptions options;
  const PinPolicy policy;
  std::mutex mu;
  std::condition_variable wake;
  std::deque<Pending> queue;  // guarded by mu
  bool stopping = false;      // guarded by mu
  LedgerStats stats;          // guarded by mu
};

Result<std::unique_ptr<Ledger>> Ledger::Open(const LedgerOptions& options, PinPolicy policy) {
  LmdbOptions o;
  o.dir = options.dir;
  o.databases = LedgerDatabases();
  o.map_bytes = options.map_bytes;
  auto env = LmdbEnv::Open(o);
  if (!env) return env.error();
  if (Status s = (*env)->Write(CheckSchema); !s) return s.error();
  return std::unique_ptr<Ledger>(
      new Ledger(std::make_shared<State>(std::move(*env), options, policy)));
}

Ledger::Ledger(std::shared_ptr<State> state) : state_(std::move(state)) {
  writer_ = std::thread([s = state_] { s->Loop(); });
}

Ledger::~Ledger() {
  Close();
}

void Ledger::Close() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  std::lock_guard lock(close_mu_);
  if (!writer_.joinable()) return;
  // Called (or the ledger dropped) by a `done` on the writer thread itself: it finishes the
  // queue and then ends, holding the state alive meanwhile.
  if (writer_.get_id() == std::this_thread::get_id()) {
    writer_.detach();
  } else {
    writer_.join();
  }
}

void Ledger::Submit(PurchaseAttempt attempt, Done done) {
  State& s = *state_;
  bool stopping;
  {
    std::lock_guard lock(s.mu);
    stopping = s.stopping;
    if (!stopping && s.queue.size() < s.options.queue_limit) {
      s.queue.push_back({std::move(attempt), std::move(done)});
      s.wake.notify_one();
      return;
    }
    ++s.stats.busy;
  }
  if (stopping) return done(PpvError(PpvErrc::kStopped, "the ledger is closing"));
  done(PpvError(PpvErrc::kLedgerBusy,
                std::to_string(s.options.queue_limit) + " purchases wait for the ledger"));
}

void Ledger::State::Loop() {
  for (;;) {
    std::vector<Pending> group;
    {
      std::unique_lock lock(mu);
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything queued was decided
      const size_t n = std::min(queue.size(), options.group_limit);
      for (size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    Decide(group);
  }
}

// One transaction for the group. Should it fail (the map full, a damaged record), each
// purchase is tried again alone, so that one bad purchase does not fail its neighbours.
void Ledger::State::Decide(std::vector<Pending>& group) {
  std::vector<PurchaseOutcome> outcomes;
  auto decide = [&](size_t from, size_t to) {
    Status s = env->Write([&](Txn& txn) -> Status {
      outcomes.clear();  // Write may run this twice
      for (size_t i = from; i < to; ++i)
        outcomes.push_back(ApplyPurchase(txn, group[i].attempt, policy));
      return txn.status();
    });
    std::lock_guard lock(mu);
    stats.purchases += s ? to - from : 0;
    stats.commits += s ? 1 : 0;
    stats.largest_group = std::max<uint64_t>(stats.largest_group, to - from);
    return s;
  };
  Status s = decide(0, group.size());
  if (s) {
    for (size_t i = 0; i < group.size(); ++i)
      group[i].done(std::move(outcomes[i]));
    return;
  }
  if (group.size() == 1) return group[0].done(s.error());
  for (size_t i = 0; i < group.size(); ++i) {
    if (Status alone = decide(i, i + 1); alone) {
      group[i].done(std::move(outcomes[0]));
    } else {
      group[i].done(alone.error());
    }
  }
}

Result<PurchasesReply> Ledger::Purchases(std::string_view subscriber, uint64_t after,
                                         uint16_t max) {
  PurchasesReply page;
  Status s = state_->env->Read([&](Txn& txn) -> Status {
    page = ReadPurchases(txn, subscriber, after, max);
    return txn.status();
  });
  if (!s) return s.error();
  return page;
}

Status Ledger::ForEach(const std::function<void(std::string_view, const PurchaseRecord&)>& f) {
  return state_->env->Read([&](Txn& txn) -> Status {
    ForEachPurchase(txn, f);
    return txn.status();
  });
}

LedgerStats Ledger::Stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

const std::filesystem::path& Ledger::dir() const {
  return state_->env->dir();
}

}  // namespace dabs::ppv
