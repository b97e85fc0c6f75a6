// Clean and emergency shutdown, one instance or a whole process, and StopAll.
#include <csignal>

#include "supervisor_testing.h"

namespace dabs::farm::testing {
namespace {

using Signal = FakeLauncher::Signal;

class SupervisorShutdown : public SupervisorTest {
 protected:
  void SetUp() override {
    SupervisorTest::SetUp();
    options_.shutdown.clean_grace = 7000ms;
    options_.shutdown.term_grace = 2000ms;
    options_.shutdown.emergency_grace = 100ms;
  }
};

TEST_F(SupervisorShutdown, CleanShutdownTellsEveryInstanceThenSigtermThenSigkill) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kClean).ok());
  ASSERT_EQ(shutdowns_.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(shutdowns_[i].va, info.instances[i]);
    EXPECT_EQ(shutdowns_[i].mode, ShutdownMode::kClean);
    EXPECT_EQ(shutdowns_[i].control, ReadRecord(*store_, info.instances[i])->control);
  }
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "draining");
  EXPECT_TRUE(launcher_.signals().empty());
  Advance(6999ms);
  EXPECT_TRUE(launcher_.signals().empty());
  Advance(1ms);
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGTERM}}));
  Advance(2000ms);
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGTERM}, {info.pid, SIGKILL}}));
}

TEST_F(SupervisorShutdown, WithoutAShutdownChannelACleanShutdownStartsWithSigterm) {
  with_channel_ = false;
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kClean).ok());
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGTERM}}));
  // It ends within the grace period: nothing more is sent.
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Exited(0)));
  Advance(10'000ms);
  EXPECT_EQ(launcher_.signals().size(), 1u);
}

TEST_F(SupervisorShutdown, EmergencyShutdownTellsTheInstancesThenKillsAfterItsGrace) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kEmergency).ok());
  ASSERT_EQ(shutdowns_.size(), 1u);
  EXPECT_EQ(shutdowns_[0].mode, ShutdownMode::kEmergency);
  Advance(99ms);
  EXPECT_TRUE(launcher_.signals().empty());
  Advance(1ms);
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGKILL}}));
}

TEST_F(SupervisorShutdown, EmergencyShutdownWithoutAChannelIsSigkillAtOnce) {
  with_channel_ = false;
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(supervisor_->Shutdown(info.instances[0], ShutdownMode::kEmergency).ok());
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGKILL}}));
}

TEST_F(SupervisorShutdown, AnEmergencyOvertakesACleanShutdownUnderway) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kClean).ok());
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kEmergency).ok());
  Advance(100ms);
  EXPECT_EQ(launcher_.signals(), (std::vector<Signal>{{info.pid, SIGKILL}}));
  Advance(10'000ms);  // the clean shutdown's escalations no longer apply
  EXPECT_EQ(launcher_.signals().size(), 1u);
}

TEST_F(SupervisorShutdown, AShutDownProcessIsNotRestartedHoweverItEnds) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kEmergency).ok());
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Killed(SIGKILL)));
  Advance(60'000ms);
  EXPECT_EQ(launcher_.spawn_count(), 1u);
  EXPECT_FALSE(supervisor_->Process(info.id));
  for (mp::Va va : info.instances) {
    auto r = ReadRecord(*store_, va);
    EXPECT_EQ(r->state, "stopped");
    EXPECT_EQ(r->pid, 0);
  }
  EXPECT_TRUE(failures_.empty());
}

