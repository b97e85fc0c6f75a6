// Encrypted sessions through a real farm (spec 6): dabs-farm runs dabs-lbd, which starts the
// echo DASP with the farm file's apps[].encryption and farm.identity_key; a DACP opens its
// session through the farm's group (ADD_CLIENT to the instance, which replies itself).
#include <filesystem>

#include <gtest/gtest.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/identity_key.h>

#include "farm_process.h"

namespace dabs::farm::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(FarmEncryption, AnAppRequiringEncryptionInTheFarmFileGetsEncryptedSessionsOnly) {
  // Short: local socket paths (DIR/farm/s1/dasp-0x00100001.sock) must fit 107 bytes.
  const fs::path dir = fs::temp_directory_path() / ("dfe-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "farm");
  fs::permissions(dir / "farm", fs::perms::owner_all);  // a state directory of its own
  auto identity = mp::IdentityKey::Generate();
  ASSERT_TRUE(identity.ok());
  ASSERT_TRUE(identity->Save(dir / "identity.pem").ok());
  TestFarm farm = UniqueFarm();
  farm.identity_key = "identity.pem";  // relative to the farm file
  TestApp echo;
  echo.dasp = (fs::path(DABS_BIN_DIR) / "echo-dasp").string();
  echo.encryption = "required";
  farm.apps.push_back(echo);
  FarmProcess::Options o;
  o.dabs_farm = fs::path(DABS_BIN_DIR) / "dabs-farm";
  o.farm_file = WriteFarmFile(farm, dir);
  o.state_dir = dir / "farm";
  o.servers = 1;
  o.daemons = {"dabs-lbd"};
  auto process = FarmProcess::Start(o);
  ASSERT_TRUE(process.ok()) << process.error().Message();

  mp::IoThreads io(1);
  dacp::GatewayConfig gc;
  gc.node.udp = mp::Endpoint::Parse((*process)->client_address() + ":0").value();
  gc.node.multicast_interface = (*process)->client_address();
  gc.node.udp_offload = false;
  auto gateway = dacp::Gateway::Create(io.io(), gc).value();
  auto client = [&](mp::EncryptionPolicy policy) {
    dacp::ClientConfig c;
    c.app = "echo";
    c.farm = mp::Endpoint::Parse(farm.group_prefix + "1:" + std::to_string(farm.port)).value();
    c.client_id = "stb-" + std::to_string(static_cast<int>(policy));
    c.open_timeout = 10s;
    c.encryption.policy = policy;
    c.encryption.farm_key = std::make_shared<const mp::FarmPublicKey>(
        std::move(mp::FarmPublicKey::FromRaw(identity->public_key().raw()).value()));
    return dacp::Client::Create(gateway->TakeSeat().value(), c);
  };

  auto sealed = client(mp::EncryptionPolicy::kRequired);
  const Status opened = sealed->OpenSync();
  ASSERT_TRUE(opened.ok()) << opened.error().Message();
  EXPECT_NE(sealed->session()->suite, 0);
  const std::vector<uint8_t> payload(3000, 0x5A);  // multi-buffer both ways
  auto echoed = sealed->CallSync(0x0100, payload);
  ASSERT_TRUE(echoed.ok()) << echoed.error().Message();
  EXPECT_EQ(*echoed, payload);

  // A client that offers nothing hears CRYPTO from the instance itself, with why.
  auto plain = client(mp::EncryptionPolicy::kOff);
  const Status refused = plain->OpenSync();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), mp::Errc::kCrypto) << refused.error().Message();
  EXPECT_NE(refused.error().detail.find("requires encryption"), std::string::npos)
      << refused.error().detail;
  sealed->Close("test over");
  EXPECT_EQ((*process)->Stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dabs::farm::testing
