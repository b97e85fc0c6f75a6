#include <dabs/config/adopt.h>

#include <openssl/evp.h>

#include <dabs/config/load.h>
#include <dabs/config/persist.h>

namespace dabs::config {

namespace {
constexpr std::string_view kFileDigestKey = "meta/file_digest";
}  // namespace

std::string RecordsDigest(const Records& records) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& [path, value] : records.values) {
    // path, 0, value, 0: no two record sets share a byte stream.
    EVP_DigestUpdate(ctx, path.data(), path.size());
    EVP_DigestUpdate(ctx, "", 1);
    EVP_DigestUpdate(ctx, value.data(), value.size());
    EVP_DigestUpdate(ctx, "", 1);
  }
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

Result<Adopted> AdoptFarmFile(store::Store& store, const std::filesystem::path& file, const std::string& server,
                              std::vector<Problem>* problems) {
  auto loaded = LoadFarmFile(file, problems);
  if (!loaded) return loaded.error();
  const std::string digest = RecordsDigest(loaded->records);
  Adopted out;
  Status s = store.Write([&](store::WriteTxn& txn) -> Status {
    out = {};
    auto stored = ReadConfig(txn);
    if (!stored) return stored.error();
    auto last = txn.Get(store::Database::kConfig, kFileDigestKey);
    if (!last) return last.error();
    if (*stored && *last && **last == digest) {
      out.records = std::move(**stored);
      out.what = "stored version " + std::to_string(out.records.version) + " kept (the file is unchanged since it was imported)";
      return Status::Ok();
    }
    Records r = loaded->records;
    r.version = *stored ? (*stored)->version + 1 : 1;
    r.origin = server;
    if (Status w = WriteConfig(txn, r, "farm file " + file.string()); !w) return w;
    if (Status w = txn.Put(store::Database::kConfig, kFileDigestKey, digest); !w) return w;
    out.what = *stored ? "the file changed since it was imported: imported as version " + std::to_string(r.version)
                       : "imported as version 1";
    out.records = std::move(r);
    out.imported = true;
    return Status::Ok();
  });
  if (!s) return s.error();
  return out;
}

}  // namespace dabs::config
