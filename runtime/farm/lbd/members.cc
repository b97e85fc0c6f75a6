// dabs-lbd: membership (seed 001). HELLO every heartbeat with our lease and incarnation,
// leases checked every heartbeat, the view written to the store for dabsctl.
#include <spdlog/spdlog.h>

#include <dabs/mp/wire.h>

#include "lbd_impl.h"

namespace dabs::farm {

void Lbd::Impl::StartMembership() {
  heartbeat_timer.emplace(io);
  Heartbeat();
}

void Lbd::Impl::Heartbeat() {
  if (leaving) return;
  ReadOwnFigures();
  Member& self = members->self();
  self.load_x100 = load_x100;
  self.eligible = !below_minimums && !latency_high;
  self.config_version = records.version;
  if (keys->Refresh()) SendKeyring();  // dabsctl installed a key here while we ran
  EvaluateBalance();
  mp::Hello hello = OwnHello();
  SendToGroup(mp::wire::kHello, hello.Encode());
  ++counters.hellos_sent;
  hello_sessions[options.server] = hello.sessions;
  won_since_hello[options.server] = 0;
  // Silent past our own lease (stopped, or too busy to send HELLOs): the other servers have
  // dropped our directory entries, and nothing else would tell us. Announce them again.
  const auto now = clock.Now();
  if (last_heartbeat && now - *last_heartbeat > config.lease) {
    spdlog::warn(
        "no HELLO went out for {} ms, past the {} ms lease: announcing this server's "
        "{} instances and {} sessions again",
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_heartbeat).count(),
        config.lease.count(), instances.size(), sessions.size());
    AnnounceEverything();
  }
  last_heartbeat = now;
  for (const auto& change : members->Expire())
    OnMemberChange(change);
  FollowProcesses();
  SweepRequests();
  AnnounceSessionCounts();
  WriteServerRecords();
  RecordSecurity();
  heartbeat_timer->expires_after(config.heartbeat);
  heartbeat_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Heartbeat();
  });
}

mp::Hello Lbd::Impl::OwnHello() {
  mp::Hello hello = members->SelfHello();
  hello.instances = static_cast<uint32_t>(std::count_if(
      instances.begin(), instances.end(), [](const auto& i) { return i.second.Live(); }));
  hello.sessions = SessionsOnThisServer();
  keys->Describe(hello);
  return hello;
}

void Lbd::Impl::SendHelloNow() {
  const auto now = clock.Now();
  if (now - last_extra_hello < config.heartbeat / 4) return;  // several joined at once
  last_extra_hello = now;
  SendToGroup(mp::wire::kHello, OwnHello().Encode());
  ++counters.hellos_sent;
}

void Lbd::Impl::OnHello(const mp::Message& m) {
  auto hello = mp::Hello::Decode(m.payload);
  if (!hello) {
    ++counters.malformed;
    spdlog::debug("malformed HELLO from {}: {}", m.peer.ToString(), hello.error().detail);
    return;
  }
  if (hello->server == options.server) {
    if (hello->incarnation != incarnation) {
      spdlog::error(
          "another server calls itself {} (from {}): server ids must be unique in the farm",
          hello->server, m.peer.ToString());
    }
    return;
  }
  won_since_hello[hello->server] = 0;
  auto change = members->OnHello(*hello);
  // HELLO carries the server's totals: ranking uses them between HELLOs.
  hello_sessions[hello->server] = hello->sessions;
  hello_instances[hello->server] = hello->instances;
  if (change) OnMemberChange(*change);
  if (keys->OnHello(*hello, config.heartbeat)) SendKeyring();
}

void Lbd::Impl::OnLeave(const mp::Message& m) {
  auto leave = mp::Leave::Decode(m.payload);
  if (!leave) {
    ++counters.malformed;
    return;
  }
  if (auto change = members->OnLeave(*leave)) OnMemberChange(*change);
}

void Lbd::Impl::OnMemberChange(const MemberChange& change) {
  const Member& m = change.member;
  switch (change.event) {
    case MemberEvent::kJoined:
    case MemberEvent::kRestarted:
      spdlog::info("server {} (index {}, {}) {}", m.id, m.index, m.lbd.ToString(),
                   MemberEventName(change.event));
      if (change.event == MemberEvent::kRestarted) {
        // Its old instances and sessions died with it; it announces what survived.
        for (const auto& gone : directory->DropServer(m.id)) {
          writer->Post([va = gone.va, uri = gone.uri](store::WriteTxn& txn) {
            (void)txn.Delete(store::Database::kDirectory, "va/" + store::VaKey(va));
            (void)txn.Delete(store::Database::kDirectory, "session/" + store::VaKey(va));
            if (!uri.empty()) (void)txn.Delete(store::Database::kDirectory, "uri/" + uri);
            return Status::Ok();
          });
        }
      }
      // A newcomer learns who we are at once rather than a heartbeat later (so it can vote
      // with the whole farm in view), and our part of the directory.
      SendHelloNow();
      AnnounceEverything();
      break;
    case MemberEvent::kLeft:
    case MemberEvent::kExpired: {
      keys->Forget(m.id);
      auto gone = directory->DropServer(m.id);
      spdlog::warn("server {} (index {}) {}: {} directory entries dropped", m.id, m.index,
                   MemberEventName(change.event), gone.size());
      writer->Post([gone = std::move(gone)](store::WriteTxn& txn) {
        for (const auto& e : gone) {
          (void)txn.Delete(store::Database::kDirectory, "va/" + store::VaKey(e.va));
          (void)txn.Delete(store::Database::kDirectory, "session/" + store::VaKey(e.va));
          if (!e.uri.empty()) (void)txn.Delete(store::Database::kDirectory, "uri/" + e.uri);
        }
        return Status::Ok();
      });
      hello_sessions.erase(m.id);
      hello_instances.erase(m.id);
      // Ballots it will never cast no longer hold decisions up.
      PollBallots();
      break;
    }
  }
}

