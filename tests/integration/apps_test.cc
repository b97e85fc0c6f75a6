// The example DASP executables as operators and authors run them standalone (docs/dasp.md):
// echo-dasp and calculator-dasp (spec 9) and counter-dasp (the guide's example), each started
// with --standalone --listen 127.0.0.1:0 and driven by a real MP client node or by mpcat;
// their command line; the clean shutdown on SIGTERM. Black-box: the wire formats below are
// written from the spec, not taken from the applications' code.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cfloat>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <span>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/mp/coding.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

#include "../support/subprocess.h"

namespace dabs {
namespace {

using namespace std::chrono_literals;

const std::string kEchoDasp = DABS_ECHO_DASP;
const std::string kCalculatorDasp = DABS_CALCULATOR_DASP;
const std::string kCounterDasp = DABS_COUNTER_DASP;
const std::string kMpcat = DABS_MPCAT;

constexpr uint16_t kAppCommand = 0x0100;  // echo's ECHO, the calculator's INT_OP
constexpr uint16_t kFloatOp = 0x0101;

//---------------------------------------------------------------------------- processes

struct ShellRun {
  int status;          // the exit status; -1 when the shell was killed
  std::string output;  // the stream `Shell` kept
};

// Runs `command` to its end. `redirect` chooses what is kept: "2>/dev/null" keeps standard
// output, "2>&1 >/dev/null" keeps standard error.
ShellRun Shell(const std::string& command, const std::string& redirect) {
  ShellRun r{-1, {}};
  FILE* p = ::popen((command + " " + redirect).c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Waits up to `timeout` for the child to end, without reaping it (Subprocess::Wait does).
bool EndsWithin(testing::Subprocess& p, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(p.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == p.pid()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

// Whether the process catches SIGTERM yet (/proc/PID/status, SigCgt), waiting up to `timeout`.
bool CatchesSigterm(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (!line.starts_with("SigCgt:")) continue;
      const uint64_t caught = std::stoull(line.substr(7), nullptr, 16);
      if (caught & (uint64_t{1} << (SIGTERM - 1))) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
}

// One line a DASP prints per instance: "listening ADDR:PORT VA".
struct Listening {
  mp::Endpoint endpoint;
  mp::Va va = mp::kVaNone;
};

std::optional<Listening> ParseListening(const std::string& line) {
  std::istringstream in(line);
  std::string word, endpoint, va;
  if (!(in >> word >> endpoint >> va) || word != "listening" || !va.starts_with("0x")) {
    return std::nullopt;
  }
  auto e = mp::Endpoint::Parse(endpoint);
  if (!e) return std::nullopt;
  return Listening{*e, static_cast<mp::Va>(std::stoul(va, nullptr, 16))};
}

std::string TempPath(const std::string& what) {
  static std::atomic<int> n{0};
  return (std::filesystem::temp_directory_path() /
          ("apps-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" + what))
      .string();
}

// A DASP executable run standalone on loopback with one `--listen 127.0.0.1:0` per instance.
// Its standard error goes to a file, so that a test can look for sanitizer reports in it.
class Dasp {
 public:
  explicit Dasp(const std::string& exe, int instances = 1, std::vector<std::string> extra = {})
      : log_(TempPath("stderr")) {
    // Through sh only to redirect standard error; `exec` keeps the DASP's pid for signals.
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>'" + log_ + "'", exe,
                                     "--standalone"};
    for (int i = 0; i < instances; ++i) {
      argv.push_back("--listen");
      argv.push_back("127.0.0.1:0");
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<testing::Subprocess>(argv);
    for (int i = 0; i < instances; ++i) {
      auto line = process_->ReadLine(20s);
      if (!line) break;
      lines_.push_back(*line);
      if (auto l = ParseListening(*line)) instances_.push_back(*l);
    }
  }
  ~Dasp() {
    process_.reset();  // killed and reaped if still running
    std::error_code ignored;
    std::filesystem::remove(log_, ignored);
  }
  Dasp(const Dasp&) = delete;
  Dasp& operator=(const Dasp&) = delete;

  // Every instance printed its line.
  bool listening(size_t instances = 1) const { return instances_.size() == instances; }
  const mp::Endpoint& endpoint(size_t i = 0) const { return instances_.at(i).endpoint; }
  mp::Va va(size_t i = 0) const { return instances_.at(i).va; }
  const std::vector<std::string>& lines() const { return lines_; }
  testing::Subprocess& process() { return *process_; }
  // SIGTERM, once the process catches it: works around the start-up race that
  // DaspShutdown.SigtermRightAfterTheListeningLineExits0 pins, for the tests of what a
  // SIGTERM does. False if it never came to catch SIGTERM.
  bool Terminate() {
    if (!CatchesSigterm(process_->pid(), 10s)) return false;
    process_->Signal(SIGTERM);
    return true;
  }
  std::string Stderr() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::string log_;
  std::unique_ptr<testing::Subprocess> process_;
  std::vector<std::string> lines_;
  std::vector<Listening> instances_;
};

// After a SIGTERM: the process ends within 10 s, with exit status 0.
::testing::AssertionResult ExitsZero(Dasp& dasp) {
  if (!EndsWithin(dasp.process(), 10s)) {
    return ::testing::AssertionFailure() << "still running 10 s after SIGTERM";
  }
  const int status = dasp.process().Wait();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << DescribeStatus(status) << "; its standard error:\n"
                                       << dasp.Stderr();
}

//---------------------------------------------------------------------------- a client

// A client portion (DACP) as far as these tests need one: a real MP node on loopback that
// opens a session with OPEN_SESSION on session 0 (spec 4), sends on it, and records what the
// DASP sends on its own (SHUTDOWN, ...). Its engine ACKs those by itself.
class Client {
 public:
  Client() {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      std::lock_guard lock(mu_);
      unsolicited_.push_back(std::move(m));
      cv_.notify_all();
    };
    node_ = mp::Node::Create(io_.io(), c, cb).value();
  }

  // Opens a session with `dasp`; later Calls go there.
  Result<mp::OpenSessionReply> Open(const mp::Endpoint& dasp, const std::string& app) {
    mp::OpenSessionRequest request;
    request.app = app;
    request.client_id = "apps-test";
    auto r = node_->SendSync(dasp, mp::wire::kOpeningSession, mp::wire::kOpenSession, mp::kVaNone,
                             request.Encode());
    if (!r) return r.error();
    auto reply = mp::OpenSessionReply::Decode(r->payload);
    if (!reply) return reply;
    node_->OpenSession(dasp, reply->session);
    dasp_ = dasp;
    session_ = reply->session;
    dasp_va_ = reply->dasp_va;
    return reply;
  }

  // One request on the open session: the reply, or the error (a NAK's number as mp::Errc).
  Result<mp::Message> Call(uint16_t command, std::vector<uint8_t> payload) {
    return node_->SendSync(dasp_, session_, command, dasp_va_, std::move(payload));
  }
  void CallAsync(uint16_t command, std::vector<uint8_t> payload, mp::SendCallback done) {
    node_->Send(dasp_, session_, command, dasp_va_, std::move(payload), {}, std::move(done));
  }

  // The first message the DASP sent on its own with `command`, waiting up to `timeout`.
  std::optional<mp::Message> WaitUnsolicited(uint16_t command, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::optional<mp::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : unsolicited_) {
        if (m.header.command != command) continue;
        found = m;
        return true;
      }
      return false;
    });
    return found;
  }

  mp::Node& node() { return *node_; }

 private:
  mp::IoThreads io_{1};  // declared first: outlives the node
  std::unique_ptr<mp::Node> node_;
  mp::Endpoint dasp_;
  uint8_t session_ = 0;
  mp::Va dasp_va_ = mp::kVaNone;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> unsolicited_;
};

// A stand-in for dabs-lbd's local socket: answers STARTED and records every report. With
// `--lbd unix:PATH`, a standalone instance also opens its control socket and reports there.
class FakeLbd {
 public:
  FakeLbd() : dir_(MakeDir()), path_(dir_ + "/lbd.sock") {
    mp::NodeConfig c;
    c.local_path = path_;
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command == mp::wire::kStarted) node_->Reply(m, {});
      std::lock_guard lock(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    };
    node_ = mp::Node::Create(io_.io(), c, cb).value();
  }
  ~FakeLbd() {
    node_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FakeLbd(const FakeLbd&) = delete;
  FakeLbd& operator=(const FakeLbd&) = delete;

  std::string argument() const { return "unix:" + path_; }
  mp::Node& node() { return *node_; }

  // The first report that satisfies `pred`, waiting up to `timeout`.
  std::optional<mp::Message> WaitFor(const std::function<bool(const mp::Message&)>& pred,
                                     std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    std::optional<mp::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : got_) {
        if (!pred(m)) continue;
        found = m;
        return true;
      }
      return false;
    });
    return found;
  }

 private:
  // A directory of this test's own, for the sockets (the instance puts its control socket
  // beside dabs-lbd's).
  static std::string MakeDir() {
    const std::string dir = TempPath("lbd");
    std::filesystem::create_directories(dir);
    return dir;
  }

  mp::IoThreads io_{1};
  std::string dir_, path_;
  std::unique_ptr<mp::Node> node_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> got_;
};

