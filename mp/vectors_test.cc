// Every vector of shared/spec/mp-vectors.json: good ones decode to the listed fields and
// re-encode byte for byte; bad ones are refused with the listed error.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dabs/mp/crc8.h>
#include <dabs/mp/header.h>
#include <dabs/mp/system_messages.h>

namespace dabs::mp {
namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string VectorsPath() {
  return std::filesystem::exists(DABS_SHARED_VECTORS) ? DABS_SHARED_VECTORS : DABS_DOCS_VECTORS;
}

nlohmann::json LoadVectors() {
  std::ifstream in(VectorsPath());
  EXPECT_TRUE(in) << "cannot open " << VectorsPath();
  return nlohmann::json::parse(in);
}

Kind KindFromName(const std::string& s) {
  if (s == "ack") return Kind::kAck;
  if (s == "nak") return Kind::kNak;
  if (s == "reply") return Kind::kReply;
  return Kind::kMessage;
}

TEST(SpecVectors, DocsCopyMatchesTheSharedSpec) {
  if (!std::filesystem::exists(DABS_SHARED_VECTORS)) {
    GTEST_SKIP() << "no shared/spec beside this checkout; the docs/spec copy is used";
  }
  std::ifstream a(DABS_SHARED_VECTORS), b(DABS_DOCS_VECTORS);
  EXPECT_EQ(nlohmann::json::parse(a), nlohmann::json::parse(b));
}

TEST(SpecVectors, CrcCheckValue) {
  auto j = LoadVectors();
  const std::string ascii = j["crc8_check"]["ascii"];
  const uint8_t crc =
      static_cast<uint8_t>(std::stoi(j["crc8_check"]["crc"].get<std::string>(), nullptr, 16));
  EXPECT_EQ(Crc8({reinterpret_cast<const uint8_t*>(ascii.data()), ascii.size()}), crc);
}

TEST(SpecVectors, EveryVectorDecodesAndGoodOnesReencodeByteForByte) {
  auto j = LoadVectors();
  ASSERT_GE(j["vectors"].size(), 11u);
  int good = 0, bad = 0;
  for (const auto& v : j["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const auto bytes = FromHex(v["hex"]);
    auto d = DecodeDatagram(bytes);
    if (v.contains("expect")) {
      ASSERT_FALSE(d.ok());
      EXPECT_EQ(ErrcName(static_cast<Errc>(d.code().value())), v["expect"].get<std::string>());
      ++bad;
      continue;
    }
    ASSERT_TRUE(d.ok()) << d.error().Message();
    const Header& h = d->header;
    EXPECT_EQ(h.kind, KindFromName(v["kind"]));
    EXPECT_EQ(h.command, v["command"].get<int>());
    EXPECT_EQ(h.session, v["session"].get<int>());
    EXPECT_EQ(h.transaction, v["transaction"].get<int>());
    EXPECT_EQ(h.sent.minutes, v["minutes"].get<int>());
    EXPECT_EQ(h.sent.seconds, v["seconds"].get<int>());
    EXPECT_EQ(h.sent.millis, v["millis"].get<int>());
    EXPECT_EQ(h.encrypted, v["encrypted"].get<bool>());
    EXPECT_EQ(h.crc, v["crc"].get<bool>());
    EXPECT_EQ(h.va, v["va"].get<uint32_t>());
    if (v.contains("buffers")) {
      EXPECT_TRUE(h.multi);
      EXPECT_EQ(h.buffer, v["buffer"].get<int>());
      EXPECT_EQ(h.buffers, v["buffers"].get<int>());
    } else {
      EXPECT_FALSE(h.multi);
    }
    EXPECT_EQ(std::vector<uint8_t>(d->payload.begin(), d->payload.end()),
              FromHex(v["payload_hex"]));

    std::vector<uint8_t> out(512);
    auto n = EncodeDatagram(h, d->payload, out);
    ASSERT_TRUE(n.ok());
    out.resize(*n);
    EXPECT_EQ(out, bytes);
    ++good;
  }
  EXPECT_EQ(good, 7);
  EXPECT_EQ(bad, 4);
}

TEST(SpecVectors, OpenSessionTlvsDecodeToTheListedFields) {
  auto j = LoadVectors();
  int checked = 0;
  for (const auto& v : j["vectors"]) {
    if (!v.contains("tlvs")) continue;
    SCOPED_TRACE(v["name"].get<std::string>());
    const auto payload = FromHex(v["payload_hex"]);
    const auto& t = v["tlvs"];
    if (v["kind"] == "message") {
      auto req = OpenSessionRequest::Decode(payload);
      ASSERT_TRUE(req.ok()) << req.error().Message();
      EXPECT_EQ(req->app, t["APP"].get<std::string>());
      EXPECT_EQ(req->caps, t["CAPS"].get<uint32_t>());
      EXPECT_EQ(req->client_id, t["CLIENT_ID"].get<std::string>());
      EXPECT_EQ(req->Encode(), payload);
    } else {
      auto rep = OpenSessionReply::Decode(payload);
      ASSERT_TRUE(rep.ok()) << rep.error().Message();
      EXPECT_EQ(rep->session, t["SESSION"].get<int>());
      EXPECT_EQ(rep->dasp_va, t["DASP_VA"].get<uint32_t>());
      EXPECT_EQ(rep->dasp_endpoint.ToString(), t["DASP_ENDPOINT"].get<std::string>());
      EXPECT_EQ(rep->client_va, t["CLIENT_VA"].get<uint32_t>());
      EXPECT_EQ(rep->server, t["SERVER"].get<std::string>());
      EXPECT_EQ(rep->Encode(), payload);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace
}  // namespace dabs::mp
