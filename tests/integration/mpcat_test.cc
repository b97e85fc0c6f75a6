// mpcat as operators and scripts use it: listen, send, decode, --help, bad arguments; and
// a client written from the spec alone (spec_client.py) talking to `mpcat listen`.
#include <cstdio>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/subprocess.h"

namespace dabs {
namespace {

using namespace std::chrono_literals;

struct ShellRun {
  int status;
  std::string output;  // stdout and stderr together
};

ShellRun Shell(const std::string& command) {
  ShellRun r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kMpcat = DABS_MPCAT;

// An `mpcat listen` on a free port.
class Listener {
 public:
  explicit Listener(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kMpcat, "listen", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<testing::Subprocess>(argv);
    auto line = process_->ReadLine(10s);
    if (line && line->starts_with("listening ")) endpoint_ = line->substr(10);
  }
  const std::string& endpoint() const { return endpoint_; }
  std::string port() const { return endpoint_.substr(endpoint_.rfind(':') + 1); }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  std::string endpoint_;
};

TEST(Mpcat, SendEchoesAMultiBufferPayloadBothWaysAndPrintsJson) {
  Listener l;
  ASSERT_FALSE(l.endpoint().empty());
  const ShellRun r = Shell(kMpcat + " send " + l.endpoint() + " --payload-size 100000 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["ok"], 1);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["app"], "echo");
  EXPECT_EQ(j["reply_hex"].get<std::string>().size(), 200'000u);  // 100,000 bytes back
  EXPECT_EQ(j["dasp_endpoint"], l.endpoint());
}

TEST(Mpcat, SendToAnUnknownApplicationFailsWithNak8) {
  Listener l;
  const ShellRun r = Shell(kMpcat + " send " + l.endpoint() + " --app nosuchapp");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("unknown application (NAK 8)"), std::string::npos) << r.output;
}

TEST(Mpcat, SendOpensTheSessionThroughAMulticastGroup) {
  const std::string group = "239.255.71." + std::to_string(1 + ::getpid() % 200) + ":" +
                            std::to_string(21000 + ::getpid() % 10000);
  Listener a({"--group", group}), b({"--group", group});
  ASSERT_FALSE(a.endpoint().empty());
  const ShellRun r = Shell(kMpcat + " send " + group + " --group --payload-text hi --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const std::string dasp = j["dasp_endpoint"];
  EXPECT_TRUE(dasp == a.endpoint() || dasp == b.endpoint()) << dasp;
  EXPECT_EQ(j["reply_hex"], "6869");
}

TEST(Mpcat, DecodeGivesTheFieldsOfEverySpecVector) {
  std::ifstream in(DABS_VECTORS);
  const auto vectors = nlohmann::json::parse(in)["vectors"];
  for (const auto& v : vectors) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const ShellRun r = Shell(kMpcat + " decode --json " + v["hex"].get<std::string>());
    const auto j = nlohmann::json::parse(r.output);
    if (v.contains("expect")) {
      EXPECT_EQ(r.status, 1);
      EXPECT_EQ(j["expect"], v["expect"]);
      continue;
    }
    ASSERT_EQ(r.status, 0);
    for (const char* key : {"kind", "command", "session", "transaction", "minutes", "seconds",
                            "millis", "encrypted", "crc", "va", "payload_hex"}) {
      EXPECT_EQ(j[key], v[key]) << key;
    }
    if (v.contains("tlvs")) {
      for (const auto& [key, value] : v["tlvs"].items())
        EXPECT_EQ(j["tlvs"][key], value) << key;
    }
  }
}

TEST(Mpcat, HelpExitsZeroAndBadArgumentsGiveOneClearLine) {
  const ShellRun help = Shell(kMpcat + " --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("listen"), std::string::npos);
  for (const std::string args :
       {"", "send", "send 127.0.0.1:1 --command zzz", "decode 0g", "send nowhere"}) {
    const ShellRun r = Shell(kMpcat + " " + args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << ": " << r.output;
    EXPECT_EQ(r.output.rfind("mpcat", 0), 0u) << args << ": " << r.output;
  }
}

TEST(SpecClient, AClientWrittenFromTheSpecAloneTalksToMpcatListen) {
  Listener l;
  for (const std::string crc : {"", " --crc"}) {
    const ShellRun r = Shell("python3 " DABS_SPEC_CLIENT " 127.0.0.1 " + l.port() + crc);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("echoed 41 and 5000 bytes, closed"), std::string::npos) << r.output;
  }
}

// ---------------------------------------------------------------------------- spec 6

// Spec 6 from Python needs python3-cryptography (scripts/install-deps.sh installs it).
bool PythonHasCryptography() {
  return Shell("python3 -c 'import cryptography'").status == 0;
}

// A farm identity made by Python's own Ed25519 (mode 0600 private, PEM public), in a fresh dir.
std::string PythonIdentity() {
  const std::string dir = "/tmp/dabs-mpcat-" + std::to_string(::getpid()) + "-" +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  Shell("rm -rf " + dir + " && mkdir -p " + dir);
  const ShellRun r =
      Shell("python3 " DABS_SPEC_CRYPTO " --keygen " + dir + "/id.pem " + dir + "/id.pub");
  EXPECT_EQ(r.status, 0) << r.output;
  return dir;
}

TEST(SpecClient, PythonFromTheSpecAloneReproducesEveryCryptoVector) {
  if (!PythonHasCryptography()) GTEST_SKIP() << "python3-cryptography is not installed";
  const ShellRun r = Shell("python3 " DABS_SPEC_CRYPTO " --check " DABS_CRYPTO_VECTORS);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("every vector holds"), std::string::npos) << r.output;
}

TEST(SpecClient, AClientWrittenFromTheSpecAloneOpensAnEncryptedSessionWithMpcatListen) {
  if (!PythonHasCryptography()) GTEST_SKIP() << "python3-cryptography is not installed";
  const std::string dir = PythonIdentity();
  Listener l({"--encryption", "required", "--identity-key", dir + "/id.pem"});
  ASSERT_FALSE(l.endpoint().empty());
  for (const std::string suite : {"1", "2"}) {
    const ShellRun r = Shell("python3 " DABS_SPEC_CLIENT " 127.0.0.1 " + l.port() +
                             " --crc --encrypt " + dir + "/id.pub --suite " + suite);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("echoed 41 and 5000 bytes, closed (crc on, suite " + suite + ")"),
              std::string::npos)
        << r.output;
  }
  // Without an offer, `required` refuses with NAK 9.
  const ShellRun plain = Shell("python3 " DABS_SPEC_CLIENT " 127.0.0.1 " + l.port());
  EXPECT_NE(plain.status, 0);
  EXPECT_NE(plain.output.find("NAK 9"), std::string::npos) << plain.output;
  Shell("rm -rf " + dir);
}

TEST(Mpcat, SendEncryptsWithEitherSuiteAndRequiredRefusesPlaintextWithWhy) {
  if (!PythonHasCryptography()) GTEST_SKIP() << "python3-cryptography is not installed";
  const std::string dir = PythonIdentity();
  Listener l({"--encryption", "required", "--identity-key", dir + "/id.pem"});
  ASSERT_FALSE(l.endpoint().empty());
  for (const std::string suite : {"1", "2"}) {
    const ShellRun r = Shell(kMpcat + " send " + l.endpoint() + " --encrypt --suite " + suite +
                             " --farm-public-key " + dir + "/id.pub --payload-size 3000 --json");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["suite"], std::stoi(suite));
    EXPECT_EQ(j["reply_hex"].get<std::string>().size(), 6000u);
  }
  const ShellRun plain = Shell(kMpcat + " send " + l.endpoint() + " --payload-text hi");
  EXPECT_EQ(plain.status, 1);
  EXPECT_NE(plain.output.find("(NAK 9): this application requires encryption"), std::string::npos)
      << plain.output;
  // Another farm's key: the listener's signature does not verify, the reply is refused.
  const std::string other = PythonIdentity();
  const ShellRun forged = Shell(kMpcat + " send " + l.endpoint() + " --encrypt --farm-public-key " +
                                other + "/id.pub --reply-timeout-ms 300 --payload-text hi");
  EXPECT_EQ(forged.status, 1);
  EXPECT_NE(forged.output.find("signature in ENC_ACCEPT does not verify"), std::string::npos)
      << forged.output;
  Shell("rm -rf " + dir + " " + other);
}

TEST(Mpcat, DecodeShowsTheSealedPartsOfAnEncryptedDatagram) {
  std::ifstream in(DABS_CRYPTO_VECTORS);
  const auto v = nlohmann::json::parse(in);
  const auto& d = v["datagrams"][0];
  const ShellRun r = Shell(kMpcat + " decode " + d["datagram_hex"].get<std::string>() + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["encrypted"], true);
  EXPECT_EQ(j["sealed"]["counter"], d["counter"]);
  EXPECT_EQ(j["sealed"]["ciphertext_bytes"], d["plaintext_hex"].get<std::string>().size() / 2);
  const ShellRun text = Shell(kMpcat + " decode " + d["datagram_hex"].get<std::string>());
  EXPECT_NE(text.output.find("encrypted     yes"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("sealed        counter 7,"), std::string::npos) << text.output;
}

}  // namespace
}  // namespace dabs