// A UDP socket that only counts what reaches it: a bystander's endpoint.
class Bystander {
 public:
  Bystander() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~Bystander() { ::close(fd_); }
  Bystander(const Bystander&) = delete;
  Bystander& operator=(const Bystander&) = delete;

  mp::Endpoint endpoint() const { return mp::Endpoint::Udp4(INADDR_LOOPBACK, port_); }
  // Datagrams that arrive within `window`.
  int Count(std::chrono::milliseconds window) {
    int n = 0;
    const auto deadline = std::chrono::steady_clock::now() + window;
    for (auto now = std::chrono::steady_clock::now(); now < deadline;
         now = std::chrono::steady_clock::now()) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
      char buf[600];
      if (::recv(fd_, buf, sizeof buf, 0) >= 0) ++n;
    }
    return n;
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

//---------------------------------------------------------------------------- payloads

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> v(size);
  for (size_t i = 0; i < size; ++i)
    v[i] =
        static_cast<uint8_t>(i * 131 + seed + (i >> 8));  // every byte value, not periodic in 256
  return v;
}

std::string Hex(std::span<const uint8_t> bytes) {
  std::string s;
  char b[3];
  for (uint8_t x : bytes) {
    std::snprintf(b, sizeof b, "%02x", x);
    s += b;
  }
  return s;
}

