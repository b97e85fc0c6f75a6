// Password hashes: the format dabsctl passwd writes and the GUI's login checks.
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/auth/password.h>

namespace dabs::auth {
namespace {

// Tests hash with the minimum count: the default takes a tenth of a second per hash.
std::string FastHash(std::string_view password) {
  auto h = HashPassword(password, kMinIterations);
  EXPECT_TRUE(h.ok()) << h.error().Message();
  return h.ok() ? *h : std::string();
}

TEST(Password, AHashHasTheDocumentedFormatWithTheDefaultCount) {
  auto h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok());
  const std::string& s = *h;
  EXPECT_EQ(s.rfind("pbkdf2-sha256$600000$", 0), 0u) << s;
  // 16 bytes of salt and 32 of key, base64 with padding.
  const auto salt_at = s.find('$', 14) + 1;
  const auto key_at = s.find('$', salt_at) + 1;
  EXPECT_EQ(key_at - salt_at - 1, 24u) << s;
  EXPECT_EQ(s.size() - key_at, 44u) << s;
  EXPECT_TRUE(VerifyPassword("correct horse", s));
}

TEST(Password, TheRightPasswordVerifiesAndAnyOtherDoesNot) {
  const std::string h = FastHash("s3cret");
  EXPECT_TRUE(VerifyPassword("s3cret", h));
  EXPECT_FALSE(VerifyPassword("s3cret ", h));
  EXPECT_FALSE(VerifyPassword("S3cret", h));
  EXPECT_FALSE(VerifyPassword("", h));
}

TEST(Password, EveryHashHasItsOwnSalt) {
  std::set<std::string> hashes;
  for (int i = 0; i < 8; ++i)
    hashes.insert(FastHash("same"));
  EXPECT_EQ(hashes.size(), 8u);
}

TEST(Password, AnEmptyPasswordHashesAndVerifiesLikeAnyOther) {
  const std::string h = FastHash("");
  EXPECT_TRUE(VerifyPassword("", h));
  EXPECT_FALSE(VerifyPassword("x", h));
}

TEST(Password, AHashFromAnotherToolWithTheSameParametersVerifies) {
  // Python: hashlib.pbkdf2_hmac('sha256', b'password', b'saltsaltsaltsalt', 1000)
  EXPECT_TRUE(VerifyPassword("password",
                             "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$"
                             "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA="));
}

TEST(Password, IterationCountsOutOfBoundsAreRefusedWhenHashing) {
  EXPECT_FALSE(HashPassword("x", kMinIterations - 1).ok());
  EXPECT_FALSE(HashPassword("x", kMaxIterations + 1).ok());
  EXPECT_FALSE(HashPassword(std::string(kMaxPasswordBytes + 1, 'x'), kMinIterations).ok());
}

TEST(Password, MalformedHashesAreFalseNeverACrash) {
  const std::string good = FastHash("pw");
  const auto cut = good.rfind('$');
  for (const std::string& bad : std::vector<std::string>{
           std::string(), std::string("$$$"), std::string("pbkdf2-sha256"),
           std::string("pbkdf2-sha1$1000$c2FsdA==$c2FsdA=="),
           "pbkdf2-sha256$999$" + good.substr(good.find('$', 14) + 1),  // too few rounds
           "pbkdf2-sha256$99999999999$" + good.substr(good.find('$', 14) + 1),
           "pbkdf2-sha256$01000$" + good.substr(good.find('$', 14) + 1),  // leading zero
           "pbkdf2-sha256$1000x$" + good.substr(good.find('$', 14) + 1),
           good.substr(0, cut),               // no key
           good + "$extra",                   // a fifth part
           good.substr(0, cut + 1) + "AAAA",  // a 3-byte key
           good.substr(0, cut + 1) + "not base64!", good.substr(0, good.size() - 2),  // truncated
           good.substr(0, cut + 1) + " " + good.substr(cut + 2),  // a blank in it
           good.substr(0, cut + 1) + std::string(200, 'A'),       // an oversized key
       }) {
    EXPECT_FALSE(VerifyPassword("pw", bad)) << bad;
  }
}

TEST(Password, ATamperedKeyOrSaltDoesNotVerify) {
  std::string h = FastHash("pw");
  std::string key_flipped = h;
  key_flipped[key_flipped.size() - 3] = key_flipped[key_flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword("pw", key_flipped));
  std::string salt_flipped = h;
  const auto salt_at = h.find('$', 14) + 1;
  salt_flipped[salt_at] = salt_flipped[salt_at] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword("pw", salt_flipped));
}

}  // namespace
}  // namespace dabs::auth
