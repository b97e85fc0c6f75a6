// Encrypted sessions end to end (spec 6): a DASP instance (dasp_framework) and DACP clients
// (dacp_framework) on real sockets on loopback, with a man in the middle (UdpRelay) playing
// the attacker on the path: it reads, changes, replays and injects datagrams.
#include <atomic>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/dasp/instance.h>
#include <dabs/mp/crc8.h>
#include <dabs/mp/header.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/session_handshake.h>

#include "udp_relay.h"

namespace dabs {
namespace {

using namespace std::chrono_literals;
using testing::UdpRelay;
using Way = UdpRelay::Way;

constexpr uint16_t kEcho = 0x0100;
constexpr uint16_t kRedirectMe = 0x0200;  // the server REDIRECTs the session, then echoes
const std::string kApp = "secret-echo";

// Echoes; counts opens and messages; can be slow to open and can redirect.
class EchoServer final : public dasp::Server {
 public:
  Status OnOpen(dasp::Session&, const mp::OpenSessionRequest&) override {
    std::this_thread::sleep_for(open_delay);
    ++opens;
    return Status::Ok();
  }
  void OnMessage(dasp::Session& session, dasp::Request& request) override {
    ++messages;
    if (request.command() == kRedirectMe) {
      // Somewhere this client holds no keys for.
      mp::RedirectPayload to{7, 0x00100009, mp::Endpoint::Parse("127.0.0.1:9").value(), {}};
      mp::SendOptions one_way;
      one_way.expect_reply = false;
      session.Send(mp::wire::kRedirect, to.Encode(), one_way, [](mp::SendResult&&) {});
    }
    (void)request.Reply({request.payload().begin(), request.payload().end()});
  }
  std::chrono::milliseconds open_delay{0};
  std::atomic<int> opens{0}, messages{0};
};

std::shared_ptr<const mp::IdentityKey> NewIdentity() {
  return std::make_shared<const mp::IdentityKey>(std::move(mp::IdentityKey::Generate().value()));
}

std::shared_ptr<const mp::FarmPublicKey> PublicOf(const mp::IdentityKey& id) {
  return std::make_shared<const mp::FarmPublicKey>(
      std::move(mp::FarmPublicKey::FromRaw(id.public_key().raw()).value()));
}

// A multicast group on loopback no other test process uses.
mp::Endpoint TestGroup() {
  static std::atomic<int> n{0};
  const int i = n++;
  return mp::Endpoint::Parse("239.255.79." + std::to_string(1 + (::getpid() + i) % 250) + ":" +
                             std::to_string(20000 + (::getpid() * 11 + i * 17) % 20000))
      .value();
}

// One standalone DASP instance of kApp, reached through a relay (which carries one client
// socket) unless it serves a group or `direct`.
struct Dasp {
  explicit Dasp(mp::EncryptionPolicy policy, mp::CipherLimits limits = {},
                std::optional<mp::Endpoint> group = std::nullopt,
                std::chrono::milliseconds open_delay = 0ms, bool direct = false) {
    dasp::InstanceConfig c;
    c.app = kApp;
    c.standalone = true;
    // Unspecified: the OPEN_SESSION reply names no endpoint, so clients stay on the relay.
    c.listen = mp::Endpoint::Parse(group || direct ? "127.0.0.1:0" : "0.0.0.0:0").value();
    c.workers = 2;
    if (group) {
      c.groups = {*group};
      c.multicast_interface = "127.0.0.1";
    }
    c.encryption = {policy, identity, {1, 2}, limits};
    auto s = std::make_unique<EchoServer>();
    s->open_delay = open_delay;
    server = s.get();
    instance = dasp::Instance::Create(io.io(), c, std::move(s)).value();
    instance->Start();
    if (!group && !direct) relay = std::make_unique<UdpRelay>(instance->udp_endpoint().port());
  }
  mp::Endpoint front() const {
    if (!relay) return instance->udp_endpoint();
    return mp::Endpoint::Parse("127.0.0.1:" + std::to_string(relay->front_port())).value();
  }

