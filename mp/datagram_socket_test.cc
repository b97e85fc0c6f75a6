// Local sockets against another local user: what the kernel's credentials let through, the
// socket file's mode, and the counter the daemons read. Real sockets and a child process
// that becomes "nobody" (the tests need root and skip without it).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/mp/header.h>
#include <dabs/mp/node.h>
#include <dabs/mp/testing/other_user.h>

namespace dabs::mp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::kNobody;

constexpr uint16_t kCommand = 0x0100;

// A directory others may enter (0755) with a sticky, world-writable corner for the other
// user's own socket, so that only the socket itself decides who gets through.
class LocalSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::CanSwitchUser()) GTEST_SKIP() << "needs root to send as another user";
    dir_ = fs::temp_directory_path() / ("dabs-local-cred-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "others");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(dir_ / "others", fs::perms::all | fs::perms::sticky_bit);
  }
  void TearDown() override {
    node_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // A node on DIR/server.sock that records what is delivered to it.
  void StartNode(std::vector<uid_t> allowed = {}) {
    NodeConfig c;
    c.local_path = path();
    c.local_allowed_uids = std::move(allowed);
    NodeCallbacks cb;
    cb.on_message = [this](Message&& m) {
      std::lock_guard lock(mu_);
      delivered_.push_back(m.header.command);
    };
    auto node = Node::Create(threads_.io(), c, cb);
    ASSERT_TRUE(node.ok()) << node.error().Message();
    node_ = std::move(*node);
  }

  std::string path() const { return (dir_ / "server.sock").string(); }
  // Lets the other user past the file's mode, as a loosened mode (or the moment between bind
  // and chmod) would: what remains is the credentials check.
  void OpenFileToOthers() { fs::permissions(path(), fs::perms::all); }

  // The same MP datagram every sender sends (a one-way message on session 0).
  static std::vector<uint8_t> Datagram(uint8_t transaction) {
    Header h;
    h.command = kCommand;
    h.transaction = transaction;
    h.crc = true;
    std::vector<uint8_t> out(512);
    const std::vector<uint8_t> payload = {1, 2, 3};
    out.resize(EncodeDatagram(h, payload, out).value());
    return out;
  }
  int SendAsNobody(const std::vector<uint8_t>& bytes) {
    return testing::SendAsUser(kNobody, path(), (dir_ / "others" / "nobody.sock").string(), bytes);
  }
  int SendAsUs(const std::vector<uint8_t>& bytes) {
    return testing::SendAsUser(::geteuid(), path(), (dir_ / "us.sock").string(), bytes);
  }

  // Waits until `done()` holds or two seconds have passed.
  static bool WaitUntil(const std::function<bool()>& done) {
    for (auto deadline = std::chrono::steady_clock::now() + 2s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(2ms)) {
      if (done()) return true;
    }
    return done();
  }
  uint64_t Refused() const { return node_->Stats().local_refused; }
  size_t Delivered() {
    std::lock_guard lock(mu_);
    return delivered_.size();
  }

  IoThreads threads_{1};
  fs::path dir_;
  std::unique_ptr<Node> node_;
  std::mutex mu_;
  std::vector<uint16_t> delivered_;
};

TEST_F(LocalSocketTest, IsBoundWithMode0600SoAnotherUserCannotSend) {
  StartNode();
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(SendAsNobody(Datagram(1)), EACCES);
}

TEST_F(LocalSocketTest, DatagramFromAnotherUserIsDroppedAndCountedOursIsDelivered) {
  StartNode();
  OpenFileToOthers();
  const auto bytes = Datagram(7);
  ASSERT_EQ(SendAsNobody(bytes), 0) << "the kernel took it: the node must refuse it";
  ASSERT_TRUE(WaitUntil([&] { return Refused() == 1; }));
  EXPECT_EQ(Delivered(), 0u);

  ASSERT_EQ(SendAsUs(bytes), 0);
  EXPECT_TRUE(WaitUntil([&] { return Delivered() == 1; }))
      << "the same datagram from our own user is taken";
  EXPECT_EQ(Refused(), 1u);
}

TEST_F(LocalSocketTest, ConfiguredUsersReplaceTheDefault) {
  StartNode({kNobody});  // root and our own user are no longer in the list
  OpenFileToOthers();
  ASSERT_EQ(SendAsUs(Datagram(1)), 0);
  ASSERT_TRUE(WaitUntil([&] { return Refused() == 1; }));
  ASSERT_EQ(SendAsNobody(Datagram(2)), 0);
  EXPECT_TRUE(WaitUntil([&] { return Delivered() == 1; }));
  EXPECT_EQ(Refused(), 1u);
}

TEST_F(LocalSocketTest, AFloodFromAnotherUserIsAllRefusedInBatches) {
  StartNode();
  OpenFileToOthers();
  const auto bytes = Datagram(3);
  // One child sends 200 datagrams as fast as the socket takes them (recvmmsg batches).
  const std::string to = path();
  sockaddr_un dst{};
  ASSERT_TRUE(testing::ToUnixAddress(to, dst));
  const int rc = testing::RunAsUser(kNobody, [&]() -> int {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < 200;) {
      if (::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&dst),
                   sizeof dst) >= 0) {
        ++i;
      } else if (errno != EAGAIN) {
        return errno;
      }
    }
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(WaitUntil([&] { return Refused() == 200; })) << Refused();
  EXPECT_EQ(Delivered(), 0u);
}

}  // namespace
}  // namespace dabs::mp
