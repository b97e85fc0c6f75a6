// PosixLauncher with real processes (/bin/sh, sleep).
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/farm/posix_launcher.h>
#include <dabs/farm/supervisor_errc.h>
#include <dabs/mp/node.h>

#include "supervisor_testing.h"

namespace dabs::farm {
namespace {

using namespace std::chrono_literals;

// Collects one exit.
class ExitWaiter {
 public:
  ExitCallback Callback() {
    return [this](ExitStatus s) {
      std::lock_guard lock(mu_);
      status_ = s;
      ++calls_;
      cv_.notify_all();
    };
  }
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return status_.has_value(); });
    return status_;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ExitStatus> status_;
  int calls_ = 0;
};

std::string Cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string s{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

SpawnRequest Shell(const std::string& script, const std::string& output = {}) {
  return SpawnRequest{{"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"}, output};
}

class PosixLauncherTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Whatever a failed test left behind.
    for (pid_t pid : started_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  pid_t Remember(pid_t pid) {
    started_.push_back(pid);
    return pid;
  }

  mp::IoThreads io_{1};
  testing::TempDir dir_;
  std::vector<pid_t> started_;
};

TEST_F(PosixLauncherTest, AChildsExitCodeIsReportedAndTheChildReaped) {
  PosixLauncher launcher(io_.io());
  ExitWaiter waiter;
  auto pid = launcher.Spawn(Shell("exit 3"), waiter.Callback());
  ASSERT_TRUE(pid) << pid.error().Message();
  auto status = waiter.Wait();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->known);
  EXPECT_EQ(status->code, 3);
  EXPECT_EQ(status->signal, 0);
  EXPECT_EQ(::waitpid(*pid, nullptr, WNOHANG), -1) << "not reaped";
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(PosixLauncherTest, KillSignalsAWatchedProcessAndTheSignalIsReported) {
  PosixLauncher launcher(io_.io());
  ExitWaiter waiter;
  auto pid = launcher.Spawn(Shell("exec sleep 30"), waiter.Callback());
  ASSERT_TRUE(pid) << pid.error().Message();
  Remember(*pid);
  ASSERT_TRUE(launcher.Kill(*pid, SIGKILL).ok());
  auto status = waiter.Wait();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->known);
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_FALSE(status->clean());
  EXPECT_EQ(launcher.Kill(*pid, SIGKILL).code(), make_error_code(SupervisorErrc::kNotWatched));
}

TEST_F(PosixLauncherTest, AMissingExecutableFailsTheSpawnWithEnoent) {
  PosixLauncher launcher(io_.io());
  ExitWaiter waiter;
  auto pid = launcher.Spawn(SpawnRequest{{"/nonexistent/echo-dasp"}, {}, {}}, waiter.Callback());
  ASSERT_FALSE(pid);
  EXPECT_EQ(pid.code(), std::errc::no_such_file_or_directory) << pid.error().Message();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(waiter.calls(), 0);
}

TEST_F(PosixLauncherTest, TheChildGetsDevNullAsStdinOurOutputFileAndNoOtherDescriptor) {
  PosixLauncher launcher(io_.io());
  const std::string out = (dir_.path() / "out.log").string();
  // A descriptor of ours without O_CLOEXEC, which the child must not see.
  const int leak = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leak, 3);
  ExitWaiter listed;
  auto pid = launcher.Spawn(Shell("exec ls /proc/self/fd", out), listed.Callback());
  ::close(leak);
  ASSERT_TRUE(pid) << pid.error().Message();
  ASSERT_TRUE(listed.Wait());
  ExitWaiter read;
  ASSERT_TRUE(
      launcher.Spawn(Shell("readlink /proc/self/fd/0; echo err >&2", out), read.Callback()));
  ASSERT_TRUE(read.Wait());

  std::ifstream in(out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  // ls sees 0, 1, 2 and the directory it reads (3); then readlink's and echo's lines.
  const std::vector<std::string> expected = {"0", "1", "2", "3", "/dev/null", "err"};
  EXPECT_EQ(lines, expected);
}

TEST_F(PosixLauncherTest, AdoptWatchesAProcessStartedByAnEarlierLauncher) {
  const std::string marker = (dir_.path() / "dasp-00100001.sock").string();
  pid_t pid = 0;
  {
    PosixLauncher first(io_.io());
    // Its command line holds the marker from the start (bash -c ...) to the end (exec -a).
    auto spawned =
        first.Spawn(SpawnRequest{{"/bin/bash", "-c", "exec -a " + marker + " sleep 30"}, {}, {}},
                    [](ExitStatus) {});
    ASSERT_TRUE(spawned) << spawned.error().Message();
    pid = Remember(*spawned);
  }  // the first launcher (dabs-lbd) is gone; the process is not

  PosixLauncher second(io_.io());
  ExitWaiter waiter;
  EXPECT_TRUE(second.IsAlive(pid, {"", marker})) << Cmdline(pid);
  EXPECT_FALSE(second.IsAlive(pid, {"", "/somewhere/else.sock"}));
  auto adopted = second.Adopt(pid, {"", marker}, waiter.Callback());
  ASSERT_TRUE(adopted) << adopted.error().Message();
  ASSERT_TRUE(*adopted);
  ::kill(pid, SIGKILL);
  auto status = waiter.Wait();
  ASSERT_TRUE(status) << "the adopted process's end was not noticed";
}

TEST_F(PosixLauncherTest, AZombieIsNotAliveAndIsNotAdopted) {
  // A child of ours that ended and nobody reaped.
  pid_t pid = 0;
  char sh[] = "/bin/sh", c[] = "-c", script[] = "exit 0";
  char* argv[] = {sh, c, script, nullptr};
  ASSERT_EQ(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, nullptr), 0);
  Remember(pid);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);

  PosixLauncher launcher(io_.io());
  EXPECT_FALSE(launcher.IsAlive(pid, {}));
  auto adopted = launcher.Adopt(pid, {}, [](ExitStatus) {});
  ASSERT_TRUE(adopted);
  EXPECT_FALSE(*adopted);
}

TEST_F(PosixLauncherTest, IsAliveChecksTheExecutable) {
  PosixLauncher launcher(io_.io());
  auto pid = launcher.Spawn(SpawnRequest{{"/bin/sleep", "30"}, {}, {}}, [](ExitStatus) {});
  ASSERT_TRUE(pid) << pid.error().Message();
  Remember(*pid);
  EXPECT_TRUE(launcher.IsAlive(*pid, {"/bin/sleep", "30"}));
  EXPECT_FALSE(launcher.IsAlive(*pid, {"/usr/bin/echo-dasp", ""}));
  ASSERT_TRUE(launcher.Kill(*pid, SIGKILL).ok());
}

TEST_F(PosixLauncherTest, NoExitCallbackRunsOnceTheLauncherIsGone) {
  ExitWaiter waiter;
  pid_t pid = 0;
  {
    PosixLauncher launcher(io_.io());
    auto spawned = launcher.Spawn(Shell("exec sleep 30"), waiter.Callback());
    ASSERT_TRUE(spawned);
    pid = Remember(*spawned);
  }
  ::kill(pid, SIGKILL);
  EXPECT_FALSE(waiter.Wait(300ms));
}

}  // namespace
}  // namespace dabs::farm