// Calculator requests and answers, spec 9.
std::vector<uint8_t> IntOp(uint8_t op, int64_t a, int64_t b) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(op);
  w.I64(a);
  w.I64(b);
  return out;
}

std::vector<uint8_t> FloatOp(uint8_t op, double a, double b) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(op);
  w.F64(a);
  w.F64(b);
  return out;
}

template <typename T>
struct Answer {
  uint8_t status = 0xFF;
  T value{};
};

// The answer in a reply of exactly u8 status + 8 bytes; status 0xFF when it is anything else.
template <typename T>
Answer<T> DecodeAnswer(const Result<mp::Message>& reply) {
  if (!reply.ok() || reply->payload.size() != 9) return {};
  mp::ByteReader r(reply->payload);
  Answer<T> a;
  a.status = *r.U8();
  if constexpr (std::is_same_v<T, double>) {
    a.value = *r.F64();
  } else {
    a.value = *r.I64();
  }
  return a;
}

std::string Why(const Result<mp::Message>& r) {
  return r.ok() ? "replied " + Hex(r->payload) : r.error().Message();
}

enum : uint8_t { kAdd = 1, kSub = 2, kMul = 3, kDiv = 4, kMod = 5 };
enum : uint8_t { kOk = 0, kDivisionByZero = 1, kBadOp = 2, kOverflow = 3 };

//---------------------------------------------------------------------------- echo-dasp

TEST(EchoDasp, PrintsOneListeningLineWithItsEndpointAndVaAndOpensASessionThere) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening()) << ::testing::PrintToString(echo.lines());
  EXPECT_EQ(echo.endpoint().ToString().rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(echo.endpoint().port(), 0);
  Client client;
  auto opened = client.Open(echo.endpoint(), "echo");
  ASSERT_TRUE(opened.ok()) << opened.error().Message();
  EXPECT_GE(opened->session, 1);
  EXPECT_EQ(opened->dasp_va, echo.va());
  EXPECT_EQ(opened->dasp_endpoint, echo.endpoint());
  EXPECT_EQ(opened->server, "standalone");
  EXPECT_FALSE(mp::IsReservedVa(opened->client_va));
}

TEST(EchoDasp, EchoesPayloadsByteForByteFromEmptyToSeveralBuffers) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Client client;
  ASSERT_TRUE(client.Open(echo.endpoint(), "echo").ok());
  // 499 bytes fill one datagram (512 less the header and CRC); 495 fill a buffer of a
  // multi-buffer message, so 990 is two full buffers and 991 three.
  for (size_t size : {0u, 1u, 41u, 498u, 499u, 500u, 990u, 991u, 5000u, 65536u}) {
    const auto payload = Pattern(size, static_cast<uint8_t>(size));
    auto reply = client.Call(kAppCommand, payload);
    ASSERT_TRUE(reply.ok()) << size << " bytes: " << reply.error().Message();
    EXPECT_EQ(reply->payload, payload) << size << " bytes";
    EXPECT_EQ(reply->header.command, kAppCommand);
  }
}

TEST(EchoDasp, EchoesA300000BytePayloadBothWays) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Client client;
  ASSERT_TRUE(client.Open(echo.endpoint(), "echo").ok());
  const auto payload = Pattern(300'000, 7);
  for (int round = 0; round < 2; ++round) {
    auto reply = client.Call(kAppCommand, payload);
    ASSERT_TRUE(reply.ok()) << reply.error().Message();
    ASSERT_EQ(reply->payload.size(), payload.size());
    EXPECT_TRUE(reply->payload == payload)
        << "first difference at byte "
        << (std::mismatch(payload.begin(), payload.end(), reply->payload.begin()).first -
            payload.begin());
  }
}

TEST(EchoDasp, RefusesAnUnknownCommandWithNak6AndKeepsTheSession) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Client client;
  ASSERT_TRUE(client.Open(echo.endpoint(), "echo").ok());
  EXPECT_EQ(client.Call(0x0101, {1, 2}).code(), mp::Errc::kUnknownCommand);
  EXPECT_EQ(client.Call(0xFFFF, {}).code(), mp::Errc::kUnknownCommand);
  auto again = client.Call(kAppCommand, {9});
  ASSERT_TRUE(again.ok()) << again.error().Message();
  EXPECT_EQ(again->payload, std::vector<uint8_t>{9});
}

