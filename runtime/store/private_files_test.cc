// The state directory's modes: what the helpers create, what they tighten and what they
// refuse to touch, and the store's files as another local user finds them.
#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/mp/testing/other_user.h>
#include <dabs/store/errc.h>
#include <dabs/store/private_files.h>
#include <dabs/store/store.h>

#include "store_testing.h"

namespace dabs::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

void Touch(const fs::path& p, mode_t mode) {
  std::ofstream(p) << "x";
  ::chmod(p.c_str(), mode);
}

// The umask of the daemons' environment must not matter: 0 lets everything through.
class PrivateFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { old_umask_ = ::umask(0); }
  void TearDown() override { ::umask(old_umask_); }
  TempDir tmp_;
  mode_t old_umask_ = 0;
};

TEST_F(PrivateFilesTest, AMissingDirectoryAndItsParentsAreCreated0700) {
  const fs::path dir = tmp_.path() / "farm" / "s1";
  auto made = EnsurePrivateDirectory(dir, "store");
  ASSERT_TRUE(made.ok()) << made.error().Message();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->tightened_from, 0u);
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(tmp_.path() / "farm"), 0700u);
}

TEST_F(PrivateFilesTest, OurDirectoryHoldingTheMarkerIsTightened) {
  const fs::path dir = tmp_.path() / "state";
  fs::create_directories(dir / "store");
  ::chmod(dir.c_str(), 0755);
  auto made = EnsurePrivateDirectory(dir, "store");
  ASSERT_TRUE(made.ok()) << made.error().Message();
  EXPECT_FALSE(made->created);
  EXPECT_EQ(made->tightened_from, 0755u);
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST_F(PrivateFilesTest, OurEmptyDirectoryIsTightened) {
  const fs::path dir = tmp_.path() / "state";
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0775);
  ASSERT_TRUE(EnsurePrivateDirectory(dir, "store").ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST_F(PrivateFilesTest, ADirectoryInsideOurPrivateOneIsTightenedWhateverItHolds) {
  const fs::path logs = tmp_.path() / "logs";  // tmp_ is 0700, as DIR is for DIR/logs
  fs::create_directories(logs);
  Touch(logs / "echo-0x00100001.log", 0600);  // left by an older build
  ::chmod(logs.c_str(), 0755);
  auto made = EnsurePrivateDirectory(logs, "");
  ASSERT_TRUE(made.ok()) << made.error().Message();
  EXPECT_EQ(ModeOf(logs), 0700u);
}

TEST_F(PrivateFilesTest, ADirectoryHoldingOtherFilesIsRefusedAndLeftAlone) {
  ::chmod(tmp_.path().c_str(), 0755);         // a parent others may enter, as /home is
  const fs::path dir = tmp_.path() / "home";  // as if --state-dir named someone's home
  fs::create_directories(dir);
  Touch(dir / "notes.txt", 0644);
  ::chmod(dir.c_str(), 0755);
  auto made = EnsurePrivateDirectory(dir, "store");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.code(), Errc::kUnsafePermissions);
  EXPECT_NE(made.error().detail.find("chmod 700 " + dir.string()), std::string::npos)
      << made.error().detail;
  EXPECT_EQ(ModeOf(dir), 0755u);
}

TEST_F(PrivateFilesTest, AStickySharedDirectoryIsRefusedEvenEmpty) {
  const fs::path dir = tmp_.path() / "tmp";  // as if --state-dir /tmp
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 01777);
  EXPECT_EQ(EnsurePrivateDirectory(dir, "store").code(), Errc::kUnsafePermissions);
  EXPECT_EQ(ModeOf(dir), 01777u);
}

