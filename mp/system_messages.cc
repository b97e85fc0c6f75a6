#include <dabs/mp/coding.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/tlv.h>
#include <dabs/mp/wire.h>

namespace dabs::mp {

namespace {
Error Malformed(std::string detail) {
  return Error{make_error_code(Errc::kMalformed), std::move(detail)};
}

// SESSION (1..255) and DASP_VA, which both an OPEN_SESSION reply and a REDIRECT carry; `what`
// names the message in the error.
Status ReadSessionAndDasp(const TlvList& tlvs, const std::string& what, uint8_t& session,
                          Va& dasp_va) {
  auto s = tlvs.U8(tag::kSession);
  if (!s || *s == 0) return Malformed(what + " without a SESSION in 1..255");
  session = *s;
  auto va = tlvs.U32(tag::kDaspVa);
  if (!va) return Malformed(what + " without DASP_VA");
  dasp_va = *va;
  return Status::Ok();
}

// CLIENT_VA, when present.
Result<std::optional<Va>> ReadClientVa(const TlvList& tlvs) {
  if (!tlvs.Find(tag::kClientVa)) return std::optional<Va>();
  auto client_va = tlvs.U32(tag::kClientVa);
  if (!client_va) return Malformed("CLIENT_VA is not a u32");
  return std::optional<Va>(*client_va);
}
}  // namespace

std::vector<uint8_t> OpenSessionRequest::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(tag::kApp, app);
  if (caps) w.U32(tag::kCaps, *caps);
  if (!client_id.empty()) w.String(tag::kClientId, client_id);
  if (enc_offer) {
    std::vector<uint8_t> v;
    ByteWriter b(v);
    b.U8(static_cast<uint8_t>(enc_offer->suites.size()));
    b.Bytes(enc_offer->suites);
    b.Bytes(enc_offer->public_key);
    w.Bytes(tag::kEncOffer, v);
  }
  return out;
}

Result<OpenSessionRequest> OpenSessionRequest::Decode(std::span<const uint8_t> payload) {
  auto tlvs = TlvList::Parse(payload);
  if (!tlvs) return tlvs.error();
  OpenSessionRequest req;
  auto app = tlvs->String(tag::kApp);
  if (!app || app->empty() || app->size() > 255) return Malformed("OPEN_SESSION without APP");
  req.app = std::string(*app);
  if (tlvs->Find(tag::kCaps)) {
    req.caps = tlvs->U32(tag::kCaps);
    if (!req.caps) return Malformed("CAPS is not a u32");
  }
  if (auto id = tlvs->String(tag::kClientId)) {
    if (id->size() > kMaxClientIdBytes) return Malformed("CLIENT_ID longer than 64 bytes");
    req.client_id = std::string(*id);
  }
  if (const TlvField* f = tlvs->Find(tag::kEncOffer)) {
    ByteReader r(f->value);
    auto count = r.U8();
    auto suites = count ? r.Bytes(*count) : std::nullopt;
    auto key = r.Bytes(32);
    if (!suites || !key || r.remaining() != 0) return Malformed("bad ENC_OFFER");
    EncOffer offer;
    offer.suites.assign(suites->begin(), suites->end());
    std::copy(key->begin(), key->end(), offer.public_key.begin());
    req.enc_offer = std::move(offer);
  }
  return req;
}

std::vector<uint8_t> OpenSessionReply::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(tag::kSession, session);
  w.U32(tag::kDaspVa, dasp_va);
  if (dasp_endpoint.is_udp() && dasp_endpoint.valid())
    w.Endpoint(tag::kDaspEndpoint, dasp_endpoint);
  w.U32(tag::kClientVa, client_va);
  if (enc_accept) {
    std::vector<uint8_t> v;
    ByteWriter b(v);
    b.U8(enc_accept->suite);
    b.Bytes(enc_accept->public_key);
    b.Bytes(enc_accept->signature);
    w.Bytes(tag::kEncAccept, v);
  }
  if (!server.empty()) w.String(tag::kServer, server);
  return out;
}

