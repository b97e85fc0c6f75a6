// Starting, records, restart backoff, the restart budget and Reset, on a fake clock.
#include <csignal>

#include "supervisor_testing.h"

namespace dabs::farm::testing {
namespace {

class SupervisorRestart : public SupervisorTest {
 protected:
  void SetUp() override {
    SupervisorTest::SetUp();
    options_.restart.first_delay = 50ms;
    options_.restart.max_delay = 1000ms;
    options_.restart.budget = 5;
    options_.restart.window = 60'000ms;
    options_.restart.stable_after = 10'000ms;
  }

  // Ends the process with SIGKILL now and returns the delay the supervisor chose.
  std::chrono::milliseconds Crash(const std::string& id) {
    EXPECT_TRUE(launcher_.Exit(PidOf(id), ExitStatus::Killed(SIGKILL)));
    return NextIn();
  }
};

TEST_F(SupervisorRestart, StartProcessRecordsEveryInstanceStartingWithItsPid) {
  Make();
  clock_.Advance(1234ms);
  ProcessInfo info = Start(EchoApp(), 2);
  ASSERT_EQ(info.instances.size(), 2u);
  EXPECT_EQ(info.id, "echo/0x00100001");
  EXPECT_EQ(info.pid, 1000);

  for (mp::Va va : info.instances) {
    auto r = ReadRecord(*store_, va);
    ASSERT_TRUE(r) << mp::FormatVa(va);
    EXPECT_EQ(r->va, va);
    EXPECT_EQ(r->state, "starting");
    EXPECT_EQ(r->pid, 1000);
    EXPECT_EQ(r->process, "echo/0x00100001");
    EXPECT_EQ(r->app, "echo");
    EXPECT_EQ(r->server, "s1");
    EXPECT_EQ(r->started_ms, clock_.UnixMillis());
    EXPECT_EQ(r->restarts, 0u);
    EXPECT_EQ(r->control,
              (dir_.path() / "state" / ("dasp-" + mp::FormatVa(va) + ".sock")).string());
    EXPECT_EQ(r->uri, "mp://headend-a/echo/" + std::to_string(va));
  }
  auto spawned = launcher_.last_spawned();
  ASSERT_TRUE(spawned);
  EXPECT_EQ(spawned->request.argv.front(), "/opt/dabs/bin/echo-dasp");
  EXPECT_EQ(Count(spawned->request.argv, "--instance"), 2);
  EXPECT_EQ(spawned->request.env, std::vector<std::string>{"PATH=/usr/bin"});
}

TEST_F(SupervisorRestart, StartProcessRefusesWhatTheConfigurationDoesNotAllow) {
  Make();
  auto too_many = supervisor_->StartProcess(EchoApp(2), 3);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.code(), make_error_code(SupervisorErrc::kInvalidArgument));

  config::AppEntry elsewhere = EchoApp();
  elsewhere.servers = {"s2"};
  auto not_here = supervisor_->StartProcess(elsewhere, 1);
  ASSERT_FALSE(not_here);
  EXPECT_EQ(not_here.code(), make_error_code(SupervisorErrc::kNotOnThisServer));
  EXPECT_EQ(launcher_.spawn_count(), 0u);
}

TEST_F(SupervisorRestart, AFailedSpawnRecordsNothing) {
  Make();
  launcher_.FailSpawns(1);
  auto r = supervisor_->StartProcess(EchoApp(), 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), std::errc::no_such_file_or_directory);
  EXPECT_FALSE(ReadRecord(*store_, mp::MakeVa(1, 1)));
  EXPECT_TRUE(supervisor_->Processes().empty());
}

