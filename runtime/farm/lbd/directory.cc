// dabs-lbd: the VA directory on the wire and in the store. VA_UPDATE from every server
// keeps every directory in step; VA_QUERY is answered by any server (to the group: by the
// server the entity lives on); the store keeps it for dabsctl and for restarts.
#include <spdlog/spdlog.h>

#include <dabs/mp/wire.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {

// A rejoin re-announces every session of this server: tens of thousands of VA_UPDATEs. They
// go kReannounceBatch at a time, kReannounceEvery apart (50,000/s), so the group, the peers
// and this daemon's own loop (HELLOs, ballots) are never swamped by one burst.
constexpr size_t kReannounceBatch = 500;
constexpr auto kReannounceEvery = std::chrono::milliseconds(10);

store::DirectoryRecord ToRecord(const mp::DirectoryUpdate& u) {
  store::DirectoryRecord r;
  r.va = u.va;
  r.uri = u.uri;
  r.kind = u.kind;
  r.server = u.server;
  r.udp = u.udp.valid() ? u.udp.ToString() : "";
  r.local = u.local;
  r.pid = static_cast<int32_t>(u.pid);
  r.app = u.app;
  r.state = u.state ? mp::DaspStateName(static_cast<mp::wire::DaspState>(u.state)) : "";
  r.sessions = u.sessions;
  return r;
}

}  // namespace

void Lbd::Impl::OnVaUpdate(const mp::Message& m) {
  auto u = mp::DirectoryUpdate::Decode(m.payload);
  if (!u) {
    ++counters.malformed;
    return;
  }
  if (u->server == options.server) return;  // ours: we announced it
  if (mp::ServerIndexOf(u->va) == index && u->kind == 1) {
    spdlog::warn("{} announces {} with our server index {}", u->server, mp::FormatVa(u->va), index);
  }
  ApplyToDirectory(*u);
}

void Lbd::Impl::ApplyToDirectory(const mp::DirectoryUpdate& u) {
  if (!directory->Apply(u)) return;
  if (u.removed) {
    writer->Post([va = u.va](store::WriteTxn& txn) -> Status {
      const std::string key = "va/" + store::VaKey(va);
      auto old = txn.Get(store::Database::kDirectory, key);
      if (old && *old) {
        if (auto r = store::DirectoryRecordFromJson(**old); r && !r->uri.empty()) {
          (void)txn.Delete(store::Database::kDirectory, "uri/" + r->uri);
        }
      }
      (void)txn.Delete(store::Database::kDirectory, key);
      (void)txn.Delete(store::Database::kDirectory, "session/" + store::VaKey(va));
      return Status::Ok();
    });
    return;
  }
  std::optional<store::SessionRecord> session;
  if (u.kind == 2) {
    session = store::SessionRecord{u.app, u.server,         u.dasp_va,
                                   u.va,  u.udp.ToString(), static_cast<int64_t>(u.opened_ms)};
  }
  writer->Post([record = ToRecord(u), session](store::WriteTxn& txn) -> Status {
    const std::string key = store::VaKey(record.va);
    if (Status s = txn.Put(store::Database::kDirectory, "va/" + key, store::ToJson(record)); !s)
      return s;
    if (!record.uri.empty()) {
      if (Status s = txn.Put(store::Database::kDirectory, "uri/" + record.uri, key); !s) return s;
    }
    if (session)
      return txn.Put(store::Database::kDirectory, "session/" + key, store::ToJson(*session));
    return Status::Ok();
  });
}

namespace {

// What a set-top may learn by VA_QUERY: where a DASP instance listens (spec 3), nothing of
// this server's processes, and nothing about other set-tops (a client's entry holds its
// address). Farm members, who ask sealed, get the whole entry.
std::optional<mp::DirectoryUpdate> ForOutsiders(const mp::DirectoryUpdate& e) {
  if (e.kind != 1) return std::nullopt;
  mp::DirectoryUpdate out;
  out.va = e.va;
  out.uri = e.uri;
  out.kind = e.kind;
  out.server = e.server;
  out.udp = e.udp;
  out.app = e.app;
  out.state = e.state;
  out.removed = e.removed;
  return out;
}

}  // namespace

