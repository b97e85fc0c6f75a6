// A dabs-lbd restart: records against running processes; start_at_init.
#include <csignal>

#include "supervisor_testing.h"

namespace dabs::farm::testing {
namespace {

class SupervisorReconcile : public SupervisorTest {
 protected:
  // The farm as the restarted dabs-lbd loads it.
  config::FarmConfig Farm(uint32_t start_at_init, uint32_t instances_per_process = 2) {
    config::FarmConfig farm;
    farm.apps.push_back(EchoApp(instances_per_process, start_at_init));
    return farm;
  }

  // A process the previous dabs-lbd started and recorded; its argv as that one built it.
  ProcessInfo PreviousLife(uint32_t instances, bool still_running) {
    Make();
    ProcessInfo info = Start(EchoApp(), instances);
    const auto argv = launcher_.last_spawned()->request.argv;
    supervisor_.reset();                                           // dabs-lbd is killed ...
    EXPECT_TRUE(launcher_.Exit(info.pid, ExitStatus::Unknown()));  // ... its watch with it
    if (still_running) launcher_.AddForeign(info.pid, argv);       // the DASP lives on
    Make();                                                        // ... and started again
    return info;
  }
};

TEST_F(SupervisorReconcile, ALiveDaspIsAdoptedWithItsPidAndNotStartedAgain) {
  ProcessInfo before = PreviousLife(2, /*still_running=*/true);
  ASSERT_TRUE(supervisor_->OnStarted(before.instances[0], "127.0.0.1:40001", "").ok());

  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/2));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_EQ(report->adopted, std::vector<std::string>{before.id});
  EXPECT_TRUE(report->stopped.empty());
  EXPECT_EQ(report->started, 0u);
  EXPECT_EQ(launcher_.spawn_count(), 1u);
  EXPECT_EQ(launcher_.adopted(), std::vector<pid_t>{before.pid});
  EXPECT_EQ(PidOf(before.id), before.pid);
  auto r = ReadRecord(*store_, before.instances[0]);
  EXPECT_EQ(r->pid, before.pid);
  EXPECT_EQ(r->state, "ready");
  EXPECT_EQ(r->udp, "127.0.0.1:40001");

  // It is watched again: when it dies it is restarted.
  ASSERT_TRUE(launcher_.Exit(before.pid, ExitStatus::Unknown()));
  EXPECT_EQ(NextIn(), 50ms);
  Advance(50ms);
  EXPECT_EQ(launcher_.spawn_count(), 2u);
  EXPECT_EQ(ReadRecord(*store_, before.instances[1])->restarts, 1u);
}

TEST_F(SupervisorReconcile, AnInstanceThatReportedFailedIsAdoptedWhileItsProcessRuns) {
  ProcessInfo before = PreviousLife(1, /*still_running=*/true);
  ASSERT_TRUE(supervisor_->OnState(before.instances[0], mp::wire::DaspState::kFailed, 0).ok());
  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/1));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_EQ(report->adopted, std::vector<std::string>{before.id});
  EXPECT_EQ(report->started, 0u) << "a second process with the same VA";
  EXPECT_EQ(launcher_.spawn_count(), 1u);
}

TEST_F(SupervisorReconcile, ADeadDaspsRecordsBecomeStopped) {
  ProcessInfo before = PreviousLife(2, /*still_running=*/false);
  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/0));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_EQ(report->stopped, std::vector<std::string>{before.id});
  EXPECT_TRUE(report->adopted.empty());
  EXPECT_EQ(launcher_.spawn_count(), 1u);
  for (mp::Va va : before.instances) {
    auto r = ReadRecord(*store_, va);
    EXPECT_EQ(r->state, "stopped");
    EXPECT_EQ(r->pid, 0);
  }
  EXPECT_FALSE(supervisor_->Process(before.id));
}

TEST_F(SupervisorReconcile, ADeadStartAtInitDaspIsStartedAgainWithItsVas) {
  ProcessInfo before = PreviousLife(2, /*still_running=*/false);
  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/2));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_EQ(report->stopped, std::vector<std::string>{before.id});
  EXPECT_EQ(report->started, 2u);
  ASSERT_EQ(launcher_.spawn_count(), 2u);
  const pid_t pid = launcher_.last_spawned()->pid;
  EXPECT_NE(pid, before.pid);
  EXPECT_EQ(PidOf(before.id), pid);
  for (mp::Va va : before.instances) {
    auto r = ReadRecord(*store_, va);
    EXPECT_EQ(r->state, "starting");
    EXPECT_EQ(r->pid, pid);
    EXPECT_EQ(r->restarts, 1u);
  }
  EXPECT_EQ(next_counter_, 3u) << "new VAs were allocated instead of the recorded ones";
}

