#include <dabs/mp/errc.h>
#include <dabs/mp/migrate.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {

const char* MigrateOpName(MigrateOp op) {
  switch (op) {
    case MigrateOp::kSave:
      return "save";
    case MigrateOp::kPlace:
      return "place";
    case MigrateOp::kRelease:
      return "release";
    case MigrateOp::kDrop:
      return "drop";
  }
  return "?";
}

std::vector<uint8_t> Migrate::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(migrate_tag::kOp, static_cast<uint8_t>(op));
  w.U32(migrate_tag::kClientVa, client_va);
  if (move_id) w.U64(migrate_tag::kMoveId, move_id);
  if (client) w.Endpoint(migrate_tag::kClient, *client);
  if (!request.empty()) w.Bytes(migrate_tag::kRequest, request);
  if (!state.empty()) w.Bytes(migrate_tag::kState, state);
  if (moves) w.U32(migrate_tag::kMoves, moves);
  if (!from.empty()) w.String(migrate_tag::kFrom, from);
  if (!reason.empty()) w.String(migrate_tag::kReason, reason);
  return out;
}

Result<Migrate> Migrate::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto op = t->U8(migrate_tag::kOp);
  auto va = t->U32(migrate_tag::kClientVa);
  if (!op || !va || *op < 1 || *op > 4) {
    return Error{make_error_code(Errc::kMalformed), "MIGRATE needs OP (1-4) and CLIENT_VA"};
  }
  Migrate m;
  m.op = static_cast<MigrateOp>(*op);
  m.client_va = *va;
  m.move_id = t->U64(migrate_tag::kMoveId).value_or(0);
  if (t->Find(migrate_tag::kClient)) {
    auto e = t->Endpoint(migrate_tag::kClient);
    if (!e) return Error{make_error_code(Errc::kMalformed), "MIGRATE: bad CLIENT endpoint"};
    m.client = *e;
  }
  if (const TlvField* f = t->Find(migrate_tag::kRequest))
    m.request.assign(f->value.begin(), f->value.end());
  if (const TlvField* f = t->Find(migrate_tag::kState))
    m.state.assign(f->value.begin(), f->value.end());
  m.moves = t->U32(migrate_tag::kMoves).value_or(0);
  if (auto s = t->String(migrate_tag::kFrom)) m.from = std::string(*s);
  if (auto s = t->String(migrate_tag::kReason)) m.reason = std::string(*s);
  return m;
}

}  // namespace dabs::mp
