// What the daemon hears: CONFIG_SYNC from the group (announcements, configurations whole
// or in parts) and PING on the local socket; checking and adopting newer configurations.
// See daemon.h and README.md.
#include <spdlog/spdlog.h>

#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/mp/wire.h>

#include "config_check.h"
#include "daemon_impl.h"

namespace dabs::configd {

namespace {

ConfigId IdOf(const config::Records& r) {
  return {r.version, r.origin, config::RecordsDigest(r)};
}

void CountOrder(Counters& c, const ConfigId& remote, const ConfigId& local) {
  const int order = Compare(remote, local);
  if (order < 0) ++c.older_heard;
  if (order > 0) ++c.newer_heard;
}

}  // namespace

void Daemon::Impl::OnMessage(mp::Message&& m) {
  // From the network only what came sealed with the farm key (the guard dropped the rest
  // before it was parsed); on the local socket, this server's own tools.
  if (m.peer.kind() == mp::TransportKind::kUdp && m.sealed_by == 0) return;
  switch (m.header.command) {
    case mp::wire::kConfigSync:
      return OnSync(m);
    case mp::wire::kPing:
      // On the local socket PING answers with our status (README.md); elsewhere as spec 7.
      if (m.peer.kind() == mp::TransportKind::kLocal) {
        const std::string json = Daemon::StatusJson(Status());
        return node_->Reply(m, std::vector<uint8_t>(json.begin(), json.end()));
      }
      return node_->Reply(m, {});
    default:
      if (!m.via_group) {
        node_->Nak(m, mp::Errc::kUnknownCommand, "dabs-configd answers CONFIG_SYNC and PING");
      }
  }
}

void Daemon::Impl::OnSync(const mp::Message& m) {
  if (m.peer == self_) return;  // our own, back through the multicast loop
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) return;  // the policy knows no local configuration yet
  }
  auto sync = DecodeSync(m.payload);
  if (!sync) {
    std::lock_guard lock(mu_);
    ++counters_.malformed;
    Warn(malformed_log_,
         "dropped a malformed CONFIG_SYNC from " + m.peer.ToString() + ": " + sync.error().detail);
    return;
  }
  switch (sync->kind) {
    case Heard::kAnnounce: {
      Actions actions;
      {
        std::lock_guard lock(mu_);
        ++counters_.announcements_received;
        CountOrder(counters_, sync->id, policy_.local());
        actions = policy_.OnHeard(sync->id, Heard::kAnnounce, clock_.Now());
      }
      spdlog::debug("heard {} announced by {}", sync->id.ToString(), m.peer.ToString());
      return Carry(actions);
    }
    case Heard::kPart:
      return OnPart(std::move(*sync), m.peer);
    case Heard::kFull:
      return OnFull(std::move(*sync), m.peer);
  }
}

void Daemon::Impl::OnPart(SyncMessage&& part, const mp::Endpoint& from) {
  Actions actions;
  PartAssembler::Added added;
  bool wanted = false;
  {
    std::lock_guard lock(mu_);
    ++counters_.parts_received;
    actions = policy_.OnHeard(part.id, Heard::kPart, clock_.Now());
    wanted = policy_.Wants(part.id);
    if (wanted) added = assembler_.Add(part, clock_.Now());
  }
  Carry(actions);
  if (!wanted || added.outcome == PartAssembler::Outcome::kIncomplete) return;
  std::string bad;
  if (added.outcome == PartAssembler::Outcome::kRejected) {
    bad = added.why;
  } else if (auto full = DecodeSync(added.whole); !full) {
    bad = full.error().detail;
  } else if (full->kind != Heard::kFull || full->id != part.id) {
    bad = "its parts put together are not " + part.id.ToString();
  } else {
    return OnFull(std::move(*full), from);
  }
  std::lock_guard lock(mu_);
  ++counters_.malformed;
  Warn(malformed_log_, "dropped a CONFIG_SYNC in parts from " + from.ToString() + ": " + bad);
}

