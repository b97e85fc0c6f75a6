// ppv-dasp as operators and dabs-lbd run it: its command line, its refusals of a bad
// catalogue, --hash-pin, and durability: a purchase that was answered is in the ledger even
// when the process is killed (SIGKILL) right after.
#include <future>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dacp_testing.h"
#include "ledger.h"
#include "ppv_client.h"
#include "ppv_testing.h"

namespace dabs::ppv {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::vector<std::string> err;
};

// Runs ppv-dasp with `args` to its end.
Outcome RunDasp(const std::vector<std::string>& args, const testing::TempDir& dir) {
  const auto err_path = dir.path() / "stderr";
  std::filesystem::remove(err_path);
  std::vector<std::string> argv = {DABS_PPV_DASP};
  argv.insert(argv.end(), args.begin(), args.end());
  dabs::testing::Subprocess p(argv, err_path.string());
  Outcome r;
  while (auto line = p.ReadLine(10s))
    r.out += *line + "\n";
  const auto status = p.WaitFor(10s);
  r.exit_code = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  std::ifstream in(err_path);
  for (std::string line; std::getline(in, line);)
    r.err.push_back(line);
  return r;
}

TEST(PpvDasp, HelpShowsPpvsOptionsThenTheFrameworksAndExits0) {
  testing::TempDir dir;
  const Outcome r = RunDasp({"--help"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--catalogue FILE", "--ledger DIR", "--hash-pin", "--listen", "--lbd"})
    EXPECT_THAT(r.out, HasSubstr(option));
}

TEST(PpvDasp, BadArgumentsExit2WithOneLine) {
  testing::TempDir dir;
  const auto cat = testing::WriteCatalogue(dir).string();
  const std::string ledger = (dir.path() / "ledger").string();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--standalone", "--listen", "127.0.0.1:0", "--ledger", ledger},   // no catalogue
           {"--catalogue", cat, "--standalone", "--listen", "127.0.0.1:0"},   // no ledger
           {"--catalogue", cat, "--ledger"},                                  // no value
           {"--catalogue", cat, "--ledger", ledger, "--ledger-map-mb", "8"},  // out of range
           {"--catalogue", cat, "--ledgers", ledger},                         // unknown
       }) {
    const Outcome r = RunDasp(args, dir);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    ASSERT_EQ(r.err.size(), 1u) << args.back();
    EXPECT_THAT(r.err[0], StartsWith("ppv-dasp: "));
  }
}

TEST(PpvDasp, ABadCatalogueIsRefusedWithFileLineAndColumnAndNothingStarts) {
  testing::TempDir dir;
  const auto cat = dir.path() / "bad.yaml";
  std::ofstream(cat) << "events:\n  - {id: 1, title: x, channel: 0, start: 2030-01-01T00:00:00Z,\n"
                        "     end: 2030-01-01T01:00:00Z, price_cents: 1}\nsubscribers: []\n";
  const Outcome r = RunDasp({"--catalogue", cat.string(), "--ledger", (dir.path() / "l").string(),
                             "--standalone", "--listen", "127.0.0.1:0"},
                            dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());  // no "listening" line
  ASSERT_EQ(r.err.size(), 2u);
  EXPECT_THAT(
      r.err[0],
      HasSubstr(
          "bad.yaml:2:32: events[0].channel: expected a whole number from 1 to 65535, got '0'"));
  EXPECT_THAT(r.err[1], HasSubstr("is not a valid catalogue"));
}

TEST(PpvDasp, HashPinPrintsAHashTheCatalogueTakes) {
  testing::TempDir dir;
  dabs::testing::Subprocess p(
      {"/bin/sh", "-c", std::string("echo 2468 | ") + DABS_PPV_DASP + " --hash-pin"});
  auto line = p.ReadLine(20s);
  ASSERT_TRUE(line);
  auto h = ParsePinHash(*line);
  ASSERT_TRUE(h.ok()) << *line;
  EXPECT_EQ(h->iterations, kDefaultPinIterations);
  EXPECT_TRUE(VerifyPin(*h, "2468"));
  EXPECT_EQ(RunDasp({"--hash-pin"}, dir).exit_code, 2);  // no PIN on standard input
}

// Every purchase the client saw answered is in the ledger after a SIGKILL: the reply is sent
// only once the transaction committed.
TEST(PpvDasp, EveryAnsweredPurchaseSurvivesAKill9) {
  testing::TempDir dir;
  const auto ledger_dir = dir.path() / "ledger";
  dacp::testing::StandaloneDasp dasp(
      DABS_PPV_DASP,
      {"--catalogue", testing::WriteCatalogue(dir).string(), "--ledger", ledger_dir.string()});
  ASSERT_TRUE(dasp.listening());
  mp::IoThreads io(2);
  auto gateway = dacp::testing::LoopbackGateway(io.io());
  auto client = dacp::Client::Create(gateway->TakeSeat().value(),
                                     dacp::testing::Config(kAppName, dasp.endpoint()));
  auto ppv = PpvClient::Create(client);
  std::vector<PurchaseRecord> answered;
  for (uint32_t event = 1; event <= 20; ++event) {
    std::promise<Result<BuyResult>> p;
    ppv->Buy(event, testing::kPin, [&p](Result<BuyResult> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    ASSERT_TRUE(r.ok()) << r.error().Message();
    ASSERT_EQ(r->reply.status, PpvStatus::kOk);
    answered.push_back(*r->reply.record);
  }
  dasp.Kill();  // SIGKILL the moment the last answer came
  auto ledger = Ledger::Open({ledger_dir}, PinPolicy{}).value();
  std::vector<PurchaseRecord> stored;
  ASSERT_TRUE(ledger
                  ->ForEach([&](std::string_view sub, const PurchaseRecord& r) {
                    EXPECT_EQ(sub, client->config().client_id);
                    stored.push_back(r);
                  })
                  .ok());
  auto by_event = [](const PurchaseRecord& a, const PurchaseRecord& b) {
    return a.event_id < b.event_id;
  };
  std::sort(stored.begin(), stored.end(), by_event);
  EXPECT_EQ(stored, answered);
}

}  // namespace
}  // namespace dabs::ppv
