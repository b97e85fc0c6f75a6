// Secret files: written private, refused when others could read them.
#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/mp/secret_file.h>

namespace dabs::mp {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dabs-secret-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecretFileTest, AWrittenSecretIsPrivateAndReadsBack) {
  const auto p = dir_ / "farm.key";
  ASSERT_TRUE(WriteSecretFile(p, "s3cr3t\n").ok());
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadSecretFile(p).value(), "s3cr3t\n");
}

TEST_F(SecretFileTest, AnExistingSecretIsReplacedOnlyWhenAsked) {
  const auto p = dir_ / "farm.key";
  ASSERT_TRUE(WriteSecretFile(p, "one").ok());
  EXPECT_FALSE(WriteSecretFile(p, "two").ok());
  EXPECT_EQ(ReadSecretFile(p).value(), "one");
  ASSERT_TRUE(WriteSecretFile(p, "two", true).ok());
  EXPECT_EQ(ReadSecretFile(p).value(), "two");
}

TEST_F(SecretFileTest, ASecretOthersCanReadIsRefusedWithTheFix) {
  const auto p = dir_ / "farm.key";
  ASSERT_TRUE(WriteSecretFile(p, "x").ok());
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto r = ReadSecretFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), CryptoErrc::kUnsafeFile);
  EXPECT_NE(r.error().detail.find("chmod 600"), std::string::npos) << r.error().detail;
}

TEST_F(SecretFileTest, AMissingOrLinkedSecretIsRefused) {
  EXPECT_EQ(ReadSecretFile(dir_ / "none").code(), CryptoErrc::kNoSuchFile);
  const auto p = dir_ / "farm.key";
  ASSERT_TRUE(WriteSecretFile(p, "x").ok());
  fs::create_symlink(p, dir_ / "link");
  EXPECT_FALSE(ReadSecretFile(dir_ / "link").ok()) << "a symbolic link could point anywhere";
}

TEST_F(SecretFileTest, ASecretOwnedBySomeoneElseIsRefused) {
  if (::geteuid() != 0) GTEST_FAIL() << "this test chowns a file: run it as root";
  const auto p = dir_ / "farm.key";
  ASSERT_TRUE(WriteSecretFile(p, "x").ok());
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  EXPECT_EQ(ReadSecretFile(p).code(), CryptoErrc::kUnsafeFile);
}

}  // namespace
}  // namespace dabs::mp
