// dabs-lbd: the farm's keyrings (docs/spec/farm-seal.md sections 4-6). KEYRING documents from
// the group, operators' requests from dabsctl on the local socket, and the counters of the
// farm guard written for dabsctl and SNMP.
#include <spdlog/spdlog.h>

#include <dabs/mp/wire.h>
#include <dabs/store/audit.h>

#include "lbd_impl.h"

namespace dabs::farm {

void Lbd::Impl::OnKeyring(const mp::Message& m) {
  auto k = mp::KeyringMessage::Decode(m.payload);
  if (!k) {
    ++counters.malformed;
    spdlog::warn("malformed KEYRING from {}: {}", m.peer.ToString(), k.error().detail);
    return;
  }
  auto adopted = keys->OnKeyring(*k);
  if (!adopted) {
    spdlog::error("KEYRING from {} not adopted: {}", m.peer.ToString(), adopted.error().Message());
    return;
  }
  if (*adopted) {
    const std::string what = "keyring version " + std::to_string(k->version) + " from " +
                             (k->server.empty() ? m.peer.ToString() : k->server) + ": " +
                             keyring::Describe(keys->keyring());
    writer->Post([what, now = NowMs(), server = options.server](store::WriteTxn& txn) {
      auto r = store::AppendAudit(txn, "dabs-lbd@" + server, what, now);
      return r ? Status::Ok() : Status(r.error());
    });
    SendHelloNow();  // the farm sees at once which keys we hold now
  }
}

void Lbd::Impl::OnKeyringRequest(const mp::Message& m) {
  auto request = mp::KeyringRequest::Decode(m.payload);
  if (!request) return node->Nak(m, mp::Errc::kMalformed, request.error().detail);
  auto k = keys->Apply(*request, LiveIds());
  if (!k) return node->Nak(m, mp::Errc::kRejected, k.error().detail);
  const std::string what =
      "keyring version " + std::to_string(k->version) + ": " + keyring::Describe(*k);
  writer->Post([what, now = NowMs(), server = options.server](store::WriteTxn& txn) {
    auto r = store::AppendAudit(txn, "dabsctl@" + server, what, now);
    return r ? Status::Ok() : Status(r.error());
  });
  SendKeyring();
  SendHelloNow();
  node->Reply(m, {});
}

void Lbd::Impl::SendKeyring() {
  SendToGroup(mp::wire::kKeyring, keys->Message().Encode());
  ++counters.keyrings_sent;
}

void Lbd::Impl::RecordSecurity() {
  writer->Post(
      [key = keys->channel().RecordKey(),
       value = keys->channel().RecordValue(NowMs(), node->Stats().local_refused)](
          store::WriteTxn& txn) { return txn.Put(store::Database::kStatistics, key, value); });
}

}  // namespace dabs::farm