Result<OpenSessionReply> OpenSessionReply::Decode(std::span<const uint8_t> payload) {
  auto tlvs = TlvList::Parse(payload);
  if (!tlvs) return tlvs.error();
  OpenSessionReply rep;
  if (Status s = ReadSessionAndDasp(*tlvs, "reply", rep.session, rep.dasp_va); !s) return s.error();
  if (tlvs->Find(tag::kDaspEndpoint)) {
    auto ep = tlvs->Endpoint(tag::kDaspEndpoint);
    if (!ep) return Malformed("bad DASP_ENDPOINT");
    rep.dasp_endpoint = *ep;
  }
  auto client_va = ReadClientVa(*tlvs);
  if (!client_va) return client_va.error();
  rep.client_va = client_va->value_or(kVaNone);
  if (const TlvField* f = tlvs->Find(tag::kEncAccept)) {
    if (f->value.size() != 1 + 32 + 64) return Malformed("bad ENC_ACCEPT");
    EncAccept acc;
    acc.suite = f->value[0];
    std::copy_n(f->value.begin() + 1, 32, acc.public_key.begin());
    std::copy_n(f->value.begin() + 33, 64, acc.signature.begin());
    rep.enc_accept = acc;
  }
  if (auto s = tlvs->String(tag::kServer)) rep.server = std::string(*s);
  return rep;
}

std::vector<uint8_t> RedirectPayload::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(tag::kSession, session);
  w.U32(tag::kDaspVa, dasp_va);
  if (dasp_endpoint.is_udp() && dasp_endpoint.valid())
    w.Endpoint(tag::kDaspEndpoint, dasp_endpoint);
  if (client_va) w.U32(tag::kClientVa, *client_va);
  return out;
}

Result<RedirectPayload> RedirectPayload::Decode(std::span<const uint8_t> payload) {
  auto tlvs = TlvList::Parse(payload);
  if (!tlvs) return tlvs.error();
  RedirectPayload r;
  if (Status s = ReadSessionAndDasp(*tlvs, "REDIRECT", r.session, r.dasp_va); !s) return s.error();
  auto ep = tlvs->Endpoint(tag::kDaspEndpoint);
  if (!ep) return Malformed("REDIRECT without a valid DASP_ENDPOINT");
  r.dasp_endpoint = *ep;
  auto client_va = ReadClientVa(*tlvs);
  if (!client_va) return client_va.error();
  r.client_va = *client_va;
  return r;
}

std::vector<uint8_t> NakPayload::Encode() const {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.U16(static_cast<uint16_t>(error));
  if (error == Errc::kMissingBuffers) {
    w.U16(static_cast<uint16_t>(missing.size()));
    for (uint16_t b : missing)
      w.U16(b);
  }
  w.Str(text);
  return out;
}

Result<NakPayload> NakPayload::Decode(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto code = r.U16();
  if (!code) return Malformed("NAK without an error number");
  NakPayload nak;
  nak.error = static_cast<Errc>(*code);
  if (nak.error == Errc::kMissingBuffers) {
    auto count = r.U16();
    if (!count || r.remaining() < size_t{*count} * 2) return Malformed("bad MISSING_BUFFERS list");
    nak.missing.reserve(*count);
    for (uint16_t i = 0; i < *count; ++i)
      nak.missing.push_back(*r.U16());
  }
  auto rest = r.rest();
  nak.text.assign(rest.begin(), rest.end());
  return nak;
}

size_t NakPayload::MaxMissingPerNak(size_t overhead_bytes) {
  return (wire::kMaxDatagram - overhead_bytes - 4) / 2;
}

std::vector<uint8_t> ErrorReportPayload::Encode() const {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.U16(error);
  // Cut a long text so the report fits one datagram, but never inside a UTF-8 character:
  // back off from a continuation byte (10xxxxxx) to the start of its character.
  size_t cut = text.size() > 400 ? 400 : text.size();
  while (cut > 0 && cut < text.size() && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80)
    --cut;
  w.Str(std::string_view(text).substr(0, cut));
  return out;
}

Result<ErrorReportPayload> ErrorReportPayload::Decode(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto code = r.U16();
  if (!code) return Malformed("ERROR_REPORT without an error number");
  auto rest = r.rest();
  return ErrorReportPayload{*code, std::string(rest.begin(), rest.end())};
}

std::vector<uint8_t> EncodeU8(uint8_t v) {
  return {v};
}

std::optional<uint8_t> DecodeU8(std::span<const uint8_t> payload) {
  if (payload.size() != 1) return std::nullopt;
  return payload[0];
}

}  // namespace dabs::mp