TEST_F(SupervisorShutdown, ShuttingDownOneOfSeveralInstancesTellsOnlyItAndDropsItFromRestarts) {
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  const mp::Va gone = info.instances[0], kept = info.instances[1];
  ASSERT_TRUE(supervisor_->Shutdown(gone, ShutdownMode::kClean).ok());
  ASSERT_EQ(shutdowns_.size(), 1u);
  EXPECT_EQ(shutdowns_[0].va, gone);
  EXPECT_EQ(ReadRecord(*store_, gone)->state, "draining");
  EXPECT_EQ(ReadRecord(*store_, kept)->state, "starting");
  Advance(60'000ms);
  EXPECT_TRUE(launcher_.signals().empty()) << "a signal would end its sibling too";

  ASSERT_TRUE(supervisor_->OnState(gone, mp::wire::DaspState::kStopped, 0).ok());
  EXPECT_EQ(ReadRecord(*store_, gone)->state, "stopped");

  // The process crashes later: it comes back with the other instance only.
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Killed(SIGSEGV)));
  Advance(NextIn());
  ASSERT_EQ(launcher_.spawn_count(), 2u);
  const std::vector<std::string> argv = launcher_.last_spawned()->request.argv;
  EXPECT_EQ(Count(argv, "--instance"), 1);
  EXPECT_NE(
      std::find_if(argv.begin(), argv.end(),
                   [&](const std::string& a) { return a.starts_with(mp::FormatVa(kept) + "@"); }),
      argv.end());
  EXPECT_EQ(ReadRecord(*store_, gone)->state, "stopped");
  EXPECT_EQ(ReadRecord(*store_, kept)->pid, launcher_.last_spawned()->pid);
}

TEST_F(SupervisorShutdown, OneInstanceOfSeveralCannotBeShutDownWithoutAChannel) {
  with_channel_ = false;
  Make();
  ProcessInfo info = Start(EchoApp(), 2);
  Status s = supervisor_->Shutdown(info.instances[0], ShutdownMode::kClean);
  EXPECT_EQ(s.code(), make_error_code(SupervisorErrc::kNoShutdownChannel));
  EXPECT_TRUE(launcher_.signals().empty());
}

TEST_F(SupervisorShutdown, ShuttingDownDuringBackoffCancelsTheRestart) {
  Make();
  ProcessInfo info = Start(EchoApp(), 1);
  ASSERT_TRUE(launcher_.Exit(info.pid, ExitStatus::Killed(SIGKILL)));
  ASSERT_TRUE(supervisor_->ShutdownProcess(info.id, ShutdownMode::kClean).ok());
  Advance(1000ms);
  EXPECT_EQ(launcher_.spawn_count(), 1u);
  EXPECT_EQ(ReadRecord(*store_, info.instances[0])->state, "stopped");
}

TEST_F(SupervisorShutdown, UnknownTargetsAreRefused) {
  Make();
  EXPECT_EQ(supervisor_->Shutdown(0x00100042, ShutdownMode::kClean).code(),
            make_error_code(SupervisorErrc::kUnknownVa));
  EXPECT_EQ(supervisor_->ShutdownProcess("echo/0x00100042", ShutdownMode::kClean).code(),
            make_error_code(SupervisorErrc::kUnknownProcess));
}

TEST_F(SupervisorShutdown, StopAllEndsEveryProcessCallsDoneOnceAndStartsNothingMore) {
  Make();
  ProcessInfo a = Start(EchoApp(), 2);
  ProcessInfo b = Start(EchoApp(), 1);
  int done = 0;
  supervisor_->StopAll(ShutdownMode::kEmergency, [&] { ++done; });
  EXPECT_EQ(shutdowns_.size(), 3u);
  ASSERT_TRUE(launcher_.Exit(a.pid, ExitStatus::Killed(SIGKILL)));
  EXPECT_EQ(done, 0);
  ASSERT_TRUE(launcher_.Exit(b.pid, ExitStatus::Exited(0)));
  EXPECT_EQ(done, 1);
  Advance(60'000ms);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(launcher_.spawn_count(), 2u);
  EXPECT_EQ(supervisor_->StartProcess(EchoApp(), 1).code(),
            make_error_code(SupervisorErrc::kStopping));
}

TEST_F(SupervisorShutdown, StopAllWithNothingRunningIsDoneAtOnce) {
  Make();
  int done = 0;
  supervisor_->StopAll(ShutdownMode::kClean, [&] { ++done; });
  EXPECT_EQ(done, 1);
}

}  // namespace
}  // namespace dabs::farm::testing
