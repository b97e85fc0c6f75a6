// The farm's control plane under attack from an outsider on its network (the farm security
// issue; docs/spec/farm-seal.md). A real 3-server farm on loopback (dabs-farm: dabs-lbd,
// dabs-statd, dabs-configd), and a raw UDP socket that sends what an attacker would: farm
// commands in plaintext with valid payloads, datagrams that pretend to be sealed, and genuine
// sealed datagrams captured off the groups and replayed. Each test fails on a farm without
// farm seals: there, every one of these datagrams was taken.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/keyring/keyring.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/mp/header.h>
#include <dabs/mp/node.h>
#include <dabs/mp/secret_file.h>
#include <dabs/mp/wire.h>
#include <dabs/store/audit.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

#include "farm_process.h"
#include "store_reads.h"
#include "subprocess.h"
#include "sync_wire.h"

namespace dabs::farm::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

fs::path Bin(const std::string& name) {
  return fs::path(DABS_BIN_DIR) / name;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An attacker's socket on the farm's network: sends any bytes anywhere, and listens on a
// group for what the farm sends there.
class Outsider {
 public:
  Outsider() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    in_addr lo{};
    lo.s_addr = htonl(INADDR_LOOPBACK);
    ::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr = lo;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&any), sizeof any);
  }
  ~Outsider() {
    ::close(fd_);
    if (listener_ >= 0) ::close(listener_);
  }
  void Send(const mp::Endpoint& to, std::span<const uint8_t> bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(to.port());
    a.sin_addr.s_addr = htonl(to.v4());
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  // Joins `group` on loopback, as any host on the segment may.
  void Listen(const mp::Endpoint& group) {
    listener_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(group.port());
    a.sin_addr.s_addr = htonl(group.v4());
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ip_mreq m{};
    m.imr_multiaddr = a.sin_addr;
    m.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    ::setsockopt(listener_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
    timeval tv{0, 100'000};
    ::setsockopt(listener_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // Datagrams heard on the group for `how_long` that `keep` wants.
  std::vector<std::vector<uint8_t>> Capture(
      std::chrono::milliseconds how_long,
      const std::function<bool(std::span<const uint8_t>)>& keep) {
    std::vector<std::vector<uint8_t>> out;
    const auto end = Clock::now() + how_long;
    std::vector<uint8_t> buf(2048);
    while (Clock::now() < end) {
      const ssize_t n = ::recv(listener_, buf.data(), buf.size(), 0);
      if (n <= 0) continue;
      std::span<const uint8_t> d(buf.data(), static_cast<size_t>(n));
      if (keep(d)) out.emplace_back(d.begin(), d.end());
    }
    return out;
  }

 private:
  int fd_ = -1;
  int listener_ = -1;
};

// A plaintext farm message as a daemon would have sent it before farm seals.
std::vector<uint8_t> Plain(uint16_t command, std::span<const uint8_t> payload, mp::Va va) {
  mp::Header h;
  h.command = command;
  h.transaction = static_cast<uint8_t>(NowMs());
  h.sent = mp::SentTime::FromUnixMillis(NowMs());
  h.crc = true;
  h.va = va;
  std::vector<uint8_t> out(512);
  out.resize(mp::EncodeDatagram(h, payload, out).value());
  return out;
}

bool IsSealed(std::span<const uint8_t> d) {
  return d.size() > mp::wire::kHeaderSize && (d[mp::wire::kOffSentTime] & mp::wire::kTimeEncrypted);
}

class FarmSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("dfs-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "farm");
    fs::permissions(dir_ / "farm", fs::perms::owner_all);
    farm_ = UniqueFarm();
    farm_.min_free_cpu_pct = 0;  // a busy test machine must not make the farm refuse sessions
    TestApp echo;
    echo.dasp = Bin("echo-dasp").string();
    farm_.apps.push_back(echo);
  }
  void TearDown() override {
    stores_.clear();
    children_.clear();
    if (process_) process_->Stop();
    process_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void StartFarm() {
    FarmProcess::Options o;
    o.dabs_farm = Bin("dabs-farm");
    o.farm_file = WriteFarmFile(farm_, dir_);
    o.state_dir = dir_ / "farm";
    o.servers = 3;
    o.daemons = {"dabs-lbd", "dabs-statd", "dabs-configd"};
    auto p = FarmProcess::Start(o);
    ASSERT_TRUE(p.ok()) << p.error().Message();
    process_ = std::move(*p);
  }
  mp::Endpoint Group(int k) const {
    return mp::Endpoint::Parse(farm_.group_prefix + std::to_string(k) + ":" +
                               std::to_string(farm_.port))
        .value();
  }
  store::Store& StoreOf(const std::string& server) {
    auto& s = stores_[server];
    if (!s) s = store::Store::Open(process_->server_dir(server) / "store").value();
    return *s;
  }
  std::map<std::string, store::ServerRecord> ViewOf(const std::string& server) {
    return ServerRecords(StoreOf(server));
  }
  json Security(const std::string& server, const std::string& daemon) {
    json out;
    (void)StoreOf(server).Read([&](const store::ReadTxn& txn) {
      auto v = txn.Get(store::Database::kStatistics, "security/" + daemon);
      if (v && *v) out = json::parse(**v, nullptr, false);
      return Status::Ok();
    });
    return out;
  }
  uint64_t Rejected(const std::string& server, const std::string& daemon,
                    const std::string& reason) {
    const json s = Security(server, daemon);
    return s.is_object() && s.contains("rejected") ? s["rejected"].value(reason, uint64_t{0}) : 0;
  }
  std::set<uint32_t> DirectoryVas(const std::string& server) {
    std::set<uint32_t> out;
    (void)StoreOf(server).Read([&](const store::ReadTxn& txn) {
      out.clear();
      return txn.ForEach(store::Database::kDirectory, "va/",
                         [&](std::string_view, std::string_view v) {
                           if (auto r = store::DirectoryRecordFromJson(v)) out.insert(r->va);
                           return store::Visit::kContinue;
                         });
    });
    return out;
  }
  std::vector<std::string> Audit(const std::string& server) {
    std::vector<std::string> out;
    (void)StoreOf(server).Read([&](const store::ReadTxn& txn) {
      out.clear();
      return store::ForEachAudit(txn, 1, [&](const store::AuditRecord& r) {
        out.push_back(r.who + ": " + r.what);
        return true;
      });
    });
    return out;
  }
  config::Records ConfigOf(const std::string& server) {
    auto c = config::LoadConfig(StoreOf(server));
    return c && *c ? **c : config::Records{};
  }
  // Every daemon has written its counters at least once since `after_ms`.
  void AwaitCounters(int64_t after_ms) {
    ASSERT_TRUE(WaitUntil(5s, [&] {
      for (const char* s : {"s1", "s2", "s3"}) {
        for (const char* d : {"dabs-lbd", "dabs-statd", "dabs-configd"}) {
          const json j = Security(s, d);
          if (!j.is_object() || j.value("updated_ms", int64_t{0}) <= after_ms) return false;
        }
      }
      return true;
    })) << "the daemons did not record their counters";
  }
  std::string Log(const std::string& server, const std::string& daemon) {
    std::ifstream in(process_->server_dir(server) / "logs" / (daemon + ".log"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Every server is in `server`'s view with the incarnation it had, and its dabs-lbd never
  // logged one leaving (a lease that lapsed, a LEAVE) or restarting. (joined_ms is rebuilt
  // from two clocks at each write, so it is compared loosely.)
  void ExpectNoServerLeftAnyView(const std::string& server,
                                 const std::map<std::string, store::ServerRecord>& before) {
    const auto view = ViewOf(server);
    for (const auto& [id, was] : before) {
      ASSERT_TRUE(view.count(id)) << id << " is not in " << server << "'s view";
      EXPECT_EQ(view.at(id).state, "alive") << id;
      EXPECT_EQ(view.at(id).incarnation, was.incarnation) << id;
      EXPECT_NEAR(view.at(id).joined_ms, was.joined_ms, 500) << id << " left and rejoined";
    }
    const std::string log = Log(server, "dabs-lbd");
    for (const char* event : {") left", ") lease lapsed", ") restarted"})
      EXPECT_EQ(log.find(event), std::string::npos) << server << "'s dabs-lbd logged" << event;
  }

  // dabsctl on one server of the farm; its stdout (the exit status in *status).
  std::string Ctl(const std::string& server, std::vector<std::string> args, int* status = nullptr) {
    std::vector<std::string> argv = {Bin("dabsctl").string(), "--state-dir",
                                     (dir_ / "farm").string(), "--server", server};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = dabs::testing::RunCommand(argv);
    if (status) *status = r.status;
    return r.out;
  }

  fs::path dir_;
  TestFarm farm_;
  std::unique_ptr<FarmProcess> process_;
  std::map<std::string, std::unique_ptr<store::Store>> stores_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
  mp::IoThreads threads_{1};
};

// What an outsider's forgeries did before farm seals: the first paragraph. None of
// them may change a configuration, a view, a placement or the directory, and each is counted.
TEST_F(FarmSecurityTest, AnOutsidersForgedFarmCommandsChangeNothingAndAreCounted) {
  StartFarm();
  ASSERT_TRUE(WaitUntil(10s, [&] { return DirectoryVas("s1").size() >= 3; }))
      << "each server's echo instance (start_at_init) in the directory";
  const auto before_view = ViewOf("s1");
  const auto before_dir = DirectoryVas("s1");
  const config::Records before_config = ConfigOf("s1");
  const store::ServerRecord s2 = before_view.at("s2");
  const int64_t started = NowMs();
  Outsider eve;

  // 1. A newer configuration whose echo DASP is the attacker's script.
  config::Records evil = before_config;
  evil.values["apps[echo].dasp"] = "/tmp/evil-dasp.sh";
  evil.version += 100;
  evil.origin = "s9";
  for (const auto& part : configd::EncodeFull(evil, config::RecordsDigest(evil), 499))
    eve.Send(Group(3), Plain(mp::wire::kConfigSync, part, mp::kVaConfigGroup));
  // 2. LEAVE for a live server, for a second; 3. HELLO claiming it restarted.
  const auto leave = mp::Leave{"s2", s2.incarnation}.Encode();
  for (int i = 0; i < 20; ++i) {
    eve.Send(Group(1), Plain(mp::wire::kLeave, leave, mp::kVaLbGroup));
    std::this_thread::sleep_for(50ms);
  }
  mp::Hello hello;
  hello.server = "s2";
  hello.index = 2;
  hello.lbd = mp::Endpoint::Parse(s2.lbd).value();
  hello.lease_ms = 400;
  hello.incarnation = s2.incarnation + 1;
  eve.Send(Group(1), Plain(mp::wire::kHello, hello.Encode(), mp::kVaLbGroup));
  // 4. A VA_UPDATE that removes an instance.
  mp::DirectoryUpdate gone;
  gone.va = *before_dir.begin();
  gone.removed = true;
  gone.server = "s1";
  eve.Send(Group(1), Plain(mp::wire::kVaUpdate, gone.Encode(), mp::kVaLbGroup));
  // 5. SERVER_STATS claiming s2 is saturated, sampled so far ahead that it would stay.
  mp::ServerStats stats{"s2", 2, {}};
  stats.figures.values[mp::server_stat::kCpuPctX100] = 9999;
  stats.figures.values[mp::server_stat::kSampledAtMs] =
      static_cast<uint64_t>(NowMs() + 10 * 86'400'000LL);
  eve.Send(Group(2), Plain(mp::wire::kServerStats, stats.Encode(), mp::kVaStatsGroup));
  // 6. Datagrams that look sealed: an unknown key, and the farm's key id with a made-up tag.
  auto fake = Plain(mp::wire::kHello, hello.Encode(), mp::kVaLbGroup);
  fake.pop_back();  // no CRC
  fake[mp::wire::kOffSentTime] =
      static_cast<uint8_t>((fake[mp::wire::kOffSentTime] | 0x80) & ~0x40);
  std::vector<uint8_t> seal(mp::farm_seal::kHeaderBytes, 0);
  seal[0] = 1;
  mp::PutU64(seal.data() + mp::farm_seal::kOffSealedAt, static_cast<uint64_t>(NowMs()));
  fake.insert(fake.begin() + mp::wire::kHeaderSize, seal.begin(), seal.end());
  fake.insert(fake.end(), 16, 0xAB);
  mp::PutU32(fake.data() + mp::wire::kHeaderSize + mp::farm_seal::kOffKeyId, 0x01020304);
  eve.Send(Group(1), fake);
  const auto farm_key = keyring::LoadKeyring(process_->server_dir("s1")).value().primary;
  mp::PutU32(fake.data() + mp::wire::kHeaderSize + mp::farm_seal::kOffKeyId, farm_key);
  eve.Send(Group(1), fake);

  std::this_thread::sleep_for(1500ms);
  AwaitCounters(NowMs());
  for (const char* s : {"s1", "s2", "s3"}) {
    SCOPED_TRACE(s);
    const config::Records now = ConfigOf(s);
    EXPECT_EQ(now.version, before_config.version) << "no configuration adopted";
    EXPECT_NE(now.Effective("apps[echo].dasp"), std::optional<std::string>("/tmp/evil-dasp.sh"));
    ExpectNoServerLeftAnyView(s, before_view);
    EXPECT_EQ(DirectoryVas(s), before_dir);
    EXPECT_GE(Rejected(s, "dabs-lbd", "not_sealed"), 22u);  // 20 LEAVEs, the HELLO, VA_UPDATE
    EXPECT_GE(Rejected(s, "dabs-lbd", "unknown_key"), 1u);
    EXPECT_GE(Rejected(s, "dabs-lbd", "authentication"), 1u);
    EXPECT_GE(Rejected(s, "dabs-configd", "not_sealed"), 1u);
    EXPECT_GE(Rejected(s, "dabs-statd", "not_sealed"), 1u);
  }
  // The statistics of s2 are s2's own, not the forgery's.
  store::StatsRecord current;
  (void)StoreOf("s1").Read([&](const store::ReadTxn& txn) {
    auto v = txn.Get(store::Database::kStatistics, "current/s2");
    if (v && *v) current = store::StatsRecordFromJson(**v).value();
    return Status::Ok();
  });
  EXPECT_LT(current.sampled_ms, NowMs() + 86'400'000LL) << "the forged figures were stored";
  EXPECT_NE(Log("s1", "dabs-lbd").find("dropped a farm datagram from 127.0.0.1:"),
            std::string::npos)
      << "a rate-limited line names the source";
  (void)started;
}

// A forged BALLOT with the most votes, sent the moment the OPEN_SESSION it answers is heard
// on the group: the decision never counts it.
TEST_F(FarmSecurityTest, AForgedBallotIsNeverCounted) {
  StartFarm();
  Outsider eve;
  eve.Listen(Group(1));
  mp::NodeConfig c;
  c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  c.multicast_interface = "127.0.0.1";
  auto client = mp::Node::Create(threads_.io(), c, {}).value();
  for (int i = 0; i < 5; ++i) {
    std::thread opener(
        [&] { (void)OpenViaGroup(*client, Group(1), "echo", "stb-" + std::to_string(i)); });
    auto heard = eve.Capture(300ms, [](std::span<const uint8_t> d) {
      return !IsSealed(d) && mp::PeekBasicHeader(d).command == mp::wire::kOpenSession;
    });
    opener.join();
    ASSERT_FALSE(heard.empty()) << "the OPEN_SESSION was not heard on the group";
    const auto d = mp::DecodeDatagram(heard.front()).value();
    const auto open = mp::OpenSessionRequest::Decode(d.payload).value();
    std::string id_hex;
    for (unsigned char ch : open.client_id) {
      static constexpr char kHex[] = "0123456789abcdef";
      id_hex += kHex[ch >> 4];
      id_hex += kHex[ch & 15];
    }
    mp::Ballot b;
    b.request_key = client->udp_endpoint()->ToString() + "/" +
                    std::to_string(d.header.transaction) + "/" +
                    std::to_string(d.header.sent.MillisOfHour()) + "/" + id_hex;
    b.app = "echo";
    b.server = "s3";
    b.index = 3;
    b.votes = 999'999;
    b.ballot_time_us = 1;
    b.has_instance = true;
    eve.Send(Group(1), Plain(mp::wire::kBallot, b.Encode(), mp::kVaLbGroup));
  }
  std::this_thread::sleep_for(500ms);
  const auto decisions = DecisionRecords(StoreOf("s1"));
  ASSERT_GE(decisions.size(), 5u);
  for (const auto& d : decisions) {
    for (const auto& b : d.ballots)
      EXPECT_LT(b.votes, 999'999u) << d.request_key;
  }
  AwaitCounters(NowMs());
  EXPECT_GE(Rejected("s1", "dabs-lbd", "not_sealed"), 5u);
}

// Genuine sealed datagrams captured off the group and sent again: refused by every running
// daemon as replays, and by one that restarted since as sealed before it started.
TEST_F(FarmSecurityTest, ACapturedGenuineFarmDatagramReplayedIsDropped) {
  StartFarm();
  Outsider eve;
  eve.Listen(Group(1));
  auto captured = eve.Capture(1000ms, [](std::span<const uint8_t> d) { return IsSealed(d); });
  ASSERT_GE(captured.size(), 10u) << "HELLOs every 100 ms from three servers";
  const auto before = ViewOf("s1");
  const int64_t t0 = NowMs();
  AwaitCounters(t0);
  const uint64_t replays_before = Rejected("s1", "dabs-lbd", "replay");
  for (const auto& d : captured)
    eve.Send(Group(1), d);
  std::this_thread::sleep_for(300ms);
  AwaitCounters(NowMs());
  EXPECT_GE(Rejected("s1", "dabs-lbd", "replay") - replays_before, captured.size());
  ExpectNoServerLeftAnyView("s1", before);

  // Later, after s3's dabs-lbd restarted and remembers nothing: refused as stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(mp::farm_seal::kStartSlackMs + 500));
  const pid_t lbd = process_->DaemonPid("s3", "dabs-lbd");
  ASSERT_GT(lbd, 0);
  ::kill(lbd, SIGKILL);
  auto restarted = ChildProcess::Spawn(process_->DaemonArgv("s3", "dabs-lbd"),
                                       process_->server_dir("s3") / "logs" / "lbd-again.log");
  ASSERT_TRUE(restarted.ok()) << restarted.error().Message();
  children_.push_back(std::move(*restarted));
  const int64_t restarted_at = NowMs();
  ASSERT_TRUE(WaitUntil(5s, [&] {
    const json j = Security("s3", "dabs-lbd");
    return j.is_object() && j.value("updated_ms", int64_t{0}) > restarted_at;
  }));
  const uint64_t stale_before = Rejected("s3", "dabs-lbd", "stale");
  for (const auto& d : captured)
    eve.Send(Group(1), d);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(WaitUntil(3s, [&] {
    return Rejected("s3", "dabs-lbd", "stale") - stale_before >= captured.size();
  })) << "the restarted dabs-lbd took captured datagrams";
}

// dabsctl keys: a new key installed, made primary and the old one removed while sessions
// open and echo: no server leaves any view, no request fails, nothing is refused.
TEST_F(FarmSecurityTest, AFarmRotatesItsKeyUnderLoadWithNoServerLeavingAnyView) {
  StartFarm();
  const auto before = ViewOf("s1");
  const auto old_key = keyring::LoadKeyring(process_->server_dir("s1")).value().primary;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    c.multicast_interface = "127.0.0.1";
    c.engine.rto.initial = 100ms;
    auto client = mp::Node::Create(threads_.io(), c, {}).value();
    int n = 0;
    while (!stop) {
      auto opened = OpenViaGroup(*client, Group(1), "echo", "rot-" + std::to_string(n++));
      if (!opened) {
        if (failed++ == 0) ADD_FAILURE() << "open: " << opened.error().Message();
        continue;
      }
      client->OpenSession(opened->dasp, opened->reply.session);
      for (int i = 0; i < 20 && !stop; ++i) {
        const std::vector<uint8_t> p{1, 2, 3, static_cast<uint8_t>(i)};
        auto r =
            client->SendSync(opened->dasp, opened->reply.session, 0x0100, opened->reply.dasp_va, p);
        if (r && r->payload == p) {
          ++ok;
        } else if (failed++ == 0) {
          ADD_FAILURE() << "echo: " << (r ? "a different payload" : r.error().Message());
        }
      }
    }
  });
  int status = 0;
  const std::string key_file = (dir_ / "new.key").string();
  Ctl("s1", {"keys", "generate", key_file, "--json"}, &status);
  ASSERT_EQ(status, 0);
  const std::string new_id =
      mp::FarmKey::Parse(mp::ReadSecretFile(key_file).value()).value().IdText();
  Ctl("s1", {"keys", "install", key_file}, &status);
  ASSERT_EQ(status, 0);
  auto everyone = [&](auto pred) {
    return WaitUntil(10s, [&] {
      for (const char* s : {"s1", "s2", "s3"}) {
        auto k = keyring::LoadKeyring(process_->server_dir(s));
        if (!k || !pred(*k)) return false;
      }
      return true;
    });
  };
  ASSERT_TRUE(everyone([&](const keyring::Keyring& k) { return k.keys.size() == 2; }))
      << "the new key did not reach every server";
  ASSERT_TRUE(WaitUntil(5s,
                        [&] {
                          Ctl("s2", {"keys", "use", new_id}, &status);
                          return status == 0;
                        }))
      << "keys use was refused: " << Ctl("s2", {"keys", "list"});
  ASSERT_TRUE(
      everyone([&](const keyring::Keyring& k) { return mp::FarmKeyIdText(k.primary) == new_id; }));
  Ctl("s3", {"keys", "remove", mp::FarmKeyIdText(old_key)}, &status);
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(everyone([&](const keyring::Keyring& k) { return k.keys.size() == 1; }));
  std::this_thread::sleep_for(1s);  // the farm goes on under the new key alone
  stop = true;
  load.join();

  EXPECT_GT(ok.load(), 50);
  EXPECT_EQ(failed.load(), 0);
  AwaitCounters(NowMs());
  for (const char* s : {"s1", "s2", "s3"}) {
    SCOPED_TRACE(s);
    ExpectNoServerLeftAnyView(s, before);
    for (const char* d : {"dabs-lbd", "dabs-statd", "dabs-configd"}) {
      EXPECT_EQ(Rejected(s, d, "unknown_key"), 0u) << d;
      EXPECT_EQ(Rejected(s, d, "authentication"), 0u) << d;
    }
    const json sec = Security(s, "dabs-statd");
    EXPECT_EQ(sec.value("primary", ""), new_id) << "dabs-statd follows the keyring dabs-lbd wrote";
  }
}

// A configuration that changes an executable, made on one server, reaches the others and is
// written into every server's audit log.
TEST_F(FarmSecurityTest, AChangedExecutableIsAuditedOnEveryServer) {
  StartFarm();
  config::Records changed = ConfigOf("s1");
  const std::string farm_file = (dir_ / "changed.yaml").string();
  {
    TestFarm f = farm_;
    f.apps[0].dasp = Bin("calculator-dasp").string();
    fs::copy_file(WriteFarmFile(f, dir_ / "changed"), farm_file);
  }
  int status = 0;
  Ctl("s1", {"config", "import", farm_file}, &status);
  ASSERT_EQ(status, 0);
  for (const char* s : {"s2", "s3"}) {
    EXPECT_TRUE(WaitUntil(5s, [&] {
      for (const auto& line : Audit(s)) {
        if (line.find("executable apps[echo].dasp:") != std::string::npos &&
            line.find("calculator-dasp") != std::string::npos)
          return true;
      }
      return false;
    })) << s;
    EXPECT_NE(Log(s, "dabs-configd").find("changes an executable: apps[echo].dasp"),
              std::string::npos)
        << s;
  }
}

// Without a farm key a daemon does not start, and says in one line how to make one.
TEST(FarmKeys, ADaemonWithoutAKeyRefusesToStartAndSaysHowToMakeOne) {
  const fs::path dir = fs::temp_directory_path() / ("dfk-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "s1");
  fs::permissions(dir / "s1", fs::perms::owner_all);
  TestFarm f = UniqueFarm();
  const fs::path file = WriteFarmFile(f, dir);
  for (const char* daemon : {"dabs-lbd", "dabs-statd", "dabs-configd"}) {
    auto r = dabs::testing::RunCommand({Bin(daemon).string(), "--farm", file.string(), "--server",
                                        "s1", "--state-dir", (dir / "s1").string(),
                                        "--agentx-socket", "none"});
    if (std::string(daemon) != "dabs-statd") {
      // --agentx-socket is dabs-statd's alone: run the others without it.
      r = dabs::testing::RunCommand({Bin(daemon).string(), "--farm", file.string(), "--server",
                                     "s1", "--state-dir", (dir / "s1").string()});
    }
    EXPECT_NE(r.status, 0) << daemon;
    EXPECT_NE(r.err.find("dabsctl keys generate"), std::string::npos) << daemon << ": " << r.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dabs::farm::testing