void Lbd::Impl::OnVaQuery(const mp::Message& m) {
  ++counters.va_queries;
  auto q = mp::VaQuery::Decode(m.payload);
  if (!q) {
    if (!m.via_group) node->Nak(m, mp::Errc::kMalformed, q.error().detail);
    return;
  }
  std::optional<mp::DirectoryUpdate> found =
      q->va != mp::kVaNone ? directory->Find(q->va) : directory->Find(q->uri);
  if (m.via_group) {
    // One answer per query: the server the entity lives on, or, for an unknown one, the
    // lowest-index live server (with an empty answer).
    const auto alive = members->Alive();
    const bool lowest = !alive.empty() && alive.front()->id == options.server;
    if (found ? found->server != options.server : !lowest) return;
  }
  if (found && m.sealed_by == 0) found = ForOutsiders(*found);
  node->Reply(m, found ? found->Encode() : std::vector<uint8_t>{});
}

void Lbd::Impl::AnnounceClient(const LocalSession& s, bool removed) {
  mp::DirectoryUpdate u;
  u.va = s.client_va;
  u.kind = 2;
  u.server = options.server;
  u.udp = s.client;
  u.app = s.app;
  u.dasp_va = s.dasp_va;
  u.opened_ms = static_cast<uint64_t>(s.opened_ms);
  u.removed = removed;
  SendToGroup(mp::wire::kVaUpdate, u.Encode());
  ++counters.va_updates_sent;
  ApplyToDirectory(u);
}

void Lbd::Impl::AnnounceEverything() {
  for (auto& [va, i] : instances)
    AnnounceInstance(i);
  const bool pacing = !reannounce.empty();  // a batch is already due: it takes the new list
  reannounce.clear();
  reannounce.reserve(sessions.size());
  for (const auto& [va, s] : sessions)
    reannounce.push_back(va);
  if (!pacing) ReannounceSome();
}

void Lbd::Impl::ReannounceSome() {
  for (size_t sent = 0; sent < kReannounceBatch && !reannounce.empty();) {
    auto s = sessions.find(reannounce.back());
    reannounce.pop_back();
    if (s == sessions.end()) continue;  // closed since: its removal went out already
    AnnounceClient(s->second, false);
    ++sent;
  }
  if (reannounce.empty() || leaving) {
    reannounce.clear();
    return;
  }
  if (!reannounce_timer) reannounce_timer.emplace(io);
  reannounce_timer->expires_after(kReannounceEvery);
  reannounce_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->ReannounceSome();
  });
}

void Lbd::Impl::ClearForeignDirectoryRecords() {
  // Other servers' entries may be stale after our absence; they announce them again when
  // they hear our first HELLO. Ours stay: the instances that survived keep them.
  Status s = store->Write([&](store::WriteTxn& txn) -> Status {
    std::vector<std::string> doomed;
    Status each = txn.ForEach(store::Database::kDirectory, "va/",
                              [&](std::string_view key, std::string_view value) {
                                auto r = store::DirectoryRecordFromJson(value);
                                if (!r || r->server != options.server) {
                                  doomed.emplace_back(key);
                                  doomed.push_back("session/" + std::string(key.substr(3)));
                                  if (r && !r->uri.empty()) doomed.push_back("uri/" + r->uri);
                                }
                                return store::Visit::kContinue;
                              });
    if (!each) return each;
    for (const auto& key : doomed)
      (void)txn.Delete(store::Database::kDirectory, key);
    return Status::Ok();
  });
  if (!s) spdlog::warn("clearing old directory records: {}", s.error().Message());
  // Our own entries come back into the in-memory directory as the instances are synced.
}

Result<mp::Va> Lbd::Impl::NextVa() {
  return vas->Next();
}

}  // namespace dabs::farm