  std::shared_ptr<const mp::IdentityKey> identity = NewIdentity();
  mp::IoThreads io{2};
  EchoServer* server = nullptr;  // owned by the instance
  std::unique_ptr<dasp::Instance> instance;
  std::unique_ptr<UdpRelay> relay;
};

// DACP clients on one loopback gateway.
struct Clients {
  Clients() {
    dacp::GatewayConfig gc;
    gc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    gc.node.multicast_interface = "127.0.0.1";
    gc.node.udp_offload = false;
    gc.node.engine.reply_timeout = 1000ms;
    gateway = dacp::Gateway::Create(io.io(), gc).value();
  }
  std::shared_ptr<dacp::Client> Make(const mp::Endpoint& farm, mp::ClientEncryption enc) {
    dacp::ClientConfig c;
    c.app = kApp;
    c.farm = farm;
    c.client_id = "stb-" + std::to_string(n++);
    c.open_timeout = 3s;
    c.encryption = std::move(enc);
    return dacp::Client::Create(gateway->TakeSeat().value(), c);
  }
  mp::IoThreads io{1};
  std::shared_ptr<dacp::Gateway> gateway;
  int n = 0;
};

mp::ClientEncryption Require(const Dasp& d, std::vector<uint8_t> suites = {1, 2},
                             mp::CipherLimits limits = {}) {
  return {mp::EncryptionPolicy::kRequired, std::move(suites), PublicOf(*d.identity), limits};
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

void FixCrc(std::vector<uint8_t>& d) {
  d.back() = mp::Crc8(std::span(d).first(d.size() - 1));
}

bool Contains(const std::vector<uint8_t>& hay, const std::string& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Everything the relay passed.
struct Capture {
  std::mutex mu;
  std::vector<std::pair<Way, std::vector<uint8_t>>> all;
  void Add(Way w, const std::vector<uint8_t>& b) {
    std::lock_guard lock(mu);
    all.emplace_back(w, b);
  }
  std::vector<std::pair<Way, std::vector<uint8_t>>> Snapshot() {
    std::lock_guard lock(mu);
    return all;
  }
};

void Record(UdpRelay& relay, Capture& capture) {
  relay.SetFilter([&capture](Way w, std::vector<uint8_t>& b) {
    capture.Add(w, b);
    return true;
  });
}

std::optional<mp::Header> HeaderOf(const std::vector<uint8_t>& d) {
  auto decoded = mp::DecodeDatagram(d);
  if (!decoded) return std::nullopt;
  return decoded->header;
}

// ---------------------------------------------------------------------------- round trips

class EachSuite : public ::testing::TestWithParam<uint8_t> {};

TEST_P(EachSuite, SealsEveryDatagramBothWaysAndNothingTravelsInTheClear) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  Capture capture;
  Record(*d.relay, capture);
  Clients cs;
  auto c = cs.Make(d.front(), Require(d, {GetParam()}));
  ASSERT_TRUE(c->OpenSync().ok());
  EXPECT_EQ(c->session()->suite, GetParam());
  const std::string marker = "a-secret-only-the-ends-may-read";
  auto small = c->CallSync(kEcho, Bytes(marker));
  ASSERT_TRUE(small.ok()) << small.error().Message();
  EXPECT_EQ(*small, Bytes(marker));
  std::vector<uint8_t> big(20'000);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 31 + 7);
  std::memcpy(big.data() + 9'000, marker.data(), marker.size());
  auto echoed = c->CallSync(kEcho, big);  // 43 sealed buffers each way
  ASSERT_TRUE(echoed.ok()) << echoed.error().Message();
  EXPECT_EQ(*echoed, big);

  int sealed_buffers = 0;
  for (const auto& [way, bytes] : capture.Snapshot()) {
    EXPECT_FALSE(Contains(bytes, marker)) << "plaintext on the wire";
    auto h = HeaderOf(bytes);
    ASSERT_TRUE(h);
    if (h->session == 0 || h->kind == mp::Kind::kAck) continue;
    EXPECT_TRUE(h->encrypted) << mp::CommandName(h->command);
    if (h->multi && h->command == kEcho) {
      ++sealed_buffers;
      // Each buffer sealed on its own: the largest plaintext that fits, plus counter and tag.
      if (h->buffer + 1 < h->buffers) {
        EXPECT_EQ(bytes.size(), 512u);
      }
    }
  }
  EXPECT_GE(sealed_buffers, 2 * 43);
}

INSTANTIATE_TEST_SUITE_P(SessionEncryption, EachSuite, ::testing::Values(1, 2), [](const auto& p) {
  return p.param == 1 ? "ChaCha20Poly1305" : "Aes256Gcm";
});

TEST(SessionEncryption, GatewayPoolCarriesManyEncryptedClientsPerSocket) {
  Dasp d(mp::EncryptionPolicy::kRequired, {}, std::nullopt, 0ms, /*direct=*/true);
  mp::IoThreads io(1);
  dacp::GatewayPoolConfig pc;
  pc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  pc.node.udp_offload = false;
  pc.clients_per_socket = 3;
  dacp::GatewayPool pool(io.io(), pc);
  std::vector<std::shared_ptr<dacp::Client>> clients;
  for (int i = 0; i < 7; ++i) {
    dacp::ClientConfig c;
    c.app = kApp;
    c.farm = d.front();
    c.client_id = "pool-" + std::to_string(i);
    c.encryption = Require(d, {static_cast<uint8_t>(1 + i % 2)});
    clients.push_back(dacp::Client::Create(pool.Acquire().value(), c));
  }
  for (auto& c : clients)
    ASSERT_TRUE(c->OpenSync().ok());
  EXPECT_EQ(pool.sockets(), 3u);
  for (size_t i = 0; i < clients.size(); ++i) {
    auto r = clients[i]->CallSync(kEcho, Bytes("client " + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().Message();
    EXPECT_EQ(*r, Bytes("client " + std::to_string(i)));
    EXPECT_EQ(clients[i]->session()->suite, 1 + i % 2);
  }
}

// ---------------------------------------------------------------------------- the path

TEST(SessionEncryption, TamperedDatagramDrawsNak9AndIsNeverDelivered) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  std::atomic<int> naks_9{0};
  std::atomic<bool> tamper{true};
  d.relay->SetFilter([&](Way way, std::vector<uint8_t>& b) {
    auto h = HeaderOf(b);
    if (way == Way::kToServer && h && h->command == kEcho && h->kind == mp::Kind::kMessage &&
        tamper.exchange(false)) {
      b[12 + 8 + 2] ^= 0x20;  // a ciphertext byte; the CRC made good, as an attacker would
      FixCrc(b);
    }
    if (way == Way::kToClient && h && h->kind == mp::Kind::kNak && b[13] == 9) ++naks_9;
    return true;
  });
  Clients cs;
  auto c = cs.Make(d.front(), Require(d));
  ASSERT_TRUE(c->OpenSync().ok());
  auto r = c->CallSync(kEcho, Bytes("pay 100 to alice"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mp::Errc::kCrypto) << r.error().Message();
  EXPECT_EQ(naks_9.load(), 1);
  EXPECT_EQ(d.server->messages.load(), 0);
  // The session survives a forgery: the next call goes through.
  EXPECT_TRUE(c->CallSync(kEcho, Bytes("again")).ok());
}

TEST(SessionEncryption, ReplayedDatagramIsDroppedUnanswered) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  Capture capture;
  Record(*d.relay, capture);
  Clients cs;
  auto c = cs.Make(d.front(), Require(d));
  ASSERT_TRUE(c->OpenSync().ok());
  ASSERT_TRUE(c->CallSync(kEcho, Bytes("once")).ok());
  std::vector<uint8_t> request;
  for (const auto& [way, bytes] : capture.Snapshot()) {
    auto h = HeaderOf(bytes);
    if (way == Way::kToServer && h->command == kEcho && h->kind == mp::Kind::kMessage)
      request = bytes;
  }
  ASSERT_FALSE(request.empty());
  std::this_thread::sleep_for(100ms);  // the exchange's last ACKs are through
  const size_t before = capture.Snapshot().size();
  d.relay->Inject(Way::kToServer, request);
  d.relay->Inject(Way::kToServer, request);
  std::this_thread::sleep_for(300ms);
  // Not delivered again, and not answered at all: no ACK, no resent reply, no NAK.
  EXPECT_EQ(d.server->messages.load(), 1);
  EXPECT_EQ(capture.Snapshot().size(), before);
}

TEST(SessionEncryption, ThirdPartyKnowingSessionAndVaCanNeitherInjectNorRead) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  Capture capture;
  Record(*d.relay, capture);
  Clients cs;
  auto c = cs.Make(d.front(), Require(d));
  ASSERT_TRUE(c->OpenSync().ok());
  const dacp::SessionInfo s = *c->session();
  // Plaintext and made-up sealed messages, as from the client's own endpoint.
  mp::Header h;
  h.command = kEcho;
  h.session = s.session;
  h.transaction = 77;
  h.crc = true;
  h.va = s.dasp_va;
  std::vector<uint8_t> out(512);
  for (bool sealed : {false, true}) {
    h.encrypted = sealed;
    h.transaction = static_cast<uint8_t>(h.transaction + 1);
    const std::vector<uint8_t> payload =
        sealed ? std::vector<uint8_t>(40, 0xA5) : Bytes("injected by a third party");
    out.resize(512);
    out.resize(mp::EncodeDatagram(h, payload, out).value());
    d.relay->Inject(Way::kToServer, out);
  }
  // Towards the client: a CLOSE_SESSION in the clear, on its session, to its VA.
  mp::Header close = h;
  close.command = mp::wire::kCloseSession;
  close.encrypted = false;
  close.va = s.client_va;
  out.resize(512);
  out.resize(mp::EncodeDatagram(close, {}, out).value());
  d.relay->Inject(Way::kToClient, out);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(d.server->messages.load(), 0);
  int naks_9 = 0;
  for (const auto& [way, bytes] : capture.Snapshot()) {
    auto n = HeaderOf(bytes);
    if (n && n->kind == mp::Kind::kNak && bytes[13] == 9) ++naks_9;
  }
  EXPECT_EQ(naks_9, 3);  // each forgery refused with CRYPTO, both ways
  EXPECT_EQ(c->state(), dacp::ClientState::kOpen);
  auto r = c->CallSync(kEcho, Bytes("still private"));
  ASSERT_TRUE(r.ok()) << r.error().Message();
  for (const auto& [way, bytes] : capture.Snapshot())
    EXPECT_FALSE(Contains(bytes, "private"));
}

// ---------------------------------------------------------------------------- policies

TEST(SessionEncryption, RequiredWithoutAnOfferIsNakedWithCryptoSayingWhy) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  Clients cs;
  auto c = cs.Make(d.front(), {});  // encryption off: no ENC_OFFER
  const Status s = c->OpenSync();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), mp::Errc::kCrypto);
  EXPECT_NE(s.error().detail.find("requires encryption"), std::string::npos) << s.error().detail;
  EXPECT_EQ(d.server->opens.load(), 0);
}

TEST(SessionEncryption, OfferedOpensPlaintextForClientsThatDoNotOfferAndSealsForThoseThatDo) {
  Dasp d(mp::EncryptionPolicy::kOffered);
  Clients cs;
  auto plain = cs.Make(d.front(), {});
  auto offering =
      cs.Make(d.front(), {mp::EncryptionPolicy::kOffered, {2}, PublicOf(*d.identity), {}});
  ASSERT_TRUE(plain->OpenSync().ok());
  ASSERT_TRUE(offering->OpenSync().ok());
  EXPECT_EQ(plain->session()->suite, 0);
  EXPECT_EQ(offering->session()->suite, 2);
  EXPECT_TRUE(plain->CallSync(kEcho, Bytes("a")).ok());
  EXPECT_TRUE(offering->CallSync(kEcho, Bytes("b")).ok());
}

TEST(SessionEncryption, ClientThatRequiresRefusesAReplyWithoutEncAccept) {
  Dasp d(mp::EncryptionPolicy::kOff);  // ignores the offer
  Clients cs;
  auto c = cs.Make(d.front(), Require(d));
  const Status s = c->OpenSync();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), mp::Errc::kCrypto) << s.error().Message();
  EXPECT_NE(s.error().detail.find("no ENC_ACCEPT"), std::string::npos) << s.error().detail;
  EXPECT_GE(c->stats().refused_replies, 1u);
}