TEST_F(PrivateFilesTest, AnotherUsersOpenDirectoryIsRefused) {
  if (!mp::testing::CanSwitchUser()) GTEST_SKIP() << "needs root to chown";
  const fs::path dir = tmp_.path() / "theirs";
  fs::create_directories(dir);
  ASSERT_EQ(::chown(dir.c_str(), mp::testing::kNobody, mp::testing::kNobody), 0);
  ::chmod(dir.c_str(), 0755);
  auto made = EnsurePrivateDirectory(dir, "store");
  EXPECT_EQ(made.code(), Errc::kUnsafePermissions);
  EXPECT_EQ(ModeOf(dir), 0755u);
}

TEST_F(PrivateFilesTest, AnOlderFileOfOursLosesGroupAndOtherAccessAnotherUsersIsLeft) {
  Touch(tmp_.path() / "old.log", 0644);
  ASSERT_TRUE(TightenPrivateFile(tmp_.path() / "old.log").ok());
  EXPECT_EQ(ModeOf(tmp_.path() / "old.log"), 0600u);
  EXPECT_TRUE(TightenPrivateFile(tmp_.path() / "missing.log").ok());
  if (!mp::testing::CanSwitchUser()) return;
  Touch(tmp_.path() / "theirs.log", 0644);
  ASSERT_EQ(::chown((tmp_.path() / "theirs.log").c_str(), mp::testing::kNobody, 0), 0);
  EXPECT_TRUE(TightenPrivateFile(tmp_.path() / "theirs.log").ok());
  EXPECT_EQ(ModeOf(tmp_.path() / "theirs.log"), 0644u);
}

TEST_F(PrivateFilesTest, AWrittenFileIs0600EvenOverAnOpenTemporary) {
  const fs::path file = tmp_.path() / "farm.json";
  Touch(file.string() + ".tmp", 0666);  // left by a killed writer of an older build
  ASSERT_TRUE(WritePrivateFile(file, "{\"ready\": true}\n").ok());
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "{\"ready\": true}\n");
}

TEST_F(PrivateFilesTest, TheStoreIsADirectory0700WithFiles0600) {
  auto store = Store::Open(tmp_.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  EXPECT_EQ(ModeOf(tmp_.store()), 0700u);
  EXPECT_EQ(ModeOf(tmp_.store() / "data.mdb"), 0600u);
  EXPECT_EQ(ModeOf(tmp_.store() / "lock.mdb"), 0600u);
}

TEST_F(PrivateFilesTest, AStoreAnOlderBuildLeftOpenIsTightenedOnOpen) {
  { ASSERT_TRUE(Store::Open(tmp_.store()).ok()); }
  ::chmod(tmp_.store().c_str(), 0755);
  ::chmod((tmp_.store() / "data.mdb").c_str(), 0644);
  ::chmod((tmp_.store() / "lock.mdb").c_str(), 0644);
  auto store = Store::Open(tmp_.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  EXPECT_EQ(ModeOf(tmp_.store()), 0700u);
  EXPECT_EQ(ModeOf(tmp_.store() / "data.mdb"), 0600u);
  EXPECT_EQ(ModeOf(tmp_.store() / "lock.mdb"), 0600u);
}

// The attack: another local user tries to read the store, even with the way to it open.
TEST_F(PrivateFilesTest, AnotherUserCannotReadTheStore) {
  if (!mp::testing::CanSwitchUser()) GTEST_SKIP() << "needs root to become another user";
  auto store = Store::Open(tmp_.store());
  ASSERT_TRUE(store.ok()) << store.error().Message();
  ::chmod(tmp_.path().c_str(), 0755);
  const std::string dir = tmp_.store().string(), data = (tmp_.store() / "data.mdb").string();
  auto open_as_nobody = [](const std::string& path) {
    return mp::testing::RunAsUser(mp::testing::kNobody, [&]() -> int {
      return ::open(path.c_str(), O_RDONLY | O_CLOEXEC) >= 0 ? 0 : errno;
    });
  };
  EXPECT_EQ(open_as_nobody(dir), EACCES);  // the directory keeps it out
  ::chmod(dir.c_str(), 0755);              // and were it opened, the file itself
  EXPECT_EQ(open_as_nobody(data), EACCES);
}

}  // namespace
}  // namespace dabs::store