TEST_F(SupervisorRestart, StartedAndStateReportsUpdateTheRecord) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  const mp::Va va = info.instances.front();
  ASSERT_TRUE(supervisor_->OnStarted(va, "127.0.0.1:40001", "").ok());
  auto r = ReadRecord(*store_, va);
  EXPECT_EQ(r->state, "ready");
  EXPECT_EQ(r->udp, "127.0.0.1:40001");

  ASSERT_TRUE(supervisor_->OnState(va, mp::wire::DaspState::kBusy, 17).ok());
  r = ReadRecord(*store_, va);
  EXPECT_EQ(r->state, "busy");
  EXPECT_EQ(r->sessions, 17u);

  Status unknown = supervisor_->OnStarted(0x00100099, "127.0.0.1:1", "");
  EXPECT_EQ(unknown.code(), make_error_code(SupervisorErrc::kUnknownVa));
}

TEST_F(SupervisorRestart, FirstRestartComesWithin100msWithTheSameVasAndANewPid) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  const auto argv_before = launcher_.last_spawned()->request.argv;

  EXPECT_LE(Crash(info.id), 100ms);
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "starting");
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->pid, 0);
  Advance(49ms);
  EXPECT_EQ(launcher_.spawn_count(), 1u) << "restarted before its delay";
  Advance(1ms);
  ASSERT_EQ(launcher_.spawn_count(), 2u);

  const pid_t new_pid = launcher_.last_spawned()->pid;
  EXPECT_NE(new_pid, info.pid);
  EXPECT_EQ(launcher_.last_spawned()->request.argv, argv_before);
  EXPECT_EQ(PidOf(info.id), new_pid);
  for (mp::Va va : info.instances) {
    auto r = ReadRecord(*store_, va);
    EXPECT_EQ(r->pid, new_pid);
    EXPECT_EQ(r->restarts, 1u);
    EXPECT_EQ(r->state, "starting");
    EXPECT_EQ(r->started_ms, clock_.UnixMillis());
  }
}

TEST_F(SupervisorRestart, BackoffDoublesFromTheFirstDelayUpToTheCap) {
  options_.restart.budget = 100;
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 8; ++i) {
    delays.push_back(Crash(info.id));
    Advance(delays.back());
  }
  const std::vector<std::chrono::milliseconds> expected = {50ms,  100ms,  200ms,  400ms,
                                                           800ms, 1000ms, 1000ms, 1000ms};
  EXPECT_EQ(delays, expected);
  EXPECT_EQ(supervisor_->Process(info.id)->restarts, 8u);
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->restarts, 8u);
}

TEST_F(SupervisorRestart, AProcessThatRanLongerThanStableAfterStartsAgainFromTheFirstDelay) {
  options_.restart.budget = 100;
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  for (int i = 0; i < 3; ++i)
    Advance(Crash(info.id));  // 50, 100, 200
  EXPECT_EQ(Crash(info.id), 400ms);
  Advance(400ms);
  Advance(10'000ms);  // a stable run
  EXPECT_EQ(Crash(info.id), 50ms);
}

TEST_F(SupervisorRestart, SpentBudgetMarksTheAppFailedRecordsAuditsAndReportsIt) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  for (int i = 0; i < 5; ++i)
    Advance(Crash(info.id));
  EXPECT_TRUE(failures_.empty());
  ASSERT_EQ(launcher_.spawn_count(), 6u);

  EXPECT_EQ(Crash(info.id), -1ms) << "a restart was scheduled past the budget";
  EXPECT_TRUE(supervisor_->IsFailed("echo"));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].app, "echo");
  EXPECT_EQ(failures_[0].server, "s1");
  EXPECT_EQ(failures_[0].restarts_in_window, 5u);
  EXPECT_NE(failures_[0].last_exit.find("signal 9"), std::string::npos) << failures_[0].last_exit;
  for (mp::Va va : info.instances) {
    auto r = ReadRecord(*store_, va);
    EXPECT_EQ(r->state, "failed");
    EXPECT_EQ(r->pid, 0);
  }
  auto audit = AuditTrail(*store_);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].who, "dabs-lbd");
  EXPECT_NE(audit[0].what.find("app echo failed on s1"), std::string::npos) << audit[0].what;
  EXPECT_EQ(supervisor_->Process(info.id)->state, ProcessState::kFailed);

  // Nothing brings it back by itself.
  Advance(3'600'000ms);
  EXPECT_EQ(launcher_.spawn_count(), 6u);
  auto again = supervisor_->StartProcess(EchoApp(), 1);
  EXPECT_EQ(again.code(), make_error_code(SupervisorErrc::kAppFailed));
  EXPECT_EQ(failures_.size(), 1u);
}