// ---------------------------------------------------------------------------- the farm's word

// Answers every OPEN_SESSION on the group at once, with ENC_ACCEPT signed by its own key.
struct Forger {
  explicit Forger(const mp::Endpoint& group) {
    mp::NodeConfig nc;
    nc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    nc.groups = {group};
    nc.multicast_interface = "127.0.0.1";
    nc.udp_offload = false;
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command != mp::wire::kOpenSession) return;
      auto req = mp::OpenSessionRequest::Decode(m.payload);
      mp::ServerEncryption forged{mp::EncryptionPolicy::kOffered, own, {1, 2}, {}};
      auto a = mp::AcceptEncryption(forged, req->enc_offer, 1, 0x00F00001);
      mp::OpenSessionReply rep;
      rep.session = 1;
      rep.dasp_va = 0x00F00001;
      rep.client_va = 0x00F00400;
      if (a.ok() && *a) rep.enc_accept = (*a)->accept;
      ++replies;
      node->ReplyTo(m.peer, 0, m.header.transaction, mp::wire::kOpenSession, 0x00F00400,
                    rep.Encode());
    };
    node = mp::Node::Create(io.io(), nc, cb).value();
  }
  std::shared_ptr<const mp::IdentityKey> own = NewIdentity();
  mp::IoThreads io{1};
  std::unique_ptr<mp::Node> node;
  std::atomic<int> replies{0};
};