void Daemon::Impl::OnFull(SyncMessage&& full, const mp::Endpoint& from) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    ++counters_.fulls_received;
    CountOrder(counters_, full.id, policy_.local());
    actions = policy_.OnHeard(full.id, Heard::kFull, clock_.Now());
  }
  Carry(actions);
  if (actions.adopt) Adopt(std::move(full.records), full.id, from);
}

void Daemon::Impl::Adopt(config::Records&& records, const ConfigId& id, const mp::Endpoint& from) {
  std::optional<Actions> actions;
  {
    std::lock_guard change(change_mu_);
    actions = CheckAndSave(std::move(records), id, from);
  }
  if (actions) Carry(*actions);
}

std::optional<Actions> Daemon::Impl::CheckAndSave(config::Records&& records, const ConfigId& id,
                                                  const mp::Endpoint& from) {
  ConfigId before;
  {
    std::lock_guard lock(mu_);
    if (!policy_.Wants(id)) return std::nullopt;  // a change made meanwhile settled it
    before = policy_.local();
  }
  const Verdict verdict = CheckReceived(records);
  if (!verdict.accepted) {
    {
      std::lock_guard lock(mu_);
      ++counters_.refused;
      policy_.OnRefused(id);
    }
    spdlog::error("refused {} sent by {}: {}; keeping {}", id.ToString(), from.ToString(),
                  Summarise(verdict.problems), before.ToString());
    return std::nullopt;
  }
  switch (SaveIfNewer(records, id)) {
    case Saved::kFailed:
      return std::nullopt;
    case Saved::kStale:
      spdlog::info("did not adopt {}: the store holds a newer one", id.ToString());
      return std::nullopt;
    case Saved::kSaved:
      break;
  }
  const std::string group = records.Effective("farm.config_group").value_or("");
  Actions actions;
  {
    std::lock_guard lock(mu_);
    ++counters_.adopted;
    SetLocal(std::move(records), id);
    actions = policy_.OnLocalChange(id, false, clock_.Now());
  }
  if (verdict.local_problems.empty()) {
    spdlog::info("adopted {} sent by {} (was {})", id.ToString(), from.ToString(),
                 before.ToString());
  } else {
    spdlog::warn("adopted {} sent by {} (was {}), though this server lacks what it names: {}",
                 id.ToString(), from.ToString(), before.ToString(),
                 Summarise(verdict.local_problems));
  }
  if (group != options_.group.ToString()) {
    spdlog::warn("farm.config_group is now {}; this dabs-configd stays on {} until it restarts",
                 group, options_.group.ToString());
  }
  return actions;
}

// Compares and saves in one write transaction, so that a version written meanwhile by
// another process (dabsctl config import) is never overwritten by an older one.
Daemon::Impl::Saved Daemon::Impl::SaveIfNewer(const config::Records& records, const ConfigId& id) {
  Saved saved = Saved::kFailed;
  std::vector<std::string> changes;
  dabs::Status s = options_.store->Write([&](store::WriteTxn& txn) -> dabs::Status {
    auto stored = config::ReadConfig(txn);
    if (!stored) return stored.error();
    if (*stored && !Newer(id, IdOf(**stored))) {
      saved = Saved::kStale;
      return dabs::Status::Ok();
    }
    saved = Saved::kSaved;
    changes = config::ExecutableChanges(stored->value_or(config::Records{}), records);
    return config::WriteConfig(txn, records, id.origin);  // the audit names the origin
  });
  if (!s) {
    spdlog::error("cannot save {}: {}", id.ToString(), s.error().Message());
    return Saved::kFailed;
  }
  // What the farm will now run as root: every change is worth an operator's eye.
  for (const std::string& change : changes)
    spdlog::warn("{} changes an executable: {}", id.ToString(), change);
  return saved;
}

}  // namespace dabs::configd