TEST(EchoDasp, RefusesAnOpenForAnotherApplicationWithNak8) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Client client;
  EXPECT_EQ(client.Open(echo.endpoint(), "calculator").code(), mp::Errc::kUnknownApplication);
}

TEST(EchoDasp, MpcatSendGetsItsPayloadBack) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  const ShellRun r = Shell(kMpcat + " send " + echo.endpoint().ToString() +
                               " --app echo --payload-size 20000 --count 3 --json",
                           "2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["ok"], 3);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["dasp_va"], echo.va());
  EXPECT_EQ(j["dasp_endpoint"], echo.endpoint().ToString());
  EXPECT_EQ(j["reply_hex"].get<std::string>().size(), 40'000u);
}

//---------------------------------------------------------------------------- calculator-dasp

class CalculatorDasp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(calculator_.listening()) << ::testing::PrintToString(calculator_.lines());
    auto opened = client_.Open(calculator_.endpoint(), "calculator");
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
  }
  Answer<int64_t> Int(uint8_t op, int64_t a, int64_t b) {
    return DecodeAnswer<int64_t>(client_.Call(kAppCommand, IntOp(op, a, b)));
  }
  Answer<double> Float(uint8_t op, double a, double b) {
    return DecodeAnswer<double>(client_.Call(kFloatOp, FloatOp(op, a, b)));
  }

  Dasp calculator_{kCalculatorDasp};
  Client client_;
};

TEST_F(CalculatorDasp, IntOpGivesTheRightValueForEachOp) {
  struct Case {
    uint8_t op;
    int64_t a, b, want;
  };
  const Case cases[] = {
      {kAdd, 2, 3, 5},
      {kAdd, -7, 3, -4},
      {kAdd, INT64_MAX - 1, 1, INT64_MAX},
      {kSub, 2, 3, -1},
      {kSub, INT64_MIN + 1, 1, INT64_MIN},
      {kMul, -6, 7, -42},
      {kMul, 1LL << 31, 1LL << 31, 1LL << 62},
      {kDiv, 7, 2, 3},
      {kDiv, -7, 2, -3},  // truncates toward zero
      {kDiv, INT64_MIN, 1, INT64_MIN},
      {kMod, 7, 3, 1},
      {kMod, -7, 3, -1},  // the sign of a
      {kMod, 7, -3, 1},
      {kMod, INT64_MIN, -1, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "op " << int{c.op} << " " << c.a << ", " << c.b);
    const auto answer = Int(c.op, c.a, c.b);
    EXPECT_EQ(answer.status, kOk);
    EXPECT_EQ(answer.value, c.want);
  }
}

TEST_F(CalculatorDasp, IntOpDivisionAndModulusByZeroAreStatus1) {
  EXPECT_EQ(Int(kDiv, 5, 0).status, kDivisionByZero);
  EXPECT_EQ(Int(kMod, 5, 0).status, kDivisionByZero);
  EXPECT_EQ(Int(kDiv, 0, 0).status, kDivisionByZero);
}

TEST_F(CalculatorDasp, IntOpOverflowIsStatus3) {
  EXPECT_EQ(Int(kAdd, INT64_MAX, 1).status, kOverflow);
  EXPECT_EQ(Int(kAdd, INT64_MIN, -1).status, kOverflow);
  EXPECT_EQ(Int(kSub, INT64_MIN, 1).status, kOverflow);
  EXPECT_EQ(Int(kSub, 0, INT64_MIN).status, kOverflow);
  EXPECT_EQ(Int(kMul, INT64_MAX, 2).status, kOverflow);
  EXPECT_EQ(Int(kMul, INT64_MIN, -1).status, kOverflow);
  EXPECT_EQ(Int(kDiv, INT64_MIN, -1).status, kOverflow);
}

TEST_F(CalculatorDasp, IntOpWithAnUnknownOpIsStatus2) {
  for (uint8_t op : {0, 6, 0x7F, 0xFF})
    EXPECT_EQ(Int(op, 1, 1).status, kBadOp) << int{op};
}

TEST_F(CalculatorDasp, FloatOpGivesTheRightValueForEachOp) {
  struct Case {
    uint8_t op;
    double a, b, want;
  };
  const Case cases[] = {
      {kAdd, 1.5, 2.25, 3.75},           {kAdd, 0.1, 0.2, 0.1 + 0.2},
      {kSub, 1.5, 2.25, -0.75},          {kSub, -0.0, 0.0, -0.0},
      {kMul, -1.5, 4.0, -6.0},           {kMul, 1e-300, 1e-300, 0.0},
      {kDiv, 1.0, 3.0, 1.0 / 3.0},       {kDiv, -9.0, 4.0, -2.25},
      {kDiv, DBL_MIN, 2.0, DBL_MIN / 2}, {kAdd, DBL_MAX, -DBL_MAX, 0.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "op " << int{c.op} << " " << c.a << ", " << c.b);
    const auto answer = Float(c.op, c.a, c.b);
    EXPECT_EQ(answer.status, kOk);
    // Bit for bit: the reply carries the IEEE 754 result itself (sign of zero included).
    EXPECT_EQ(std::bit_cast<uint64_t>(answer.value), std::bit_cast<uint64_t>(c.want))
        << answer.value << " != " << c.want;
  }
}

