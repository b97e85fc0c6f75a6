// The attack on an instance's control socket (D24: the runtime's commands come over it
// only): another local user sends SHUTDOWN to it. The socket file is 0600, and even when
// its mode is loosened the datagram is dropped for its sender's uid, while the same
// SHUTDOWN from dabs-lbd's user stops the instance. Needs root to become "nobody".
#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <dabs/dasp/instance.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/header.h>
#include <dabs/mp/testing/other_user.h>

#include "dasp_testing.h"

namespace dabs::dasp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mp::testing::kNobody;

class Idle : public Server {
 public:
  void OnMessage(Session&, Request& request) override { (void)request.Reply({}); }
};

// A state directory others may enter (as if its mode had been loosened), and a corner of it
// where the other user may bind its own socket.
class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!mp::testing::CanSwitchUser()) GTEST_SKIP() << "needs root to send as another user";
    dir_ = fs::temp_directory_path() / ("dasp-control-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "others");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_exec);
    fs::permissions(dir_ / "others", fs::perms::all | fs::perms::sticky_bit);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::vector<uint8_t> ShutdownDatagram(mp::Va va) const {
    mp::Header h;
    h.command = mp::wire::kShutdown;
    h.session = mp::wire::kOpeningSession;
    h.transaction = 9;
    h.va = va;
    h.crc = true;
    std::vector<uint8_t> out(512);
    out.resize(mp::EncodeDatagram(h, mp::EncodeU8(mp::wire::kShutdownEmergency), out).value());
    return out;
  }

  fs::path dir_;
};

TEST_F(ControlSocketTest, ShutdownFromAnotherUserIsDroppedTheSameFromLbdsUserStops) {
  mp::IoThreads io(2);
  testing::FakeLbd lbd(io.io());
  auto c = testing::Standalone();
  c.lbd = lbd.endpoint();
  c.control = (dir_ / "dasp-0x00100001.sock").string();
  auto created = Instance::Create(io.io(), c, std::make_unique<Idle>());
  ASSERT_TRUE(created.ok()) << created.error().Message();
  auto& instance = *created;
  instance->Start();
  ASSERT_TRUE(
      lbd.WaitFor([](const mp::Message& m) { return m.header.command == mp::wire::kStarted; }));

  struct stat st {};
  ASSERT_EQ(::stat(c.control.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "the control socket is the daemons' user's alone";
  const auto shutdown = ShutdownDatagram(c.va);
  EXPECT_EQ(mp::testing::SendAsUser(kNobody, c.control, {}, shutdown), EACCES);

  fs::permissions(c.control, fs::perms::all);  // past the file's mode: the uid check remains
  ASSERT_EQ(
      mp::testing::SendAsUser(kNobody, c.control, (dir_ / "others" / "x.sock").string(), shutdown),
      0);
  // One socket's datagrams are taken in order: once a later request from lbd's user is
  // answered, the SHUTDOWN before it has been dealt with.
  ASSERT_TRUE(
      lbd.node().SendSync(mp::Endpoint::Local(c.control), 0, mp::wire::kStatus, c.va, {}).ok());
  EXPECT_EQ(instance->state(), mp::wire::DaspState::kReady);
  EXPECT_EQ(lbd.Count(mp::wire::kErrorReport), 0u);

  // The very same bytes from dabs-lbd's user (ours) are obeyed.
  ASSERT_EQ(
      mp::testing::SendAsUser(::geteuid(), c.control, (dir_ / "lbd2.sock").string(), shutdown), 0);
  EXPECT_TRUE(lbd.WaitForState(mp::StateReason::kShutdown));
  EXPECT_NE(instance->state(), mp::wire::DaspState::kReady);
}

}  // namespace
}  // namespace dabs::dasp