std::set<std::string> Lbd::Impl::LiveIds() const {
  std::set<std::string> ids;
  for (const Member* m : members->Alive())
    ids.insert(m->id);
  return ids;
}

void Lbd::Impl::ReadOwnFigures() {
  // dabs-statd keeps this server's current figures in the store (statistics current/<id>).
  std::optional<store::StatsRecord> mine;
  Status s = store->Read([&](const store::ReadTxn& txn) -> Status {
    auto v = txn.Get(store::Database::kStatistics, "current/" + options.server);
    if (!v) return v.error();
    if (*v) {
      auto r = store::StatsRecordFromJson(**v);
      if (r) mine = std::move(*r);
    }
    return Status::Ok();
  });
  if (!s || !mine) return;
  // Figures older than a few heartbeats are not believed (dabs-statd may be down).
  if (NowMs() - mine->sampled_ms > 5000) return;
  auto figure = [&](const char* name) -> std::optional<double> {
    auto it = mine->figures.find(name);
    return it == mine->figures.end() ? std::nullopt : std::optional<double>(it->second);
  };
  if (auto load = figure("load")) load_x100 = static_cast<uint32_t>(std::max(0.0, *load) * 100.0);
  if (auto below = figure("below_minimums")) below_minimums = *below != 0;
  if (auto high = figure("latency_high")) latency_high = *high != 0;
}

void Lbd::Impl::OnServerStats(const mp::Message& m) {
  // dabs-statd tells us at once when a minimum or a water mark is crossed (seed Fig. 14).
  auto stats = mp::ServerStats::Decode(m.payload);
  if (!stats || (!stats->server.empty() && stats->server != options.server)) return;
  namespace st = mp::server_stat;
  const auto& v = stats->figures.values;
  if (v.count(st::kLoadX100)) load_x100 = static_cast<uint32_t>(v.at(st::kLoadX100));
  if (v.count(st::kBelowMinimums)) below_minimums = v.at(st::kBelowMinimums) != 0;
  if (v.count(st::kLatencyHigh)) latency_high = v.at(st::kLatencyHigh) != 0;
  spdlog::info("statistics: load {:.2f}{}{}", load_x100 / 100.0,
               below_minimums ? ", below minimums" : "",
               latency_high ? ", latency over high water" : "");
}

void Lbd::Impl::WriteServerRecords() {
  std::vector<store::ServerRecord> out;
  for (const Member* m : members->Alive()) {
    store::ServerRecord r;
    r.id = m->id;
    r.index = m->index;
    r.lbd = m->lbd.ToString();
    r.stats = m->stats ? m->stats->ToString() : "";
    r.config = m->config ? m->config->ToString() : "";
    r.incarnation = m->incarnation;
    r.lease_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(m->lease).count());
    r.last_heard_ms =
        NowMs() -
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - m->last_heard).count();
    r.joined_ms =
        NowMs() -
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - m->joined).count();
    r.state = leaving && m->self ? "gone" : members->StateOf(m->id);
    r.load_x100 = m->load_x100;
    r.eligible = m->eligible;
    r.balance = BalanceStateName(BalanceStateFromWire(m->balance));
    r.config_version = m->config_version;
    r.self = m->self;
    const auto announced = keys->members().find(m->id);
    if (m->self) {
      r.keyring_version = keys->keyring().version;
      r.keyring_primary = mp::FarmKeyIdText(keys->channel().guard()->keys()->primary().id);
      for (mp::FarmKeyId id : keys->keyring().Ids())
        r.key_ids.push_back(mp::FarmKeyIdText(id));
    } else if (announced != keys->members().end()) {
      r.keyring_version = announced->second.version;
      r.keyring_primary = mp::FarmKeyIdText(announced->second.primary);
      for (mp::FarmKeyId id : announced->second.ids)
        r.key_ids.push_back(mp::FarmKeyIdText(id));
    }
    if (m->self) {
      r.sessions = SessionsOnThisServer();
      r.instances = static_cast<uint32_t>(std::count_if(
          instances.begin(), instances.end(), [](const auto& i) { return i.second.Live(); }));
    } else {
      r.sessions = hello_sessions.count(m->id) ? hello_sessions.at(m->id) : 0;
      r.instances = hello_instances.count(m->id) ? hello_instances.at(m->id) : 0;
    }
    out.push_back(std::move(r));
  }
  for (const Member& m : members->RecentlyGone()) {
    store::ServerRecord r;
    r.id = m.id;
    r.index = m.index;
    r.lbd = m.lbd.ToString();
    r.incarnation = m.incarnation;
    r.lease_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(m.lease).count());
    r.last_heard_ms =
        NowMs() -
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - m.last_heard).count();
    r.state = "gone";
    out.push_back(std::move(r));
  }
  writer->Post([out = std::move(out)](store::WriteTxn& txn) -> Status {
    for (const auto& r : out) {
      if (Status s = txn.Put(store::Database::kServers, r.id, store::ToJson(r)); !s) return s;
    }
    return Status::Ok();
  });
}

}  // namespace dabs::farm