TEST_F(CalculatorDasp, FloatOpDivisionByZeroIsStatus1) {
  EXPECT_EQ(Float(kDiv, 1.0, 0.0).status, kDivisionByZero);
  EXPECT_EQ(Float(kDiv, 1.0, -0.0).status, kDivisionByZero);
  EXPECT_EQ(Float(kDiv, 0.0, 0.0).status, kDivisionByZero);
}

TEST_F(CalculatorDasp, FloatOpOverflowIsStatus3) {
  EXPECT_EQ(Float(kAdd, DBL_MAX, DBL_MAX).status, kOverflow);
  EXPECT_EQ(Float(kSub, -DBL_MAX, DBL_MAX).status, kOverflow);
  EXPECT_EQ(Float(kMul, DBL_MAX, 2.0).status, kOverflow);
  EXPECT_EQ(Float(kDiv, DBL_MAX, 0.5).status, kOverflow);
  EXPECT_EQ(Float(kDiv, 1.0, DBL_MIN / 4).status, kOverflow);
}

TEST_F(CalculatorDasp, FloatOpWithModOrAnUnknownOpIsStatus2) {
  const uint8_t ops[] = {kMod, 0, 6, 0xFF};
  for (uint8_t op : ops)
    EXPECT_EQ(Float(op, 7.0, 2.0).status, kBadOp) << int{op};
}

TEST_F(CalculatorDasp, ARequestOfTheWrongLengthIsRefusedWithNak4AndTheSessionGoesOn) {
  auto good = IntOp(kAdd, 1, 2);
  auto short_by_one = std::vector<uint8_t>(good.begin(), good.end() - 1);
  auto long_by_one = good;
  long_by_one.push_back(0);
  for (uint16_t command : {kAppCommand, kFloatOp}) {
    for (const auto& payload : {std::vector<uint8_t>{}, std::vector<uint8_t>{kAdd}, short_by_one,
                                long_by_one, Pattern(400, 1)}) {
      const auto r = client_.Call(command, payload);
      EXPECT_EQ(r.code(), mp::Errc::kMalformed)
          << "command " << command << ", " << payload.size() << " bytes: " << Why(r);
    }
  }
  const auto answer = Int(kAdd, 1, 2);
  EXPECT_EQ(answer.status, kOk);
  EXPECT_EQ(answer.value, 3);
}

TEST_F(CalculatorDasp, AnUnknownCommandIsRefusedWithNak6) {
  for (uint16_t command : {0x0102, 0x0200, 0xFFFF}) {
    const auto r = client_.Call(static_cast<uint16_t>(command), IntOp(kAdd, 1, 2));
    EXPECT_EQ(r.code(), mp::Errc::kUnknownCommand) << command << ": " << Why(r);
  }
}

