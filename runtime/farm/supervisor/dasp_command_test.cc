#include <gtest/gtest.h>

#include <dabs/farm/dasp_command.h>
#include <dabs/farm/supervisor_errc.h>

namespace dabs::farm {
namespace {

config::AppEntry Calculator() {
  config::AppEntry app;
  app.name = "calculator";
  app.dasp = "/opt/dabs/bin/calculator-dasp";
  app.args = {"--workers", "2"};
  app.limits.instance_sessions = 500;
  app.timers.read_timeout = std::chrono::milliseconds(120);
  app.timers.backlog_reads = 32;
  app.timers.lock_timeout = std::chrono::milliseconds(40);
  app.timers.write_timeout = std::chrono::milliseconds(250);
  app.encryption = "required";
  return app;
}

TEST(DaspCommand, ArgvIsTheFrameworksCommandLineWithOneInstanceFlagPerVa) {
  DaspCommandContext context{"/run/dabs/s1", "s1", "10.0.0.7", {"--high-water-ms", "300"}};
  const mp::Va vas[] = {0x00100001, 0x00100002};
  auto argv = DaspArgv(Calculator(), vas, context);
  ASSERT_TRUE(argv) << argv.error().Message();
  const std::vector<std::string> expected = {
      "/opt/dabs/bin/calculator-dasp",
      "--workers",
      "2",
      "--app",
      "calculator",
      "--lbd",
      "unix:/run/dabs/s1/lbd.sock",
      "--server-id",
      "s1",
      "--instance",
      "0x00100001@10.0.0.7:0@/run/dabs/s1/dasp-0x00100001.sock",
      "--instance",
      "0x00100002@10.0.0.7:0@/run/dabs/s1/dasp-0x00100002.sock",
      "--max-sessions",
      "500",
      "--read-timeout-ms",
      "120",
      "--backlog-reads",
      "32",
      "--lock-timeout-ms",
      "40",
      "--write-timeout-ms",
      "250",
      "--encryption",
      "required",
      "--high-water-ms",
      "300"};
  EXPECT_EQ(*argv, expected);
}

TEST(DaspCommand, ArgvNeedsAnInstanceAndSocketPathsThatFitSockaddrUn) {
  DaspCommandContext context{"/run/dabs/s1", "s1", "127.0.0.1", {}};
  auto none = DaspArgv(Calculator(), {}, context);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.code(), make_error_code(SupervisorErrc::kInvalidArgument));

  context.state_dir = "/" + std::string(100, 'd');
  const mp::Va vas[] = {0x00100001};
  auto too_long = DaspArgv(Calculator(), vas, context);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.code(), make_error_code(SupervisorErrc::kInvalidArgument));
}

TEST(DaspCommand, ControlSocketIsNamedByTheVaInEightHexDigits) {
  EXPECT_EQ(ControlSocketPath("/s", 0x00a0000f), "/s/dasp-0x00a0000f.sock");
  EXPECT_EQ(LbdSocketPath("/s"), "/s/lbd.sock");
}

TEST(DaspCommand, FarmArgsCarryTheLatencyMarksAndMpSettings) {
  config::FarmConfig farm;
  farm.high_water_ms = 400;
  farm.low_water_ms = 200;
  farm.max_transmissions = 4;
  farm.initial_rto = std::chrono::milliseconds(100);
  farm.max_message_bytes = 65536;
  const std::vector<std::string> expected = {
      "--high-water-ms",  "400", "--low-water-ms",      "200",  "--max-transmissions", "4",
      "--initial-rto-ms", "100", "--max-message-bytes", "65536"};
  EXPECT_EQ(FarmDaspArgs(farm), expected);
}

TEST(DaspCommand, FarmArgsCarryTheIdentityKeyWhenTheFarmHasOne) {
  config::FarmConfig farm;
  farm.identity_key = "/etc/dabs/farm.key";
  const auto args = FarmDaspArgs(farm);
  ASSERT_GE(args.size(), 2u);
  EXPECT_EQ(args[args.size() - 2], "--identity-key");
  EXPECT_EQ(args.back(), "/etc/dabs/farm.key");
}

}  // namespace
}  // namespace dabs::farm
