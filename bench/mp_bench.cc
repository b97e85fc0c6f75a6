// mp_bench: the message protocol against raw UDP on loopback, in one run, as one JSON object.
// Baselines (raw UDP ping-pong, raw 512-byte receive rate) are measured in the same run
// because these machines are noisy: compare the ratios, not the absolute figures.
//
//   build/bin/mp_bench --json            # the full run (about half a minute)
//   build/bin/mp_bench --json --quick    # a smoke run for CI
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <dabs/mp/farm_guard.h>
#include <dabs/mp/header.h>
#include <dabs/mp/node.h>
#include <dabs/mp/session_crypto.h>

namespace {

using namespace dabs::mp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Sizes {
  int pings = 20'000;
  int async_messages = 300'000;
  double blast_seconds = 1.0;
  int big_messages = 40;
  int codec_iterations = 5'000'000;
};

json Percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  };
  return {{"p50", at(0.50)}, {"p99", at(0.99)}};
}

double Us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// ---- raw UDP baselines

int RawSocket(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// Blocking ping-pong with a 16-byte payload, as the MP round trip below carries.
json RawPingPong(int n) {
  uint16_t pa = 0, pb = 0;
  int a = RawSocket(&pa), b = RawSocket(&pb);
  std::thread echo([&] {
    uint8_t buf[600];
    sockaddr_in from{};
    for (int i = 0; i < n; ++i) {
      socklen_t len = sizeof from;
      ssize_t r = ::recvfrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      ::sendto(b, buf, static_cast<size_t>(r), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  const sockaddr_in to = Loopback(pb);
  uint8_t msg[28] = {}, buf[600];
  std::vector<double> rtt;
  rtt.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    ::sendto(a, msg, sizeof msg, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    ::recv(a, buf, sizeof buf, 0);
    rtt.push_back(Us(Clock::now() - t0));
  }
  echo.join();
  ::close(a);
  ::close(b);
  return Percentiles(rtt);
}

// One sender blasting 512-byte datagrams, one receiver counting what arrives.
double RawReceiveRate(double seconds) {
  uint16_t pr = 0, ps = 0;
  int r = RawSocket(&pr), s = RawSocket(&ps);
  timeval tv{0, 100'000};
  setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    const sockaddr_in to = Loopback(pr);
    std::array<uint8_t, 512> msg{};
    std::array<mmsghdr, 64> msgs{};
    std::array<iovec, 64> iov{};
    for (size_t i = 0; i < 64; ++i) {
      iov[i] = {msg.data(), msg.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
      msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    while (!stop)
      ::sendmmsg(s, msgs.data(), 64, 0);
  });
  std::array<uint8_t, 64 * 512> buf{};
  std::array<mmsghdr, 64> msgs{};
  std::array<iovec, 64> iov{};
  for (size_t i = 0; i < 64; ++i) {
    iov[i] = {buf.data() + i * 512, 512};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t received = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
    const int n = ::recvmmsg(r, msgs.data(), 64, 0, nullptr);
    if (n > 0) received += static_cast<uint64_t>(n);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  sender.join();
  ::close(r);
  ::close(s);
  return static_cast<double>(received) / elapsed;
}

// ---- MP

// ---- farm seals

std::shared_ptr<const FarmKeySet> BenchKeys() {
  std::array<uint8_t, 32> b{};
  b.fill(0x3C);
  const FarmKey k = FarmKey::FromBytes(b);
  return std::make_shared<FarmKeySet>("bench", std::vector<FarmKey>{k}, k.id);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<FarmGuard> BenchGuard(uint16_t index) {
  return std::make_shared<FarmGuard>(BenchKeys(), FarmSenderId(index, FarmRole::kLbd),
                                     FarmIncarnation(NowMs()), FarmGuardPolicy{}, nullptr, NowMs());
}

struct Pair {
  IoThreads server_io{1};
  std::unique_ptr<IoThreads> client_io;
  boost::asio::io_context caller_io{1};
  std::unique_ptr<Node> server, client;
  Endpoint server_ep;

  // caller_driven: the client has no I/O thread; SendSync runs its io_context.
  // offload: UDP GSO/GRO on both nodes (the default).
  // suite: the session encrypted with it (spec 6), keys agreed as a DACP and DASP would.
  // farm: both nodes are farm daemons, every datagram sealed (docs/spec/farm-seal.md).
  explicit Pair(bool caller_driven = false, bool offload = true,
                std::optional<Suite> suite = std::nullopt, bool farm = false) {
    NodeConfig c;
    c.udp = Endpoint::Parse("127.0.0.1:0").value();
    c.udp_offload = offload;
    if (farm) c.farm_guard = BenchGuard(1);
    auto holder = std::make_shared<Node*>(nullptr);
    NodeCallbacks cb;
    cb.on_message = [holder](Message&& m) {
      if (m.header.command == 0x0100) (*holder)->Reply(m, std::move(m.payload));  // echo
    };
    server = Node::Create(server_io.io(), c, cb).value();
    *holder = server.get();
    if (farm) c.farm_guard = BenchGuard(2);
    if (caller_driven) {
      c.sync_runs_io = true;
      client = Node::Create(caller_io, c, {}).value();
    } else {
      client_io = std::make_unique<IoThreads>(1);
      client = Node::Create(client_io->io(), c, {}).value();
    }
    server_ep = *server->udp_endpoint();
    SessionOptions client_side, server_side;
    if (suite) {
      auto a = X25519KeyPair::Generate().value(), b = X25519KeyPair::Generate().value();
      const auto keys =
          DeriveSessionKeys(a.Agree(b.public_key()).value(), a.public_key(), b.public_key(), 1)
              .value();
      client_side.cipher = SessionCrypto::Create(*suite, keys, CipherRole::kClient).value();
      server_side.cipher = SessionCrypto::Create(*suite, keys, CipherRole::kServer).value();
    }
    client->OpenSession(server_ep, 1, client_side);
    server->OpenSession(*client->udp_endpoint(), 1, server_side);
  }
};

json MpSyncRtt(int n, bool caller_driven) {
  Pair p(caller_driven);
  std::vector<uint8_t> payload(16, 0x42);
  for (int i = 0; i < 200; ++i)
    (void)p.client->SendSync(p.server_ep, 1, 0x0100, 0, payload);  // warm
  std::vector<double> rtt;
  rtt.reserve(static_cast<size_t>(n));
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (!p.client->SendSync(p.server_ep, 1, 0x0100, 0, payload)) ++failures;
    rtt.push_back(Us(Clock::now() - t0));
  }
  json j = Percentiles(rtt);
  j["failures"] = failures;
  return j;
}

// One-way messages through one session, each ACKed; the engine keeps 128 in flight. The
// producer hands them over 64 at a time through Node::Post, as a pipelining application
// would, so that one entry (and one sendmmsg) carries 64 messages.
double MpAsyncRate(int n, bool offload, std::optional<Suite> suite = std::nullopt) {
  Pair p(false, offload, suite);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> done{0}, failed{0};
  std::atomic<bool> waiting{false};
  constexpr int kWindow = 2048;  // handed over but not finished, below the queue limit
  constexpr int kBatch = 64;
  SendOptions one_way;
  one_way.expect_reply = false;
  auto on_done = [&](SendResult&& r) {
    if (r.error) ++failed;
    const int d = ++done;
    if (waiting.load(std::memory_order_acquire) || d == n) {
      std::lock_guard lock(mu);
      cv.notify_one();
    }
  };
  const Endpoint to = p.server_ep;
  const auto start = Clock::now();
  for (int submitted = 0; submitted < n;) {
    if (submitted - done.load() >= kWindow) {
      std::unique_lock lock(mu);
      waiting = true;
      cv.wait(lock, [&] { return submitted - done.load() < kWindow; });
      waiting = false;
    }
    const int batch = std::min(kBatch, n - submitted);
    p.client->Post([&, batch, to](Engine& e) {
      for (int i = 0; i < batch; ++i)
        e.Send(to, 1, 0x0101, 0, {1, 2, 3, 4}, one_way, on_done);
    });
    submitted += batch;
  }
  {
    std::unique_lock lock(mu);
    waiting = true;
    cv.wait(lock, [&] { return done.load() == n; });
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) std::fprintf(stderr, "mp_bench: %d async sends failed\n", failed.load());
  return n / s;
}

// 1 MiB messages, one at a time, one way (ACKed once whole).
double Mp1MiBRate(int n, bool offload) {
  Pair p(false, offload);
  std::vector<uint8_t> big(1 << 20, 0x5A);
  SendOptions one_way;
  one_way.expect_reply = false;
  (void)p.client->SendSync(p.server_ep, 1, 0x0101, 0, big, one_way);  // warm
  const auto start = Clock::now();
  int ok = 0;
  for (int i = 0; i < n; ++i)
    ok += p.client->SendSync(p.server_ep, 1, 0x0101, 0, big, one_way).ok();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  return ok * (1 << 20) / s / 1e6;
}

// ---- local (Unix datagram) sockets, as between a server's daemons and its DASPs

// A private directory for the sockets, removed with them.
struct SocketDir {
  std::string path;
  SocketDir() {
    std::string pattern = "/tmp/dabs-mp-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~SocketDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

int RawLocalSocket(const std::string& path, bool passcred, sockaddr_un* addr) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  const int one = 1;
  if (passcred) setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  *addr = {};
  addr->sun_family = AF_UNIX;
  std::snprintf(addr->sun_path, sizeof addr->sun_path, "%s", path.c_str());
  ::bind(fd, reinterpret_cast<sockaddr*>(addr), sizeof *addr);
  return fd;
}

// One receive, with room for the sender's credentials when they come (SO_PASSCRED).
ssize_t ReceiveWithCredentials(int fd, uint8_t* buf, size_t size) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  iovec iov{buf, size};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  return ::recvmsg(fd, &h, 0);
}

// Blocking ping-pong of a 28-byte datagram between two Unix datagram sockets; with
// `passcred`, every datagram carries its sender's credentials, as mp's local sockets ask.
json RawLocalPingPong(int n, bool passcred) {
  SocketDir dir;
  sockaddr_un aa{}, ba{};
  const int a = RawLocalSocket(dir / "a", passcred, &aa);
  const int b = RawLocalSocket(dir / "b", passcred, &ba);
  std::thread echo([&] {
    uint8_t buf[600];
    for (int i = 0; i < n; ++i) {
      const ssize_t r = ReceiveWithCredentials(b, buf, sizeof buf);
      ::sendto(b, buf, static_cast<size_t>(r), 0, reinterpret_cast<sockaddr*>(&aa), sizeof aa);
    }
  });
  uint8_t msg[28] = {}, buf[600];
  std::vector<double> rtt;
  rtt.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    ::sendto(a, msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&ba), sizeof ba);
    ReceiveWithCredentials(a, buf, sizeof buf);
    rtt.push_back(Us(Clock::now() - t0));
  }
  echo.join();
  ::close(a);
  ::close(b);
  return Percentiles(rtt);
}

// Node::SendSync of a 16-byte request to an echo node over local sockets (no ACKs, D11;
// each datagram's sender checked, SO_PASSCRED), with a blocking client.
json MpLocalSyncRtt(int n) {
  SocketDir dir;
  IoThreads server_io(1);
  boost::asio::io_context caller_io(1);
  NodeConfig c;
  c.local_path = dir / "server.sock";
  c.socket_buffer_bytes = 256 << 10;
  auto holder = std::make_shared<Node*>(nullptr);
  NodeCallbacks cb;
  cb.on_message = [holder](Message&& m) { (*holder)->Reply(m, std::move(m.payload)); };
  auto server = Node::Create(server_io.io(), c, cb).value();
  *holder = server.get();
  c.local_path = dir / "client.sock";
  c.sync_runs_io = true;
  auto client = Node::Create(caller_io, c, {}).value();
  const Endpoint to = *server->local_endpoint();
  std::vector<uint8_t> payload(16, 0x42);
  for (int i = 0; i < 200; ++i)
    (void)client->SendSync(to, 0, 0x0100, 0, payload);  // warm
  std::vector<double> rtt;
  rtt.reserve(static_cast<size_t>(n));
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (!client->SendSync(to, 0, 0x0100, 0, payload)) ++failures;
    rtt.push_back(Us(Clock::now() - t0));
  }
  json j = Percentiles(rtt);
  j["failures"] = failures;
  return j;
}

// Keeps this thread, and the threads it starts (the pairs' I/O threads), on the CPU it is on
// until destroyed. A round trip's time on a VM depends mostly on where its two threads run:
// on one CPU the hand-over is quick; across two the sleeping CPU must be woken (on these
// VMs 45 against 100 us), and which placement each pair gets is the scheduler's choice. Pairs
// compared with each other must all have the same one.
class OnOneCpu {
 public:
  OnOneCpu() {
    ::sched_getaffinity(0, sizeof saved_, &saved_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(::sched_getcpu(), &one);
    ::sched_setaffinity(0, sizeof one, &one);
  }
  ~OnOneCpu() { ::sched_setaffinity(0, sizeof saved_, &saved_); }
  OnOneCpu(const OnOneCpu&) = delete;
  OnOneCpu& operator=(const OnOneCpu&) = delete;

 private:
  cpu_set_t saved_;
};

// Synchronous round trips through each pair in turns of 250 (after 200 to warm up), so that a
// shared machine's load falls on all of them alike: one latency list per pair.
std::vector<std::vector<double>> InterleavedRtts(std::vector<std::unique_ptr<Pair>>& pairs,
                                                 int pings, const std::vector<uint8_t>& payload) {
  std::vector<std::vector<double>> rtts(pairs.size());
  for (auto& p : pairs) {
    for (int i = 0; i < 200; ++i)
      (void)p->client->SendSync(p->server_ep, 1, 0x0100, 0, payload);
  }
  constexpr int kTurn = 250;
  for (int done = 0; done < pings; done += kTurn) {
    for (size_t k = 0; k < pairs.size(); ++k) {
      for (int i = 0; i < kTurn; ++i) {
        const auto t0 = Clock::now();
        (void)pairs[k]->client->SendSync(pairs[k]->server_ep, 1, 0x0100, 0, payload);
        rtts[k].push_back(Us(Clock::now() - t0));
      }
    }
  }
  return rtts;
}

// ---- encrypted sessions (spec 6)

// Plaintext, ChaCha20-Poly1305 and AES-256-GCM sessions measured in turns of a few hundred
// round trips (and a tenth of the messages) each, so that the load of a shared machine falls
// on all three alike: the ratios are what to read.
json EncryptionStage(const Sizes& z) {
  const std::optional<Suite> kinds[] = {std::nullopt, Suite::kChaCha20Poly1305, Suite::kAes256Gcm};
  auto name = [](const std::optional<Suite>& s) {
    return s ? std::string(SuiteName(*s)) : std::string("plaintext");
  };
  std::vector<std::vector<double>> rtts;
  {
    OnOneCpu same_placement;
    std::vector<std::unique_ptr<Pair>> pairs;
    for (const auto& k : kinds)
      pairs.push_back(std::make_unique<Pair>(true, true, k));
    rtts = InterleavedRtts(pairs, z.pings, std::vector<uint8_t>(16, 0x42));
  }
  std::vector<double> seconds(3, 0.0);
  const int turn = std::max(1, z.async_messages / 10);
  for (int round = 0; round < 10; ++round) {
    for (size_t k = 0; k < 3; ++k)
      seconds[k] += turn / MpAsyncRate(turn, true, kinds[k]);
  }
  json j;
  for (size_t k = 0; k < 3; ++k) {
    j["sync_rtt_us"][name(kinds[k])] = Percentiles(rtts[k]);
    j["async_msgs_per_s"][name(kinds[k])] = 10.0 * turn / seconds[k];
  }
  for (size_t k = 1; k < 3; ++k) {
    j["ratios"][name(kinds[k])] = {
        {"sync_p50_over_plain", j["sync_rtt_us"][name(kinds[k])]["p50"].get<double>() /
                                    j["sync_rtt_us"]["plaintext"]["p50"].get<double>()},
        {"sync_p99_over_plain", j["sync_rtt_us"][name(kinds[k])]["p99"].get<double>() /
                                    j["sync_rtt_us"]["plaintext"]["p99"].get<double>()},
        {"async_over_plain", j["async_msgs_per_s"][name(kinds[k])].get<double>() /
                                 j["async_msgs_per_s"]["plaintext"].get<double>()}};
  }
  return j;
}

// Farm datagrams sealed and opened per second, one core, against encoding and decoding the
// same datagrams in plaintext; then synchronous round trips between two farm daemons' nodes
// against two plain nodes, in turns (as EncryptionStage), so that the ratio is what to read.
json FarmSealStage(const Sizes& z) {
  json j;
  const auto keys = BenchKeys();
  const int64_t now = NowMs();
  for (size_t payload : {size_t{100}, farm_seal::kMaxPayload}) {
    Header h;
    h.command = wire::kHello;
    h.crc = true;
    h.sent = SentTime::FromUnixMillis(now);
    std::vector<uint8_t> plain(512), sealed, opened;
    plain.resize(EncodeDatagram(h, std::vector<uint8_t>(payload, 7), plain).value());
    FarmSealer sealer(FarmSenderId(1, FarmRole::kLbd), 1);
    FarmOpener opener;
    const int n = z.codec_iterations / 10;
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      (void)sealer.Seal(*keys, plain, now, sealed);
      if (!opener.Open(*keys, sealed, now, opened)) std::abort();
    }
    const double seal_s = std::chrono::duration<double>(Clock::now() - start).count();
    start = Clock::now();
    uint64_t sink = 0;
    for (int i = 0; i < n; ++i) {
      std::array<uint8_t, 512> buf{};
      h.transaction = static_cast<uint8_t>(i);
      auto len = EncodeDatagram(h, std::span(plain).subspan(12, payload), buf);
      sink += DecodeDatagram(std::span(buf).first(*len))->payload.size();
    }
    const double codec_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (sink == 42) std::fprintf(stderr, " ");  // keep the loop
    const std::string name = std::to_string(payload) + "_byte_payload";
    j["sealed_and_opened_per_s"][name] = n / seal_s;
    j["plain_encoded_and_decoded_per_s"][name] = n / codec_s;
  }
  OnOneCpu same_placement;
  std::vector<std::unique_ptr<Pair>> pairs;
  pairs.push_back(std::make_unique<Pair>(true, true, std::nullopt, false));
  pairs.push_back(std::make_unique<Pair>(true, true, std::nullopt, true));
  const auto rtts = InterleavedRtts(pairs, z.pings, std::vector<uint8_t>(100, 0x42));
  j["sync_rtt_us"]["plain"] = Percentiles(rtts[0]);
  j["sync_rtt_us"]["sealed"] = Percentiles(rtts[1]);
  j["sync_p50_sealed_over_plain"] = j["sync_rtt_us"]["sealed"]["p50"].get<double>() /
                                    j["sync_rtt_us"]["plain"]["p50"].get<double>();
  return j;
}

double CodecRate(int n) {
  Header h;
  h.command = 0x0100;
  h.session = 3;
  h.crc = true;
  h.va = 0x00100005;
  std::array<uint8_t, 16> payload{};
  std::array<uint8_t, 512> buf{};
  uint64_t sink = 0;
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    h.transaction = static_cast<uint8_t>(i);
    auto len = EncodeDatagram(h, payload, buf);
    auto d = DecodeDatagram(std::span(buf).first(*len));
    sink += d->header.transaction;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (sink == 42) std::fprintf(stderr, " ");  // keep the loop
  return n / s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mp_bench: the message protocol against raw UDP on loopback, in one run"};
  bool json_out = false, quick = false;
  std::string only;
  app.add_flag("--json", json_out, "Print one JSON object (the default output)");
  app.add_flag("--quick", quick, "A small run to check that everything works");
  app.add_option("--only", only,
                 "Run one stage: rtt, async, enc, seal, rate, 1mib, codec, local (for profiling)")
      ->check(CLI::IsMember({"rtt", "async", "enc", "seal", "rate", "1mib", "codec", "local"}));
  CLI11_PARSE(app, argc, argv);
  Sizes z;
  if (quick) z = {2'000, 20'000, 0.2, 4, 200'000};

  auto stage = [&](const char* name, const char* what) {
    if (!only.empty() && only != name) return false;
    std::fprintf(stderr, "mp_bench: %s...\n", what);
    return true;
  };
  json out;
  if (stage("rtt", "raw UDP ping-pong")) out["raw_udp_rtt_us"] = RawPingPong(z.pings);
  if (stage("rtt", "MP synchronous round trips (blocking client)")) {
    out["mp_sync_rtt_us"] = MpSyncRtt(z.pings, true);
  }
  if (stage("rtt", "MP synchronous round trips (client with an I/O thread)")) {
    out["mp_sync_threaded_rtt_us"] = MpSyncRtt(z.pings, false);
  }
  if (stage("async", "MP asynchronous messages through one session")) {
    out["mp_async_msgs_per_s"] = MpAsyncRate(z.async_messages, true);
  }
  if (stage("async", "the same without UDP segmentation offload")) {
    out["mp_async_no_offload_msgs_per_s"] = MpAsyncRate(z.async_messages, false);
  }
  if (stage("rate", "raw UDP 512-byte receive rate")) {
    const double pkts = RawReceiveRate(z.blast_seconds);
    out["raw_udp_recv_pkts_per_s"] = pkts;
    out["raw_udp_512_mb_per_s"] = pkts * 512 / 1e6;
  }
  if (stage("enc", "MP encrypted against plaintext sessions, interleaved (spec 6)")) {
    out["mp_encryption"] = EncryptionStage(z);
  }
  if (stage("seal", "farm seals: sealed and opened, and round trips between farm daemons")) {
    out["farm_seal"] = FarmSealStage(z);
  }
  if (stage("1mib", "MP 1 MiB messages"))
    out["mp_1mib_mb_per_s"] = Mp1MiBRate(z.big_messages, true);
  if (stage("1mib", "the same without UDP segmentation offload")) {
    out["mp_1mib_no_offload_mb_per_s"] = Mp1MiBRate(z.big_messages, false);
  }
  if (stage("codec", "header codec")) out["header_codec_per_s"] = CodecRate(z.codec_iterations);
  if (stage("local", "raw Unix datagram ping-pong, without and with credentials")) {
    out["raw_local_rtt_us"] = RawLocalPingPong(z.pings, false);
    out["raw_local_passcred_rtt_us"] = RawLocalPingPong(z.pings, true);
  }
  if (stage("local", "MP synchronous round trips over local sockets")) {
    out["mp_local_sync_rtt_us"] = MpLocalSyncRtt(z.pings);
  }
  if (!only.empty()) {
    std::cout << out.dump(2) << std::endl;
    return 0;
  }

  const double sync_ratio = out["mp_sync_rtt_us"]["p50"].get<double>() /
                            std::max(1e-9, out["raw_udp_rtt_us"]["p50"].get<double>());
  const double big_ratio = out["mp_1mib_mb_per_s"].get<double>() /
                           std::max(1e-9, out["raw_udp_512_mb_per_s"].get<double>());
  out["ratios"] = {{"mp_sync_p50_over_raw_p50", sync_ratio}, {"mp_1mib_over_raw_512", big_ratio}};
  bool enc_rtt_ok = true, enc_async_ok = true;
  for (const auto& [suite, r] : out["mp_encryption"]["ratios"].items()) {
    enc_rtt_ok = enc_rtt_ok && r["sync_p50_over_plain"].get<double>() <= 1.25;
    enc_async_ok = enc_async_ok && r["async_over_plain"].get<double>() >= 0.60;
  }
  out["targets"] = {
      {"sync_p50_within_3x_raw", sync_ratio <= 3.0},
      {"async_at_least_100k_per_s", out["mp_async_msgs_per_s"].get<double>() >= 100'000},
      {"mp_1mib_at_least_40pct_of_raw", big_ratio >= 0.40},
      {"enc_sync_p50_within_1_25x_plain", enc_rtt_ok},
      {"enc_async_at_least_60pct_of_plain", enc_async_ok}};
  out["quick"] = quick;
  std::cout << out.dump(2) << std::endl;
  return 0;
}