TEST_F(CalculatorDasp, MpcatSendComputesAFloatOpGivenInHex) {
  // FLOAT_OP add 1.5 + 2.25: op 01, 3ff8000000000000, 4002000000000000 -> status 0, 3.75.
  const ShellRun r = Shell(kMpcat + " send " + calculator_.endpoint().ToString() +
                               " --app calculator --command 0x0101 --json --payload-hex " +
                               Hex(FloatOp(kAdd, 1.5, 2.25)),
                           "2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  std::string hex = j["reply_hex"];
  std::transform(hex.begin(), hex.end(), hex.begin(), ::tolower);
  EXPECT_EQ(hex, "00400e000000000000");
}

//---------------------------------------------------------------------------- counter-dasp

// The totals counter-dasp replies: the session's, then the instance's.
std::pair<uint64_t, uint64_t> Totals(const Result<mp::Message>& reply) {
  if (!reply.ok() || reply->payload.size() != 16) return {~0ull, ~0ull};
  return {mp::GetU64(reply->payload.data()), mp::GetU64(reply->payload.data() + 8)};
}

std::vector<uint8_t> U64(uint64_t v) {
  std::vector<uint8_t> out(8);
  mp::PutU64(out.data(), v);
  return out;
}

using TotalsPair = std::pair<uint64_t, uint64_t>;

TEST(CounterDasp, AddKeepsOneTotalPerSessionAndOneForTheInstance) {
  Dasp counter(kCounterDasp);
  ASSERT_TRUE(counter.listening());
  Client a, b;
  ASSERT_TRUE(a.Open(counter.endpoint(), "counter").ok());
  ASSERT_TRUE(b.Open(counter.endpoint(), "counter").ok());
  EXPECT_EQ(Totals(a.Call(0x0100, U64(5))), TotalsPair(5, 5));
  EXPECT_EQ(Totals(a.Call(0x0100, U64(7))), TotalsPair(12, 12));
  EXPECT_EQ(Totals(b.Call(0x0100, U64(100))), TotalsPair(100, 112));
  EXPECT_EQ(Totals(a.Call(0x0100, U64(0))), TotalsPair(12, 112));
}

TEST(CounterDasp, TotalIsRepliedLaterThroughAResponder) {
  Dasp counter(kCounterDasp);
  ASSERT_TRUE(counter.listening());
  Client a;
  ASSERT_TRUE(a.Open(counter.endpoint(), "counter").ok());
  ASSERT_EQ(Totals(a.Call(0x0100, U64(40))), TotalsPair(40, 40));
  const auto start = std::chrono::steady_clock::now();
  const auto later = a.Call(0x0101, {});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(Totals(later), TotalsPair(40, 40)) << Why(later);
  EXPECT_GE(took, 50ms);  // the example's delay
  // The session carries on after an asynchronous reply.
  EXPECT_EQ(Totals(a.Call(0x0100, U64(2))), TotalsPair(42, 42));
}

TEST(CounterDasp, RefusesAWrongLengthWithNak4AndAnUnknownCommandWithNak6) {
  Dasp counter(kCounterDasp);
  ASSERT_TRUE(counter.listening());
  Client a;
  ASSERT_TRUE(a.Open(counter.endpoint(), "counter").ok());
  EXPECT_EQ(a.Call(0x0100, {1, 2, 3}).code(), mp::Errc::kMalformed);
  EXPECT_EQ(a.Call(0x0100, {}).code(), mp::Errc::kMalformed);
  EXPECT_EQ(a.Call(0x0101, {1}).code(), mp::Errc::kMalformed);
  EXPECT_EQ(a.Call(0x0102, U64(1)).code(), mp::Errc::kUnknownCommand);
  EXPECT_EQ(Totals(a.Call(0x0100, U64(1))), TotalsPair(1, 1));  // nothing was added
}

TEST(CounterDasp, ItsStatisticsCarryTheInstanceTotalAsApplicationStatistic0x80) {
  // GET_STATISTICS comes over the control socket, which a standalone instance opens when
  // given dabs-lbd's socket; it names it in STARTED.
  FakeLbd lbd;
  Dasp counter(kCounterDasp, 1, {"--lbd", lbd.argument()});
  ASSERT_TRUE(counter.listening());
  auto started =
      lbd.WaitFor([](const mp::Message& m) { return m.header.command == mp::wire::kStarted; });
  ASSERT_TRUE(started);
  auto s = mp::Started::Decode(started->payload);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->app, "counter");
  EXPECT_EQ(s->va, counter.va());
  EXPECT_EQ(s->udp, counter.endpoint());
  EXPECT_EQ(s->pid, static_cast<uint32_t>(counter.process().pid()));
  ASSERT_FALSE(s->control.empty());
  Client a, b;
  ASSERT_TRUE(a.Open(counter.endpoint(), "counter").ok());
  ASSERT_TRUE(b.Open(counter.endpoint(), "counter").ok());
  ASSERT_EQ(Totals(a.Call(0x0100, U64(5))), TotalsPair(5, 5));
  ASSERT_EQ(Totals(b.Call(0x0100, U64(7))), TotalsPair(7, 12));
  auto reply = lbd.node().SendSync(mp::Endpoint::Local(s->control), 0, mp::wire::kGetStatistics,
                                   mp::kVaNone, {});
  ASSERT_TRUE(reply.ok()) << reply.error().Message();
  auto stats = mp::Statistics::Decode(reply->payload);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->Get(0x80), 12u);
  EXPECT_EQ(stats->Get(mp::stat_tag::kSessions), 2u);
  EXPECT_EQ(stats->Get(mp::stat_tag::kMessagesTotal), 2u);
  EXPECT_EQ(stats->Get(mp::stat_tag::kVa), counter.va());
}

//---------------------------------------------------------------------------- command line

TEST(DaspCommandLine, HelpExitsZeroAndPrintsTheOptions) {
  for (const std::string& exe : {kEchoDasp, kCalculatorDasp, kCounterDasp}) {
    const ShellRun r = Shell(exe + " --help", "2>/dev/null");
    EXPECT_EQ(r.status, 0) << exe;
    for (const char* option :
         {"--standalone", "--listen", "--group", "--lbd", "--instance", "--server-index",
          "--workers", "--max-sessions", "--read-timeout-ms", "--backlog-reads",
          "--lock-timeout-ms", "--write-timeout-ms", "--shutdown-timeout-ms", "--log-level"}) {
      EXPECT_NE(r.output.find(option), std::string::npos) << exe << " --help lacks " << option;
    }
    EXPECT_EQ(Shell(exe + " --help", "2>&1 >/dev/null").output, "") << exe;
  }
}