TEST(SessionEncryption, ForgedEncAcceptIsIgnoredAndTheGenuineReplyWins) {
  const mp::Endpoint group = TestGroup();
  Forger forger(group);
  // The genuine DASP answers 100 ms later than the forger, who always wins the race.
  Dasp d(mp::EncryptionPolicy::kRequired, {}, group, 100ms);
  Clients cs;
  auto c = cs.Make(group, Require(d));
  const Status s = c->OpenSync();
  ASSERT_TRUE(s.ok()) << s.error().Message();
  EXPECT_GE(forger.replies.load(), 1);
  EXPECT_EQ(c->session()->dasp_va, d.instance->va());
  EXPECT_GE(c->stats().refused_replies, 1u);
  auto r = c->CallSync(kEcho, Bytes("to the real one"));
  ASSERT_TRUE(r.ok()) << r.error().Message();
}

TEST(SessionEncryption, ForgedEncAcceptAloneFailsTheOpenWithCrypto) {
  const mp::Endpoint group = TestGroup();
  Forger forger(group);
  Clients cs;
  mp::ClientEncryption enc{mp::EncryptionPolicy::kRequired,
                           {1, 2},
                           PublicOf(*NewIdentity()),
                           {}};  // the farm's key is not the forger's
  auto c = cs.Make(group, enc);
  const Status s = c->OpenSync();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), mp::Errc::kCrypto) << s.error().Message();
  EXPECT_NE(s.error().detail.find("signature"), std::string::npos) << s.error().detail;
}

