// Feeds one CONFIG_SYNC payload, as the configuration group brings it (or as a
// PartAssembler puts one together), to DecodeSync (runtime/configd/sync_wire.h), the
// record decoding beneath it (config::DecodeConfigSync) and, for a whole configuration,
// CheckReceived (config_check.h): the verdict that lets it replace a server's own.
// Beyond "no crash" it checks that
//  - the id writes as JSON (the daemon's status does) and an announcement re-encodes to the
//    same id; a part is part < parts with a slice smaller than the payload;
//  - a whole configuration carries its records' digest, and EncodeFull of what decoded (in
//    one payload or in parts put back together) decodes to the same records and id;
//  - a configuration CheckReceived accepts builds (config::Build), exports as a farm file
//    (config::ExportYaml) and as JSON without throwing, and has no value with a NUL byte (C
//    APIs would see less than was checked, and RecordsDigest separates records with NULs).
#include <nlohmann/json.hpp>

#include <dabs/config/adopt.h>
#include <dabs/config/edit.h>
#include <dabs/config/farm.h>
#include <dabs/config/persist.h>

#include "config_check.h"
#include "farm_examples.h"
#include "fuzz_support.h"
#include "part_assembler.h"
#include "sync_wire.h"

namespace {

using namespace dabs;
using namespace dabs::configd;

// EncodeFull's payloads, decoded (and assembled when in parts), must give back `m`.
void CheckReencodes(const SyncMessage& m) {
  const auto payloads = EncodeFull(m.records, m.id.digest);
  if (payloads.empty()) {
    // Only when the id alone leaves no room for DATA in a part (an origin of 400 bytes).
    DABS_FUZZ_CHECK(EncodeAnnounce(m.id).size() + 14 >= kMaxGroupPayload);
    return;
  }
  std::optional<SyncMessage> whole;
  PartAssembler assembler(AssemblyLimits{});
  for (const auto& p : payloads) {
    DABS_FUZZ_CHECK(p.size() <= kMaxGroupPayload);
    auto d = DecodeSync(p);
    DABS_FUZZ_CHECK(d.ok());
    if (d->kind == Heard::kFull) {
      DABS_FUZZ_CHECK(payloads.size() == 1);
      whole = std::move(*d);
      continue;
    }
    DABS_FUZZ_CHECK(d->kind == Heard::kPart && d->parts == payloads.size());
    auto added = assembler.Add(*d, TimePoint{});
    if (added.outcome != PartAssembler::Outcome::kComplete) continue;
    auto assembled = DecodeSync(added.whole);
    DABS_FUZZ_CHECK(assembled.ok() && assembled->kind == Heard::kFull);
    whole = std::move(*assembled);
  }
  DABS_FUZZ_CHECK(whole.has_value());
  DABS_FUZZ_CHECK(whole->records == m.records && whole->id == m.id);
}

void CheckAccepted(const config::Records& records) {
  const Verdict verdict = CheckReceived(records);
  if (!verdict.accepted) return;
  DABS_FUZZ_CHECK(config::Build(records).ok());
  for (const auto& [path, value] : records.values)
    DABS_FUZZ_CHECK(path.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
  try {
    (void)config::ExportYaml(records);
    (void)nlohmann::json(records.values).dump();  // as the HTTP API and dabsctl --json write it
  } catch (const std::exception& e) {
    dabs::fuzz::Fail(e.what(), __FILE__, __LINE__);
  }
}

std::vector<fuzz::Seed> Seeds() {
  std::vector<fuzz::Seed> out;
  for (const auto& records : fuzz::ExampleFarms()) {
    const std::string digest = config::RecordsDigest(records);
    out.push_back(EncodeAnnounce({records.version, records.origin, digest}));
    out.push_back(EncodeFull(records, digest, 4096).front());  // whole, as assembled
    out.push_back(config::EncodeConfigSync(records));          // whole, without a DIGEST
    for (auto& part : EncodeFull(records, digest))
      out.push_back(std::move(part));
  }
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = DecodeSync({data, size});
  if (!m) return 0;
  try {
    (void)nlohmann::json{{"origin", m->id.origin}, {"digest", m->id.digest}}.dump();
  } catch (const std::exception& e) {
    fuzz::Fail(e.what(), __FILE__, __LINE__);
  }
  switch (m->kind) {
    case Heard::kAnnounce: {
      auto again = DecodeSync(EncodeAnnounce(m->id));
      DABS_FUZZ_CHECK(again.ok() && again->kind == Heard::kAnnounce && again->id == m->id);
      break;
    }
    case Heard::kPart:
      DABS_FUZZ_CHECK(m->part < m->parts && m->data.size() < size);
      break;
    case Heard::kFull:
      DABS_FUZZ_CHECK(m->id.digest == config::RecordsDigest(m->records));
      CheckReencodes(*m);
      CheckAccepted(m->records);
      break;
  }
  return 0;
}
