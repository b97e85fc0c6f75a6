// dabsctl shutdown against a stand-in for dabs-lbd on DIR/lbd.sock: the SHUTDOWN it sends
// (VA, mode), waiting for the directory to show the instance stopped or gone, a NAK, an
// instance on another server, and a DASP that never stops.
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/wire.h>

#include "ctl_testing.h"

namespace dabs::ctl::testing {
namespace {

using namespace std::chrono_literals;

// Plays dabs-lbd's local socket: records every message and answers with `answer`.
class FakeLbd {
 public:
  using Answer = std::function<void(mp::Node&, const mp::Message&)>;
  FakeLbd(const fs::path& socket, Answer answer) : answer_(std::move(answer)) {
    mp::NodeConfig config;
    config.local_path = socket.string();
    config.udp_offload = false;
    mp::NodeCallbacks callbacks;
    callbacks.on_message = [this](mp::Message&& m) {
      answer_(*node_, m);
      std::lock_guard lock(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    };
    auto node = mp::Node::Create(io_.io(), config, callbacks);
    EXPECT_TRUE(node.ok()) << node.error().Message();
    if (node) node_ = std::move(*node);
  }
  ~FakeLbd() {
    if (node_) node_->Stop();
  }

  std::optional<mp::Message> WaitForMessage(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !got_.empty(); })) return std::nullopt;
    return got_.front();
  }
  size_t received() {
    std::lock_guard lock(mu_);
    return got_.size();
  }

 private:
  Answer answer_;
  mp::IoThreads io_;
  std::unique_ptr<mp::Node> node_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> got_;
};

void Accept(mp::Node& node, const mp::Message& m) {
  node.Reply(m, {});
}

constexpr uint32_t kVa = 0x00100001;

class Shutdown : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    dir_ = root_ / "s";
    store::ServerRecord self;
    self.id = "s1";
    self.self = true;
    PutServer(dir_, self);
    PutDirectory(dir_, Instance("ready", "s1"));
  }
  static store::DirectoryRecord Instance(const std::string& state, const std::string& server) {
    store::DirectoryRecord d;
    d.va = kVa;
    d.uri = "mp://headend-a/calculator/1";
    d.kind = 1;
    d.server = server;
    d.app = "calculator";
    d.pid = 4242;
    d.state = state;
    return d;
  }
  std::future<CtlRun> Start(std::vector<std::string> args) {
    args.insert(args.begin(), {"--state-dir", dir_.string(), "shutdown"});
    return std::async(std::launch::async, [args] { return RunCtl(args); });
  }
  bool OwnSocketsLeft() {
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().rfind("ctl-", 0) == 0) return true;
    }
    return false;
  }

  fs::path dir_;
};

TEST_F(Shutdown, ACleanShutdownSendsTheVaAndModeToLbdAndWaitsUntilStopped) {
  FakeLbd lbd(dir_ / "lbd.sock", Accept);
  auto run = Start({"0x00100001", "--clean", "--json"});
  auto m = lbd.WaitForMessage();
  ASSERT_TRUE(m) << run.get().err;
  EXPECT_EQ(m->header.command, mp::wire::kShutdown);
  EXPECT_EQ(m->header.va, kVa);
  EXPECT_EQ(m->payload, std::vector<uint8_t>{mp::wire::kShutdownClean});
  EXPECT_EQ(m->header.session, 0);
  // The instance drains, then stops, as dabs-lbd would record it.
  std::this_thread::sleep_for(150ms);
  PutDirectory(dir_, Instance("draining", "s1"));
  EXPECT_EQ(run.wait_for(300ms), std::future_status::timeout);  // still waiting
  PutDirectory(dir_, Instance("stopped", "s1"));
  const CtlRun r = run.get();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["state"], "stopped");
  EXPECT_EQ(r.Json()["mode"], "clean");
  EXPECT_EQ(r.Json()["va"], "0x00100001");
  EXPECT_FALSE(OwnSocketsLeft());
}