// ---------------------------------------------------------------------------- farm mode

// The part of dabs-lbd an instance sees: it takes OPEN_SESSION on the farm's group and hands
// it to the instance as ADD_CLIENT over a local socket.
struct MiniLbd {
  MiniLbd() {
    const std::string base =
        "/tmp/dabs-enc-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
    control = base + "-lbd.sock";
    instance_control = base + "-dasp.sock";
    mp::NodeConfig nc;
    nc.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    nc.local_path = control;
    nc.groups = {group};
    nc.multicast_interface = "127.0.0.1";
    nc.udp_offload = false;
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command == mp::wire::kStarted) return node->Reply(m, {});
      if (m.header.command != mp::wire::kOpenSession) return;
      mp::AddClient add{m.payload, m.peer, m.header.transaction, 0x00100400 + ++clients, 0,
                        std::nullopt};
      node->Send(mp::Endpoint::Local(instance_control), 0, mp::wire::kAddClient, 0, add.Encode(),
                 {}, [this](mp::SendResult&& r) {
                   if (r.error && r.error == mp::Errc::kCrypto) ++crypto_refusals;
                 });
    };
    node = mp::Node::Create(io.io(), nc, cb).value();
  }
  ~MiniLbd() {
    node->Stop();
    ::unlink(control.c_str());
  }
  static inline std::atomic<int> n{0};
  const mp::Endpoint group = TestGroup();
  std::string control, instance_control;
  mp::IoThreads io{1};
  std::unique_ptr<mp::Node> node;
  std::atomic<uint32_t> clients{0};
  std::atomic<int> crypto_refusals{0};
};

