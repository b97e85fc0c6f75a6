// The keyring: its operations, its file, and what a keyring from the network must satisfy.
#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/keyring/keyring.h>

namespace dabs::keyring {
namespace {

namespace fs = std::filesystem;

mp::FarmKey Key(uint8_t fill) {
  std::array<uint8_t, 32> b;
  b.fill(fill);
  return mp::FarmKey::FromBytes(b);
}

TEST(KeyringTest, TheFirstKeyInstalledIsThePrimary) {
  auto k = Keyring{}.Install(Key(1), 1);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->primary, Key(1).id);
  EXPECT_EQ(k->version, 1u);
  EXPECT_TRUE(k->Validate().ok());
}

TEST(KeyringTest, ARotationInstallsUsesThenRemoves) {
  Keyring k = Keyring{}.Install(Key(1), 1).value();
  k = k.Install(Key(2), 2).value();
  EXPECT_EQ(k.primary, Key(1).id) << "installing adds an accepted key only";
  EXPECT_EQ(k.keys.size(), 2u);
  EXPECT_EQ(k.Remove(Key(1).id, 3).code(), Errc::kPrimary);
  k = k.Use(Key(2).id, 3).value();
  EXPECT_EQ(k.primary, Key(2).id);
  k = k.Remove(Key(1).id, 4).value();
  EXPECT_EQ(k.Ids(), std::vector<mp::FarmKeyId>{Key(2).id});
  EXPECT_EQ(k.version, 4u);
}

TEST(KeyringTest, OperationsOnKeysItDoesNotHoldAreRefused) {
  Keyring k = Keyring{}.Install(Key(1), 1).value();
  EXPECT_EQ(k.Use(Key(9).id, 2).code(), Errc::kUnknownKey);
  EXPECT_EQ(k.Remove(Key(9).id, 2).code(), Errc::kUnknownKey);
  mp::FarmKey clash = Key(2);
  clash.id = Key(1).id;  // a different key claiming the same id
  EXPECT_EQ(k.Install(clash, 2).code(), Errc::kConflict);
  EXPECT_EQ(k.Install(Key(1), 2).value().version, 1u) << "installing it again changes nothing";
}

TEST(KeyringTest, AKeyringHoldsAtMostEightKeys) {
  Keyring k;
  for (uint8_t i = 1; i <= kMaxKeys; ++i)
    k = k.Install(Key(i), i).value();
  EXPECT_EQ(k.Install(Key(100), 100).code(), Errc::kFull);
}

TEST(KeyringTest, TheFileRoundTripsAndAnythingElseIsRefused) {
  Keyring k = Keyring{}.Install(Key(1), 1).value().Install(Key(2), 7).value();
  auto back = Keyring::Parse(k.ToFileText());
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->primary, k.primary);
  EXPECT_EQ(back->Digest(), k.Digest());
  EXPECT_FALSE(Keyring::Parse("").ok());
  EXPECT_FALSE(Keyring::Parse("dabs-keyring 1\nversion 1\n").ok());
  std::string tampered = k.ToFileText();
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(Keyring::Parse(tampered).ok()) << "a key that no longer matches its id";
}

TEST(KeyringTest, TheNewerKeyringWinsThenTheGreaterDigest) {
  Keyring a = Keyring{}.Install(Key(1), 1).value();
  Keyring b = a.Install(Key(2), 2).value();
  EXPECT_TRUE(a.IsOlderThan(b));
  EXPECT_FALSE(b.IsOlderThan(a));
  Keyring c = a.Install(Key(3), 2).value();
  EXPECT_NE(b.IsOlderThan(c), c.IsOlderThan(b)) << "equal versions are ordered by digest";
  EXPECT_FALSE(b.IsOlderThan(b));
}

TEST(KeyringTest, ValidateRefusesWhatTheNetworkMustNotInstall) {
  Keyring k = Keyring{}.Install(Key(1), 1).value();
  Keyring none = k;
  none.keys.clear();
  EXPECT_FALSE(none.Validate().ok());
  Keyring bad_primary = k;
  bad_primary.primary = Key(5).id;
  EXPECT_FALSE(bad_primary.Validate().ok());
  Keyring mismatched = k;
  mismatched.keys[0].bytes[0] ^= 1;
  EXPECT_FALSE(mismatched.Validate().ok());
}

class KeyringFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dabs-keyring-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(KeyringFileTest, NoKeyringSaysHowToMakeOne) {
  auto k = LoadKeyring(dir_);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.code(), Errc::kNoKeyring);
  EXPECT_NE(k.error().detail.find("dabsctl keys generate"), std::string::npos);
}

TEST_F(KeyringFileTest, ASavedKeyringIsPrivateAndLoadsBack) {
  Keyring k = Keyring{}.Install(Key(1), 1).value();
  ASSERT_TRUE(SaveKeyring(dir_, k).ok());
  struct stat st {};
  ASSERT_EQ(::stat(KeyringPath(dir_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadKeyring(dir_).value().Digest(), k.Digest());
}

TEST_F(KeyringFileTest, TheWatchSeesEachNewKeyringOnce) {
  KeyringWatch watch(dir_);
  EXPECT_FALSE(watch.Poll().has_value());
  ASSERT_TRUE(SaveKeyring(dir_, Keyring{}.Install(Key(1), 1).value()).ok());
  auto first = watch.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(watch.Poll().has_value());
  ASSERT_TRUE(SaveKeyring(dir_, first->Install(Key(2), 2).value()).ok());
  auto second = watch.Poll();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->version, 2u);
}

}  // namespace
}  // namespace dabs::keyring