TEST(DaspCommandLine, BadArgumentsExit2WithOneLineOnStderr) {
  const std::string bad[] = {
      "",                                                            // no mode
      "--standalone",                                                // standalone without --listen
      "--standalone --listen nonsense",                              // not ADDR:PORT
      "--standalone --listen 127.0.0.1:99999",                       // port out of range
      "--instance 0x00100005@127.0.0.1:0",                           // --instance without --lbd
      "--lbd 127.0.0.1:7000 --instance 0x00100005@127.0.0.1:0",      // --lbd not unix:PATH
      "--lbd unix:/tmp/x.sock --instance 127.0.0.1:0",               // no VA@
      "--standalone --listen 127.0.0.1:0 --instance 1@127.0.0.1:0",  // both modes
      "--standalone --listen 127.0.0.1:0 --no-such-option",
      "--standalone --listen 127.0.0.1:0 --server-index 5000",
  };
  for (const std::string& exe : {kEchoDasp, kCalculatorDasp}) {
    const std::string name = std::filesystem::path(exe).filename().string();
    for (const std::string& args : bad) {
      const ShellRun err = Shell(exe + " " + args, "2>&1 >/dev/null");
      EXPECT_EQ(err.status, 2) << name << " " << args << ": " << err.output;
      EXPECT_EQ(std::count(err.output.begin(), err.output.end(), '\n'), 1)
          << name << " " << args << ": " << err.output;
      EXPECT_EQ(err.output.rfind(name + ": ", 0), 0u) << name << " " << args << ": " << err.output;
      EXPECT_EQ(Shell(exe + " " + args, "2>/dev/null").output, "") << name << " " << args;
    }
  }
}

// A DASP whose port is taken says so on one line and exits 1 (a half-made instance once
// dereferenced its missing dispatcher on the way out).
TEST(DaspCommandLine, AListenPortInUseExits1WithOneLineOnStderr) {
  Bystander holder;  // holds the port
  const std::string listen = holder.endpoint().ToString();
  const ShellRun err = Shell(kEchoDasp + " --standalone --listen " + listen + " --log-level warn",
                             "2>&1 >/dev/null");
  EXPECT_EQ(err.status, 1) << err.output;
  EXPECT_EQ(std::count(err.output.begin(), err.output.end(), '\n'), 1) << err.output;
  EXPECT_EQ(err.output.rfind("echo-dasp: " + listen + ": ", 0), 0u) << err.output;
}

TEST(DaspCommandLine, TwoListenOptionsGiveTwoInstancesWithDistinctVasEachServing) {
  Dasp echo(kEchoDasp, 2);
  ASSERT_TRUE(echo.listening(2)) << ::testing::PrintToString(echo.lines());
  EXPECT_NE(echo.va(0), echo.va(1));
  EXPECT_NE(echo.endpoint(0), echo.endpoint(1));
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(echo.lines()[i]);
    EXPECT_FALSE(mp::IsReservedVa(echo.va(i)));
    Client client;
    auto opened = client.Open(echo.endpoint(i), "echo");
    ASSERT_TRUE(opened.ok()) << opened.error().Message();
    EXPECT_EQ(opened->dasp_va, echo.va(i));  // each instance answers as itself
    const auto payload = Pattern(3000, static_cast<uint8_t>(i));
    auto reply = client.Call(kAppCommand, payload);
    ASSERT_TRUE(reply.ok()) << reply.error().Message();
    EXPECT_EQ(reply->payload, payload);
  }
}

//---------------------------------------------------------------------------- runtime commands

// Spec 7 gives SHUTDOWN to dabs-lbd over the local socket: from a set-top's UDP endpoint it is
// refused (NAK 6), so one datagram cannot stop an instance and every session on it.
TEST(DaspRuntimeCommands, ASetTopCannotShutAnInstanceDownOverUdp) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Client client;
  ASSERT_TRUE(client.Open(echo.endpoint(), "echo").ok());
  const auto r = client.Call(mp::wire::kShutdown, {mp::wire::kShutdownEmergency});
  EXPECT_FALSE(r.ok()) << "a SHUTDOWN from a set-top was accepted: " << Why(r);
  ASSERT_FALSE(EndsWithin(echo.process(), 1s)) << "the instance stopped";
  Client other;  // and it still serves
  EXPECT_TRUE(other.Open(echo.endpoint(), "echo").ok());
}

// The same for ADD_CLIENT: from UDP it is refused, so no set-top can make an instance send
// OPEN_SESSION replies to a third party or fill its sessions.
TEST(DaspRuntimeCommands, ASetTopCannotHandAnInstanceAClientOverUdp) {
  Dasp echo(kEchoDasp);
  ASSERT_TRUE(echo.listening());
  Bystander victim;
  Client attacker;
  mp::AddClient add;
  add.request = mp::OpenSessionRequest{"echo", {}, "not-me", {}}.Encode();
  add.client = victim.endpoint();
  add.transaction = 77;
  add.client_va = mp::MakeVa(1, 4000);
  const auto r = attacker.node().SendSync(echo.endpoint(), mp::wire::kOpeningSession,
                                          mp::wire::kAddClient, mp::kVaNone, add.Encode());
  EXPECT_FALSE(r.ok()) << "an ADD_CLIENT from a set-top was accepted: " << Why(r);
  EXPECT_EQ(victim.Count(1s), 0) << "datagrams went to an endpoint that never asked";
}