TEST(SessionEncryption, FarmModeInstanceAgreesKeysOnAddClientAndRefusesTheClientItself) {
  MiniLbd lbd;
  auto identity = NewIdentity();
  dasp::InstanceConfig c;
  c.app = kApp;
  c.va = 0x00100005;
  c.listen = mp::Endpoint::Parse("127.0.0.1:0").value();
  c.lbd = mp::Endpoint::Local(lbd.control);
  c.control = lbd.instance_control;
  c.workers = 2;
  c.encryption = {mp::EncryptionPolicy::kRequired, identity, {1, 2}, {}};
  mp::IoThreads io(1);
  auto instance = dasp::Instance::Create(io.io(), c, std::make_unique<EchoServer>()).value();
  instance->Start();
  Clients cs;
  const mp::Endpoint farm = lbd.group;
  auto sealed = cs.Make(farm, {mp::EncryptionPolicy::kRequired, {2}, PublicOf(*identity), {}});
  const Status opened = sealed->OpenSync();
  ASSERT_TRUE(opened.ok()) << opened.error().Message();
  EXPECT_EQ(sealed->session()->suite, 2);
  EXPECT_EQ(sealed->session()->dasp, instance->udp_endpoint());  // the instance replied itself
  auto r = sealed->CallSync(kEcho, Bytes("through the farm"));
  ASSERT_TRUE(r.ok()) << r.error().Message();
  // No offer: the client hears NAK 9 from the instance, and dabs-lbd the same refusal.
  auto plain = cs.Make(farm, {});
  const Status refused = plain->OpenSync();
  EXPECT_EQ(refused.code(), mp::Errc::kCrypto) << refused.error().Message();
  EXPECT_NE(refused.error().detail.find("requires encryption"), std::string::npos);
  EXPECT_TRUE(WaitUntil([&] { return lbd.crypto_refusals.load() == 1; }));
}

// ---------------------------------------------------------------------------- new keys

TEST(SessionEncryption, CounterExhaustionReopensTransparentlyWithNewKeys) {
  // The DASP refuses to seal past 48 datagrams a key; the client renews past 16.
  Dasp d(mp::EncryptionPolicy::kRequired, {.soft = 1u << 30, .hard = 48});
  Clients cs;
  auto c = cs.Make(d.front(), Require(d, {1, 2}, {.soft = 16, .hard = 40}));
  ASSERT_TRUE(c->OpenSync().ok());
  for (int i = 0; i < 60; ++i) {
    auto r = c->CallSync(kEcho, Bytes("call " + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().Message();
  }
  EXPECT_GE(c->stats().rekeys, 3u);
  EXPECT_EQ(c->stats().opens, c->stats().rekeys + 1);
  EXPECT_EQ(c->stats().call_failures, 0u);
  EXPECT_EQ(d.server->opens.load(), static_cast<int>(c->stats().opens));
  // The old sessions were closed: only the current one is left on the DASP.
  EXPECT_TRUE(WaitUntil([&] { return d.instance->session_count() == 1; }));
}

TEST(SessionEncryption, RedirectOfAnEncryptedSessionReopensThroughTheFarm) {
  Dasp d(mp::EncryptionPolicy::kRequired);
  Clients cs;
  auto c = cs.Make(d.front(), Require(d));
  ASSERT_TRUE(c->OpenSync().ok());
  const uint8_t first = c->session()->session;
  ASSERT_TRUE(c->CallSync(kRedirectMe, Bytes("move me")).ok());
  ASSERT_TRUE(WaitUntil([&] { return c->stats().opens == 2; }));
  EXPECT_EQ(c->stats().redirects, 1u);
  EXPECT_EQ(c->session()->dasp_va, d.instance->va());  // not the instance it was sent to
  EXPECT_NE(c->session()->session, first);
  EXPECT_NE(c->session()->suite, 0);
  EXPECT_TRUE(c->CallSync(kEcho, Bytes("after the move")).ok());
}

}  // namespace
}  // namespace dabs