TEST_F(Shutdown, AnEmergencyShutdownByUriEndsWhenTheInstanceLeavesTheDirectory) {
  FakeLbd lbd(dir_ / "lbd.sock", Accept);
  auto run = Start({"mp://headend-a/calculator/1", "--emergency"});
  auto m = lbd.WaitForMessage();
  ASSERT_TRUE(m) << run.get().err;
  EXPECT_EQ(m->header.va, kVa);
  EXPECT_EQ(m->payload, std::vector<uint8_t>{mp::wire::kShutdownEmergency});
  Delete(dir_, store::Database::kDirectory, "va/" + store::VaKey(kVa));
  const CtlRun r = run.get();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0x00100001 (mp://headend-a/calculator/1) left the directory"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("emergency shutdown of 0x00100001"), std::string::npos) << r.err;
}

TEST_F(Shutdown, ANakFromLbdIsPrintedAndFails) {
  FakeLbd lbd(dir_ / "lbd.sock", [](mp::Node& node, const mp::Message& m) {
    node.Nak(m, mp::Errc::kShuttingDown, "already shutting down");
  });
  const CtlRun r = Start({"0x00100001", "--clean"}).get();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lbd.received(), 1u);
  EXPECT_NE(r.err.find("dabsctl: dabs-lbd on s1 refused to shut down 0x00100001: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("shutting_down, NAK 11"), std::string::npos) << r.err;
  EXPECT_FALSE(OwnSocketsLeft());
}

TEST_F(Shutdown, ARetryableNakFromLbdFailsToo) {
  // dabs-lbd answers "no running DASP" with MALFORMED, a NAK the engine retries (D6).
  FakeLbd lbd(dir_ / "lbd.sock", [](mp::Node& node, const mp::Message& m) {
    node.Nak(m, mp::Errc::kMalformed, "no running DASP 0x00100001 on s1");
  });
  const CtlRun r = Start({"0x00100001", "--clean"}).get();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lbd.received(), 1u);  // a local link does not resend (D11)
  EXPECT_NE(r.err.find("refused to shut down 0x00100001: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("malformed, NAK 4"), std::string::npos) << r.err;
}

TEST_F(Shutdown, AnInstanceOnAnotherServerIsRefusedNamingThatServer) {
  PutDirectory(dir_, Instance("ready", "s2"));
  FakeLbd lbd(dir_ / "lbd.sock", Accept);
  const CtlRun r = Start({"1048577", "--clean"}).get();  // the VA in decimal
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("runs on server s2, not s1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--server s2"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(lbd.received(), 0u);
}

TEST_F(Shutdown, AnInstanceThatNeverStopsFailsAtTheTimeout) {
  FakeLbd lbd(dir_ / "lbd.sock", Accept);
  const auto start = std::chrono::steady_clock::now();
  const CtlRun r = Start({"0x00100001", "--clean", "--timeout-ms", "600"}).get();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0x00100001 is still ready (see --timeout-ms)"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// dabs-lbd running as the daemons' own user (here "nobody"), who owns the state directory:
// a child process that becomes that user, answers SHUTDOWNs on `socket` for a while and
// exits. REQUIRES: the caller has no other thread (the child goes on after fork).
pid_t StartLbdAs(uid_t uid, const fs::path& socket) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) ::_exit(2);
  FakeLbd lbd(socket, Accept);
  const bool asked = lbd.WaitForMessage(10s).has_value();
  std::this_thread::sleep_for(300ms);  // the reply leaves from the node's own thread
  ::_exit(asked ? 0 : 1);
}

TEST_F(Shutdown, AsRootItTakesTheAnswerOfALbdRunningAsTheStateDirectorysOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run dabs-lbd as another user";
  constexpr uid_t kDaemons = 65534;
  ASSERT_EQ(::chown(dir_.c_str(), kDaemons, kDaemons), 0);
  ::chmod(root_.c_str(), 0711);  // the way down to the daemons' directory
  const pid_t lbd = StartLbdAs(kDaemons, dir_ / "lbd.sock");
  ASSERT_GT(lbd, 0);
  for (int i = 0; i < 500 && !fs::exists(dir_ / "lbd.sock"); ++i)
    std::this_thread::sleep_for(10ms);
  auto run = Start({"0x00100001", "--clean", "--timeout-ms", "3000"});
  std::this_thread::sleep_for(300ms);
  PutDirectory(dir_, Instance("stopped", "s1"));
  const CtlRun r = run.get();
  EXPECT_EQ(r.exit_code, 0) << r.err;  // without the owner's uid its reply would be dropped
  int status = 0;
  ASSERT_EQ(::waitpid(lbd, &status, 0), lbd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the stand-in got no SHUTDOWN";
}

TEST_F(Shutdown, WithoutLbdOrWithAnUnknownDaspItSaysSo) {
  const CtlRun no_lbd = Start({"0x00100001", "--clean"}).get();
  EXPECT_EQ(no_lbd.exit_code, 1);
  EXPECT_EQ(no_lbd.err,
            "dabsctl: dabs-lbd is not running on s1 (no " + (dir_ / "lbd.sock").string() + ")\n");
  const CtlRun unknown = Start({"0x00100009", "--clean"}).get();
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "dabsctl: no DASP 0x00100009 in the directory of s1\n");
  const CtlRun nonsense = Start({"calculator", "--clean"}).get();
  EXPECT_EQ(nonsense.exit_code, 1);
  EXPECT_NE(nonsense.err.find("is neither a VA"), std::string::npos) << nonsense.err;
}

}  // namespace
}  // namespace dabs::ctl::testing
