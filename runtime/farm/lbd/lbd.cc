// dabs-lbd: start-up, shutdown and message dispatch.
#include <random>

#include <spdlog/spdlog.h>
#include <sys/un.h>

#include <dabs/config/errc.h>
#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/wire.h>
#include <dabs/store/private_files.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {

Error Failed(const std::string& what) {
  return Error{make_error_code(config::DaemonErrc::kStartup), what};
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

std::string RequestKey(const mp::Message& m, const mp::OpenSessionRequest& open) {
  return m.peer.ToString() + "/" + std::to_string(m.header.transaction) + "/" +
         std::to_string(m.header.sent.MillisOfHour()) + "/" + Hex(open.client_id);
}

Result<std::unique_ptr<Lbd>> Lbd::Start(const LbdOptions& options) {
  auto impl = std::make_shared<Impl>(options);
  if (Status s = impl->Open(); !s) return s.error();
  impl->Begin();
  return std::unique_ptr<Lbd>(new Lbd(impl));
}

Lbd::~Lbd() {
  Stop({});
  Wait();
}

void Lbd::Stop(std::function<void()> done) {
  {
    // Once the loop has ended nothing would run what is posted, and a handler left in the
    // loop's queue would hold the Impl (which owns the loop) for ever.
    std::lock_guard lock(impl_->stop_mu);
    if (impl_->stopped) {
      if (done) done();
      return;
    }
  }
  boost::asio::post(
      impl_->io, [impl = impl_, done = std::move(done)]() mutable { impl->Stop(std::move(done)); });
}

void Lbd::Wait() {
  {
    std::unique_lock lock(impl_->stop_mu);
    impl_->stop_cv.wait(lock, [&] { return impl_->stopped; });
  }
  if (impl_->loop.joinable()) impl_->loop.join();
}

Status Lbd::Impl::Open() {
  for (auto step : {&Impl::OpenStore, &Impl::AdoptConfiguration, &Impl::ResolveIdentity,
                    &Impl::OpenFarmChannel, &Impl::OpenVaSource, &Impl::CreateNode}) {
    if (Status s = (this->*step)(); !s) return s;
  }
  Member self{options.server, index,       *node->udp_endpoint(), std::nullopt,
              std::nullopt,   incarnation, config.lease};
  members = std::make_unique<Membership>(self, config.heartbeat, clock);
  BallotBoxConfig bc;
  bc.window = config.ballot_window;
  box = std::make_unique<BallotBox>(bc, clock);
  rebalancer = std::make_unique<Rebalancer>(clock, BalanceConfigOf(config), config.rebalance_period);
  StartSupervisor();
  spdlog::info("server {} (index {}) on {}, group {}, policy {}, state in {}", options.server,
               index, node->udp_endpoint()->ToString(), config.group.ToString(), PolicyName(policy),
               layout.dir.string());
  return Status::Ok();
}

Status Lbd::Impl::OpenStore() {
  // Local sockets live in the state directory, and their paths must fit a sockaddr_un.
  if (layout.dasp_socket(0xFFFFFFFF).string().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Failed("the state directory's path is too long for local sockets (" +
                  layout.dasp_socket(0).string() + " must be under " +
                  std::to_string(sizeof(sockaddr_un{}.sun_path)) + " bytes)");
  }
  auto prepared = store::PrepareStateDirectory(layout.dir);
  if (!prepared) return prepared.error();
  if (!prepared->empty()) spdlog::warn("{}", *prepared);
  auto opened = store::Store::Open(layout.store());
  if (!opened) return opened.error();
  store = std::move(*opened);
  return Status::Ok();
}

Status Lbd::Impl::AdoptConfiguration() {
  std::vector<config::Problem> problems;
  auto adopted = config::AdoptFarmFile(*store, options.farm_file, options.server, &problems);
  if (!adopted) {
    for (const auto& p : problems)
      spdlog::error("{}", p.ToString());
    return adopted.error();
  }
  spdlog::info("configuration: {}", adopted->what);
  records = adopted->records;
  auto built = config::Build(records);
  if (!built) return built.error();
  config = std::move(*built);
  if (auto p = ParsePolicy(config.policy)) policy = *p;
  return Status::Ok();
}

// Who we are: the pinned entry, or s<K> -> index K (config.md: unpinned servers are s1..sN).
Status Lbd::Impl::ResolveIdentity() {
  const config::ServerEntry* pinned = config.Server(options.server);
  index = config.IndexOf(options.server);
  if (index == 0 || index > mp::kMaxServerIndex) {
    return Failed("server '" + options.server +
                  "' has no index: pin it under servers: with an index, or name it s1..s4095");
  }
  address = !options.address.empty()    ? options.address
            : pinned && pinned->address ? *pinned->address
                                        : config.interface;
  if (address == "0.0.0.0") address = "127.0.0.1";
  std::random_device rd;
  incarnation = (static_cast<uint64_t>(NowMs()) << 16) ^ (static_cast<uint64_t>(rd()) & 0xFFFF);
  return Status::Ok();
}

// What outsiders may send dabs-lbd (docs/spec/farm-seal.md section 1): OPEN_SESSION and
// VA_QUERY on the load-balancing group, and the ACK or NAK of a VA_QUERY reply.
Status Lbd::Impl::OpenFarmChannel() {
  mp::FarmGuardPolicy outsiders;
  outsiders.open_group_commands = {mp::wire::kOpenSession, mp::wire::kVaQuery};
  outsiders.open_answer_commands = {mp::wire::kVaQuery};
  auto channel = keyring::FarmChannel::Open(layout.dir, config.name, index, mp::FarmRole::kLbd,
                                            std::move(outsiders));
  if (!channel) return channel.error();
  keys = std::make_unique<KeyringSync>(std::move(*channel), options.server, clock);
  return Status::Ok();
}

Status Lbd::Impl::OpenVaSource() {
  writer = std::make_unique<StoreWriter>(*store);
  // VA counters, never repeated across restarts.
  uint32_t stored_limit = 0;
  Status read = store->Read([&](const store::ReadTxn& txn) -> Status {
    auto v = txn.Get(store::Database::kDirectory, "next_counter");
    if (!v) return v.error();
    if (*v) stored_limit = static_cast<uint32_t>(std::stoul(std::string(**v)));
    return Status::Ok();
  });
  if (!read) return read;
  vas = std::make_unique<VaSource>(index, stored_limit, [this](uint32_t limit) {
    return store
        ->Write([&](store::WriteTxn& txn) {
          return txn.Put(store::Database::kDirectory, "next_counter", std::to_string(limit));
        })
        .ok();
  });
  ClearForeignDirectoryRecords();
  return Status::Ok();
}

// The node: our UDP endpoint (pinned port or any), the load-balancing group, our local socket.
Status Lbd::Impl::CreateNode() {
  const config::ServerEntry* pinned = config.Server(options.server);
  std::error_code ec;
  mp::NodeConfig nc;
  nc.engine.max_transmissions = config.max_transmissions;
  nc.engine.rto.initial = config.initial_rto;
  nc.engine.reassembly.max_message_bytes = config.max_message_bytes;
  auto udp = mp::Endpoint::Parse(address + ":" +
                                 std::to_string(pinned && pinned->port ? *pinned->port : 0));
  if (!udp) return Failed("bad server address '" + address + "'");
  nc.udp = *udp;
  nc.groups = {config.group};
  nc.multicast_interface = address;
  nc.local_path = layout.lbd_socket().string();
  std::filesystem::remove(layout.lbd_socket(), ec);
  nc.resolver = directory;
  nc.farm_guard = keys->channel().guard();
  nc.self = {options.server, static_cast<int>(::getpid())};
  mp::NodeCallbacks cb;
  cb.on_message = [this](mp::Message&& m) { OnMessage(std::move(m)); };
  cb.on_error_report = [](const mp::ErrorReport& r) {
    spdlog::debug("{} to {} failed: {}", mp::CommandName(r.command), r.peer.ToString(), r.text);
  };
  auto created = mp::Node::Create(io, nc, cb);
  if (!created) return created.error();
  node = std::move(*created);
  return Status::Ok();
}

void Lbd::Impl::Begin() {
  voting_from =
      clock.Now() + std::min<mp::Duration>(config.heartbeat, std::chrono::milliseconds(100));
  boost::asio::post(io, [self = shared_from_this()] {
    self->StartMembership();
    self->StartRebalancing();
    self->SyncInstancesFromRecords();
    self->WatchConfig();
  });
  loop = std::thread([self = shared_from_this()] {
    self->io.run();
    // Handlers still queued when Stop stopped the loop (a timer it cancelled, a send the node
    // failed) hold this Impl: run them out (they see `leaving`) so that it can be freed.
    self->io.restart();
    self->io.poll();
    std::lock_guard lock(self->stop_mu);
    self->stopped = true;
    self->stop_cv.notify_all();
  });
}

void Lbd::Impl::Stop(std::function<void()> done) {
  if (leaving) {
    if (done) done();
    return;
  }
  // A clean stop hands this server's sessions to the others first (moves.cc), when it can.
  if (!draining && StartDrain([self = shared_from_this(), done]() mutable { self->Stop(std::move(done)); })) {
    return;
  }
  leaving = true;
  spdlog::info("leaving the farm");
  SendToGroup(mp::wire::kLeave, mp::Leave{options.server, incarnation}.Encode());
  auto finish = [self = shared_from_this(), done = std::move(done)] {
    boost::asio::post(self->io, [self, done] {
      self->WriteServerRecords();
      self->writer->Drain();
      if (self->heartbeat_timer) self->heartbeat_timer->cancel();
      if (self->ballot_timer) self->ballot_timer->cancel();
      if (self->config_timer) self->config_timer->cancel();
      if (self->reannounce_timer) self->reannounce_timer->cancel();
      if (self->early_timer) self->early_timer->cancel();
      if (self->rebalance_timer) self->rebalance_timer->cancel();
      self->supervisor.reset();
      self->launcher.reset();
      self->node->Flush();
      self->node->Stop();
      std::error_code ec;
      std::filesystem::remove(self->layout.lbd_socket(), ec);
      if (done) done();
      self->io.stop();
    });
  };
  supervisor->StopAll(ShutdownMode::kClean, finish);
}

void Lbd::Impl::SendToGroup(uint16_t command, std::vector<uint8_t> payload) {
  mp::SendOptions one_way;
  one_way.expect_reply = false;
  const mp::Va va = command == mp::wire::kServerStats ? mp::kVaStatsGroup : mp::kVaLbGroup;
  node->Send(config.group, mp::wire::kOpeningSession, command, va, std::move(payload), one_way,
             [](mp::SendResult&&) {});
}

// Who may send dabs-lbd what. The farm's own commands come sealed (the guard opened them),
// the runtime's from this server's DASPs, dabs-statd and dabsctl on the local socket (the
// kernel vouched for their user), and outsiders reach only what the guard lets through.
bool Lbd::Impl::Admissible(const mp::Message& m) const {
  const bool local = m.peer.kind() != mp::TransportKind::kUdp;
  const bool sealed = m.sealed_by != 0;
  switch (m.header.command) {
    case mp::wire::kHello:
    case mp::wire::kLeave:
    case mp::wire::kBallot:
    case mp::wire::kVaUpdate:
    case mp::wire::kMigrate:
      return sealed;
    case mp::wire::kKeyring:
      return sealed || local;  // a KEYRING document, or dabsctl's request
    case mp::wire::kStarted:
    case mp::wire::kStateChange:
    case mp::wire::kErrorReport:
    case mp::wire::kShutdown:
    case mp::wire::kServerStats:
      return local;
    case mp::wire::kOpenSession:
      return m.via_group || local;
    case mp::wire::kPing:
      return sealed || local;
    default:
      return true;  // VA_QUERY (the guard decides), and what the switch below refuses
  }
}

void Lbd::Impl::OnMessage(mp::Message&& m) {
  if (m.header.kind != mp::Kind::kMessage) return;
  if (!Admissible(m)) {
    ++counters.refused_origin;
    spdlog::debug("{} from {} refused: not an origin it may come from",
                  mp::CommandName(m.header.command), m.peer.ToString());
    return;
  }
  switch (m.header.command) {
    case mp::wire::kKeyring:
      return m.peer.kind() == mp::TransportKind::kUdp ? OnKeyring(m) : OnKeyringRequest(m);
    case mp::wire::kOpenSession:
      return OnOpenSession(std::move(m));
    case mp::wire::kBallot:
      return OnBallot(m);
    case mp::wire::kHello:
      return OnHello(m);
    case mp::wire::kLeave:
      return OnLeave(m);
    case mp::wire::kVaUpdate:
      return OnVaUpdate(m);
    case mp::wire::kVaQuery:
      return OnVaQuery(m);
    case mp::wire::kServerStats:
      return OnServerStats(m);
    case mp::wire::kStarted:
      return OnStarted(m);
    case mp::wire::kStateChange:
      return OnStateChange(m);
    case mp::wire::kErrorReport:
      return OnErrorReport(m);
    case mp::wire::kShutdown:
      return OnShutdownRequest(m);
    case mp::wire::kMigrate:
      return OnMigrate(m);
    case mp::wire::kPing:
      if (!m.via_group) node->Reply(m, {});
      return;
    default:
      if (!m.via_group)
        node->Nak(m, mp::Errc::kUnknownCommand, "dabs-lbd does not take this command");
      return;
  }
}

}  // namespace dabs::farm
