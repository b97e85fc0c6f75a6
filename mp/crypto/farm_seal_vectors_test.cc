// docs/spec/farm-seal-vectors.json, byte for byte: what a second implementation of farm seals
// must reproduce (tests/integration/farm_seal_check.py is one, from the spec alone).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dabs/mp/farm_seal.h>

namespace dabs::mp {
namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(FarmSealVectors, DabsSealsAndOpensEveryVectorOfTheSpec) {
  std::ifstream in(DABS_FARM_SEAL_VECTORS);
  ASSERT_TRUE(in) << DABS_FARM_SEAL_VECTORS;
  const auto doc = nlohmann::json::parse(in);
  const auto key_bytes = FromHex(doc["key"]);
  ASSERT_EQ(key_bytes.size(), 32u);
  const FarmKey key = FarmKey::FromBytes(std::span<const uint8_t, 32>(key_bytes.data(), 32));
  EXPECT_EQ(key.IdText(), doc["key_id"]);
  const FarmKeySet keys(doc["farm"], {key}, key.id);
  FarmSealer sealer(doc["sender"], std::stoull(doc["incarnation"].get<std::string>(), nullptr, 16));
  FarmOpener opener;
  ASSERT_FALSE(doc["vectors"].empty());
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    ASSERT_EQ(sealer.next_sequence(), v["sequence"].get<uint64_t>()) << "vectors are in order";
    std::vector<uint8_t> sealed, opened;
    ASSERT_TRUE(sealer.Seal(keys, FromHex(v["plain"]), v["sealed_at_ms"], sealed).ok());
    EXPECT_EQ(sealed, FromHex(v["sealed"]));
    auto r = opener.Open(keys, sealed, v["sealed_at_ms"], opened);
    ASSERT_TRUE(r.ok()) << r.error().Message();
    EXPECT_EQ(r->sender, doc["sender"].get<uint32_t>());
  }
}

}  // namespace
}  // namespace dabs::mp