TEST_F(SupervisorReconcile, AStrangerThatReusedThePidIsNotAdopted) {
  ProcessInfo before = PreviousLife(1, /*still_running=*/false);
  launcher_.AddForeign(before.pid, {"/usr/bin/vim", "notes.txt"});
  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/0));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_TRUE(report->adopted.empty());
  EXPECT_EQ(report->stopped, std::vector<std::string>{before.id});
  EXPECT_EQ(ReadRecord(*store_, before.instances[0])->state, "stopped");
}

TEST_F(SupervisorReconcile, AnotherServersDaspOfTheSamePidIsNotAdopted) {
  ProcessInfo before = PreviousLife(1, /*still_running=*/false);
  // Same executable, same VA, but another server's state directory.
  launcher_.AddForeign(before.pid, {"/opt/dabs/bin/echo-dasp", "--instance",
                                    "0x00100001@127.0.0.1:0@/run/s2/dasp-0x00100001.sock"});
  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/0));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_TRUE(report->adopted.empty());
}

TEST_F(SupervisorReconcile, RecordsOfOtherServersAndHistoryAreLeftAlone) {
  store::DaspRecord other;
  other.va = mp::MakeVa(2, 1);
  other.app = "echo";
  other.server = "s2";
  other.pid = 4242;
  other.state = "ready";
  other.process = "echo/0x00200001";
  ASSERT_TRUE(WriteRecord(*store_, other).ok());
  store::DaspRecord old;
  old.va = mp::MakeVa(1, 9);
  old.app = "echo";
  old.server = "s1";
  old.state = "stopped";
  old.process = "echo/0x00100009";
  ASSERT_TRUE(WriteRecord(*store_, old).ok());
  Make();

  auto report = supervisor_->Reconcile(Farm(/*start_at_init=*/0));
  ASSERT_TRUE(report) << report.error().Message();
  EXPECT_TRUE(report->adopted.empty());
  EXPECT_TRUE(report->stopped.empty());
  EXPECT_EQ(ReadRecord(*store_, other.va)->state, "ready");
  EXPECT_EQ(ReadRecord(*store_, other.va)->pid, 4242);
}

TEST_F(SupervisorReconcile, EnsureAtInitGroupsInstancesPerProcessAndIsIdempotent) {
  Make();
  auto started = supervisor_->EnsureAtInit(Farm(/*start_at_init=*/5, /*per_process=*/2));
  ASSERT_TRUE(started) << started.error().Message();
  EXPECT_EQ(*started, 5u);
  auto spawned = launcher_.spawned();
  ASSERT_EQ(spawned.size(), 3u);
  EXPECT_EQ(Count(spawned[0].request.argv, "--instance"), 2);
  EXPECT_EQ(Count(spawned[1].request.argv, "--instance"), 2);
  EXPECT_EQ(Count(spawned[2].request.argv, "--instance"), 1);

  auto again = supervisor_->EnsureAtInit(Farm(5, 2));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(launcher_.spawn_count(), 3u);
}

TEST_F(SupervisorReconcile, EnsureAtInitSkipsAppsWhoseSubGroupLeavesThisServerOut) {
  Make();
  config::FarmConfig farm = Farm(3);
  farm.apps[0].servers = {"s2", "s3"};
  auto started = supervisor_->EnsureAtInit(farm);
  ASSERT_TRUE(started);
  EXPECT_EQ(*started, 0u);
  EXPECT_EQ(launcher_.spawn_count(), 0u);
}

TEST_F(SupervisorReconcile, EnsureAtInitStopsNothing) {
  Make();
  Start(EchoApp(), 2);
  Start(EchoApp(), 2);
  auto started = supervisor_->EnsureAtInit(Farm(/*start_at_init=*/1));
  ASSERT_TRUE(started);
  EXPECT_EQ(*started, 0u);
  EXPECT_TRUE(launcher_.signals().empty());
  EXPECT_TRUE(shutdowns_.empty());
  EXPECT_EQ(supervisor_->Processes().size(), 2u);
}

}  // namespace
}  // namespace dabs::farm::testing