//---------------------------------------------------------------------------- shutdown

// Until the use-after-free of ACleanShutdownLeavesNoMemoryErrorBehind is fixed, a SIGTERM test
// fails now and then under ASan (about 1 run in 30) with "exited 1" (AddressSanitizer's
// report of that bug ended the process before main's exit did) or, rarely, "still running".

TEST(DaspShutdown, SigtermSendsShutdownCleanToAnOpenSessionThenExits0) {
  Dasp calculator(kCalculatorDasp);
  ASSERT_TRUE(calculator.listening());
  Client client;
  auto opened = client.Open(calculator.endpoint(), "calculator");
  ASSERT_TRUE(opened.ok()) << opened.error().Message();
  ASSERT_TRUE(client.Call(kAppCommand, IntOp(kAdd, 1, 1)).ok());
  ASSERT_TRUE(calculator.Terminate());
  auto shutdown = client.WaitUnsolicited(mp::wire::kShutdown, 10s);
  ASSERT_TRUE(shutdown) << "no SHUTDOWN came; standard error:\n" << calculator.Stderr();
  EXPECT_EQ(shutdown->payload, std::vector<uint8_t>{mp::wire::kShutdownClean});
  EXPECT_EQ(shutdown->header.session, opened->session);
  EXPECT_EQ(shutdown->header.va, opened->client_va);
  EXPECT_TRUE(ExitsZero(calculator));
}

TEST(DaspShutdown, SigtermStillDeliversAReplyBeingWorkedOn) {
  Dasp counter(kCounterDasp);
  ASSERT_TRUE(counter.listening());
  std::promise<mp::SendResult> pending;  // outlives the client, whose send sets it
  Client client;
  ASSERT_TRUE(client.Open(counter.endpoint(), "counter").ok());
  ASSERT_EQ(Totals(client.Call(0x0100, U64(3))), TotalsPair(3, 3));
  client.CallAsync(0x0101, {}, [&](mp::SendResult&& r) { pending.set_value(std::move(r)); });
  std::this_thread::sleep_for(20ms);  // the request is in (its reply comes 50 ms later)
  ASSERT_TRUE(counter.Terminate());
  auto future = pending.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  const auto r = future.get();
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(Totals(*r.reply), TotalsPair(3, 3));
  EXPECT_TRUE(client.WaitUnsolicited(mp::wire::kShutdown, 10s));
  EXPECT_TRUE(ExitsZero(counter));
}

TEST(DaspShutdown, SigtermReportsDrainingStoppedAndACleanExitToLbd) {
  FakeLbd lbd;
  Dasp echo(kEchoDasp, 1, {"--lbd", lbd.argument()});
  ASSERT_TRUE(echo.listening());
  ASSERT_TRUE(echo.Terminate());
  auto state_is = [&](mp::wire::DaspState want) {
    return lbd.WaitFor([&](const mp::Message& m) {
      auto s = mp::StateChange::Decode(m.payload);
      return m.header.command == mp::wire::kStateChange && s && s->state == want &&
             s->reason == mp::StateReason::kShutdown && s->va == echo.va();
    });
  };
  EXPECT_TRUE(state_is(mp::wire::DaspState::kDraining));
  EXPECT_TRUE(state_is(mp::wire::DaspState::kStopped));
  EXPECT_TRUE(lbd.WaitFor([](const mp::Message& m) {
    auto e = mp::ErrorReportPayload::Decode(m.payload);
    return m.header.command == mp::wire::kErrorReport && e && e->text == "exit: clean shutdown";
  }));
  EXPECT_TRUE(ExitsZero(echo));
}

// A clean exit leaves no sanitizer report behind (the shutdown thread once outlived the
// io_context it posted to).
TEST(DaspShutdown, ACleanShutdownLeavesNoMemoryErrorBehind) {
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(::testing::Message() << "round " << i);
    Dasp echo(kEchoDasp);
    ASSERT_TRUE(echo.listening());
    Client client;
    ASSERT_TRUE(client.Open(echo.endpoint(), "echo").ok());
    ASSERT_TRUE(client.Call(kAppCommand, {1}).ok());
    ASSERT_TRUE(echo.Terminate());
    EXPECT_TRUE(ExitsZero(echo));
    const std::string err = echo.Stderr();
    EXPECT_EQ(err.find("Sanitizer"), std::string::npos) << err;
    EXPECT_EQ(err.find("runtime error"), std::string::npos) << err;
  }
}

// SIGTERM is caught before the "listening" lines are printed, so a script that signals as soon
// as it reads them gets a clean shutdown, not death by signal 15.
TEST(DaspShutdown, SigtermRightAfterTheListeningLineExits0) {
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(::testing::Message() << "round " << i);
    Dasp echo(kEchoDasp);
    ASSERT_TRUE(echo.listening());
    echo.process().Signal(SIGTERM);
    EXPECT_TRUE(ExitsZero(echo));
  }
}

}  // namespace
}  // namespace dabs
