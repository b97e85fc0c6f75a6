// mpcat decode: every field of one datagram, as text or JSON (the JSON uses the field names
// of shared/spec/mp-vectors.json).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include <dabs/mp/coding.h>
#include <dabs/mp/header.h>
#include <dabs/mp/session_crypto.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/tlv.h>

#include "mpcat.h"

namespace dabs::mp::mpcat {

namespace {

nlohmann::json Fields(const Header& h) {
  nlohmann::json j = {
      {"kind", KindName(h.kind)},
      {"version", h.version},
      {"command", h.command},
      {"command_name", CommandName(h.command)},
      {"session", h.session},
      {"transaction", h.transaction},
      {"minutes", h.sent.minutes},
      {"seconds", h.sent.seconds},
      {"millis", h.sent.millis},
      {"encrypted", h.encrypted},
      {"crc", h.crc},
      {"va", h.va},
  };
  if (h.multi) {
    j["buffer"] = h.buffer;
    j["buffers"] = h.buffers;
  }
  return j;
}

// E = 1 (spec 6): the payload is counter || ciphertext || tag; empty when it cannot be.
nlohmann::json Sealed(const Header& h, std::span<const uint8_t> payload) {
  if (!h.encrypted || payload.size() < kSealOverhead) return nlohmann::json::object();
  const auto tag = payload.last(kTagBytes);
  return {{"counter", GetU64(payload.data())},
          {"ciphertext_bytes", payload.size() - kSealOverhead},
          {"tag_hex", ToHex(std::vector<uint8_t>(tag.begin(), tag.end()))}};
}

// The payload of the system commands this tool knows, decoded.
nlohmann::json Payload(const Header& h, std::span<const uint8_t> payload) {
  nlohmann::json j = nlohmann::json::object();
  if (h.kind == Kind::kNak) {
    if (auto nak = NakPayload::Decode(payload)) {
      j["error"] = static_cast<int>(nak->error);
      j["error_name"] = ErrcName(nak->error);
      if (!nak->missing.empty()) j["missing"] = nak->missing;
      if (!nak->text.empty()) j["text"] = nak->text;
    }
    return j;
  }
  if (h.command != wire::kOpenSession || h.multi || h.encrypted) return j;
  if (h.kind == Kind::kMessage) {
    if (auto r = OpenSessionRequest::Decode(payload)) {
      j["APP"] = r->app;
      if (r->caps) j["CAPS"] = *r->caps;
      if (!r->client_id.empty()) j["CLIENT_ID"] = r->client_id;
      if (r->enc_offer) j["ENC_OFFER"] = {{"suites", r->enc_offer->suites}};
    }
  } else if (h.kind == Kind::kReply) {
    if (auto r = OpenSessionReply::Decode(payload)) {
      j["SESSION"] = r->session;
      j["DASP_VA"] = r->dasp_va;
      if (r->dasp_endpoint.valid()) j["DASP_ENDPOINT"] = r->dasp_endpoint.ToString();
      j["CLIENT_VA"] = r->client_va;
      if (r->enc_accept) j["ENC_ACCEPT"] = {{"suite", r->enc_accept->suite}};
      if (!r->server.empty()) j["SERVER"] = r->server;
    }
  }
  return j;
}

void PrintText(const Header& h, std::span<const uint8_t> payload, const nlohmann::json& tlvs) {
  std::printf("kind          %s\n", KindName(h.kind));
  std::printf("version       %u\n", h.version);
  std::printf("command       0x%04x %s\n", h.command, CommandName(h.command));
  std::printf("session       %u\n", h.session);
  std::printf("transaction   %u\n", h.transaction);
  std::printf("sent time     %02u:%02u.%03u (minute:second.milli of the hour)\n", h.sent.minutes,
              h.sent.seconds, h.sent.millis);
  std::printf("encrypted     %s\n", h.encrypted ? "yes" : "no");
  std::printf("crc           %s\n", h.crc ? "yes (valid)" : "no");
  std::printf("va            %s (server %u, counter %u)\n", FormatVa(h.va).c_str(),
              ServerIndexOf(h.va), CounterOf(h.va));
  if (h.multi) std::printf("multi-buffer  buffer %u of %u\n", h.buffer, h.buffers);
  if (const auto s = Sealed(h, payload); !s.empty()) {
    std::printf("sealed        counter %s, %s bytes of ciphertext, tag %s\n",
                s["counter"].dump().c_str(), s["ciphertext_bytes"].dump().c_str(),
                s["tag_hex"].get<std::string>().c_str());
  }
  std::printf("payload       %zu bytes %s\n", payload.size(),
              ToHex(std::vector<uint8_t>(payload.begin(), payload.end())).c_str());
  for (const auto& [key, value] : tlvs.items()) {
    std::printf("  %-11s %s\n", key.c_str(), value.dump().c_str());
  }
}

}  // namespace

int RunDecode(const DecodeArgs& args) {
  auto d = DecodeDatagram(args.bytes);
  if (!d) {
    const auto name = ErrcName(static_cast<Errc>(d.code().value()));
    if (args.json) {
      nlohmann::json j = {{"expect", name}, {"error", d.error().Message()}};
      if (args.bytes.size() >= wire::kHeaderSize) j["header"] = Fields(PeekBasicHeader(args.bytes));
      std::cout << j.dump() << std::endl;
    } else {
      std::fprintf(stderr, "mpcat decode: not a valid MP datagram: %s (%.*s)\n",
                   d.error().Message().c_str(), static_cast<int>(name.size()), name.data());
    }
    return 1;
  }
  const nlohmann::json tlvs = Payload(d->header, d->payload);
  if (args.json) {
    nlohmann::json j = Fields(d->header);
    j["payload_hex"] = ToHex(std::vector<uint8_t>(d->payload.begin(), d->payload.end()));
    if (!tlvs.empty()) j[d->header.kind == Kind::kNak ? "nak" : "tlvs"] = tlvs;
    if (auto s = Sealed(d->header, d->payload); !s.empty()) j["sealed"] = s;
    std::cout << j.dump() << std::endl;
  } else {
    PrintText(d->header, d->payload, tlvs);
  }
  return 0;
}

Result<std::vector<uint8_t>> ParseHex(const std::string& text) {
  std::string digits;
  std::string_view s = text;
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  for (char c : s) {
    if (c == ' ' || c == ':' || c == '\n' || c == '\t') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return Error{make_error_code(Errc::kMalformed), std::string("not a hex digit: '") + c + "'"};
    }
    digits.push_back(c);
  }
  if (digits.size() % 2)
    return Error{make_error_code(Errc::kMalformed), "odd number of hex digits"};
  std::vector<uint8_t> out(digits.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(digits.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

std::string ToHex(const std::vector<uint8_t>& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Result<uint16_t> ParseCommand(const std::string& text) {
  try {
    size_t used = 0;
    const unsigned long v = std::stoul(text, &used, 0);
    if (used == text.size() && v <= 0xFFFF) return static_cast<uint16_t>(v);
  } catch (const std::exception&) {
  }
  return Error{make_error_code(Errc::kMalformed),
               "command must be 0..65535 (e.g. 0x0100): '" + text + "'"};
}

}  // namespace dabs::mp::mpcat