TEST_F(SupervisorRestart, RestartsOlderThanTheWindowDoNotCountAgainstTheBudget) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  for (int i = 0; i < 5; ++i)
    Advance(Crash(info.id));
  Advance(60'000ms);
  EXPECT_EQ(Crash(info.id), 50ms);
  EXPECT_FALSE(supervisor_->IsFailed("echo"));
}

TEST_F(SupervisorRestart, ResetStartsAFailedAppAgainWithAFreshBudget) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  for (int i = 0; i < 6; ++i)
    Advance(Crash(info.id));
  ASSERT_TRUE(supervisor_->IsFailed("echo"));
  const size_t spawns = launcher_.spawn_count();

  config::AppEntry fixed = EchoApp();
  fixed.dasp = "/opt/dabs/bin/echo-dasp-2";
  ASSERT_TRUE(supervisor_->Reset(fixed).ok());
  EXPECT_FALSE(supervisor_->IsFailed("echo"));
  ASSERT_EQ(launcher_.spawn_count(), spawns + 1);
  EXPECT_EQ(launcher_.last_spawned()->request.argv.front(), "/opt/dabs/bin/echo-dasp-2");
  auto r = ReadRecord(*store_, info.instances[0]);
  EXPECT_EQ(r->state, "starting");
  EXPECT_EQ(r->pid, launcher_.last_spawned()->pid);
  // A fresh budget and backoff: five more restarts before it fails again.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Advance(Crash(info.id)), 1u);
  EXPECT_FALSE(supervisor_->IsFailed("echo"));
}

TEST_F(SupervisorRestart, ResetOfAnAppMovedToOtherServersStopsItsFailedProcesses) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  for (int i = 0; i < 6; ++i)
    Advance(Crash(info.id));
  ASSERT_TRUE(supervisor_->IsFailed("echo"));
  const size_t spawns = launcher_.spawn_count();

  config::AppEntry moved = EchoApp();
  moved.servers = {"s2"};
  ASSERT_TRUE(supervisor_->Reset(moved).ok());
  EXPECT_FALSE(supervisor_->IsFailed("echo"));
  EXPECT_EQ(launcher_.spawn_count(), spawns);
  EXPECT_FALSE(supervisor_->Process(info.id));
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "stopped");
}

TEST_F(SupervisorRestart, ACleanExitIsNotRestarted) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Exited(0)));
  EXPECT_EQ(NextIn(), -1ms);
  EXPECT_FALSE(supervisor_->Process(info.id));
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "stopped");
}

TEST_F(SupervisorRestart, AnExitCodeOtherThanZeroIsACrash) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Exited(1)));
  EXPECT_EQ(NextIn(), 50ms);
}

TEST_F(SupervisorRestart, AProcessWhoseInstancesAllReportedStoppedIsNotRestarted) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  for (mp::Va va : info.instances) {
    ASSERT_TRUE(supervisor_->OnState(va, mp::wire::DaspState::kStopped, 0).ok());
  }
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Unknown()));
  EXPECT_EQ(NextIn(), -1ms);
  EXPECT_FALSE(supervisor_->Process(info.id));
}

TEST_F(SupervisorRestart, StartsThatFailAtOnceUseTheBudgetInsteadOfLoopingSilently) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  launcher_.FailSpawns(1000);
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Killed(SIGSEGV)));
  for (int i = 0; i < 10 && NextIn() >= 0ms; ++i)
    Advance(NextIn());
  EXPECT_EQ(NextIn(), -1ms);
  EXPECT_TRUE(supervisor_->IsFailed("echo"));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_NE(failures_[0].last_exit.find("could not start"), std::string::npos)
      << failures_[0].last_exit;
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "failed");
}

}  // namespace
}  // namespace dabs::farm::testing
