#include <algorithm>
#include <sstream>

#include <openssl/evp.h>

#include <dabs/keyring/keyring.h>
#include <dabs/mp/coding.h>

namespace dabs::keyring {

namespace {

constexpr std::string_view kMagic = "dabs-keyring 1";

Error Fail(Errc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

class CategoryImpl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.keyring"; }
  std::string message(int v) const override {
    switch (static_cast<Errc>(v)) {
      case Errc::kNoKeyring:
        return "no farm key";
      case Errc::kBadFile:
        return "bad keyring file";
      case Errc::kUnknownKey:
        return "no such key";
      case Errc::kConflict:
        return "key id conflict";
      case Errc::kFull:
        return "keyring full";
      case Errc::kPrimary:
        return "key is the primary";
      case Errc::kIo:
        return "keyring file error";
    }
    return "keyring error " + std::to_string(v);
  }
};

void SortById(std::vector<mp::FarmKey>& keys) {
  std::sort(keys.begin(), keys.end(), [](auto& a, auto& b) { return a.id < b.id; });
}

}  // namespace

const std::error_category& Category() {
  static const CategoryImpl c;
  return c;
}

const mp::FarmKey* Keyring::Find(mp::FarmKeyId id) const {
  for (const auto& k : keys) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::vector<mp::FarmKeyId> Keyring::Ids() const {
  std::vector<mp::FarmKeyId> out;
  for (const auto& k : keys)
    out.push_back(k.id);
  return out;
}

std::array<uint8_t, 32> Keyring::Digest() const {
  std::vector<uint8_t> in(12);
  mp::PutU64(in.data(), version);
  mp::PutU32(in.data() + 8, primary);
  for (const auto& k : keys) {
    uint8_t id[4];
    mp::PutU32(id, k.id);
    in.insert(in.end(), id, id + 4);
    in.insert(in.end(), k.bytes.begin(), k.bytes.end());
  }
  std::array<uint8_t, 32> out{};
  unsigned len = 0;
  EVP_Digest(in.data(), in.size(), out.data(), &len, EVP_sha256(), nullptr);
  std::fill(in.begin(), in.end(), 0);
  return out;
}

std::shared_ptr<const mp::FarmKeySet> Keyring::KeySet(const std::string& farm_name) const {
  return std::make_shared<mp::FarmKeySet>(farm_name, keys, primary);
}

bool Keyring::IsOlderThan(const Keyring& other) const {
  if (version != other.version) return version < other.version;
  return Digest() < other.Digest();
}

Result<Keyring> Keyring::Install(const mp::FarmKey& key, uint64_t new_version) const {
  if (const mp::FarmKey* held = Find(key.id)) {
    if (held->bytes != key.bytes) {
      return Fail(Errc::kConflict,
                  "another key with id " + key.IdText() + " is in the keyring: generate a new key");
    }
    return *this;
  }
  if (keys.size() >= kMaxKeys) {
    return Fail(Errc::kFull, "the keyring holds " + std::to_string(kMaxKeys) +
                                 " keys already: remove an old one first");
  }
  Keyring out = *this;
  out.keys.push_back(key);
  SortById(out.keys);
  if (keys.empty()) out.primary = key.id;
  out.version = new_version;
  return out;
}

Result<Keyring> Keyring::Use(mp::FarmKeyId id, uint64_t new_version) const {
  if (!Find(id)) return Fail(Errc::kUnknownKey, "no key " + mp::FarmKeyIdText(id) + " here");
  if (id == primary) return *this;
  Keyring out = *this;
  out.primary = id;
  out.version = new_version;
  return out;
}

Result<Keyring> Keyring::Remove(mp::FarmKeyId id, uint64_t new_version) const {
  if (!Find(id)) return Fail(Errc::kUnknownKey, "no key " + mp::FarmKeyIdText(id) + " here");
  if (id == primary) {
    return Fail(Errc::kPrimary, "key " + mp::FarmKeyIdText(id) +
                                    " is the primary: make another key the primary first "
                                    "(dabsctl keys use ID)");
  }
  Keyring out = *this;
  std::erase_if(out.keys, [&](const mp::FarmKey& k) { return k.id == id; });
  out.version = new_version;
  return out;
}

Status Keyring::Validate() const {
  if (keys.empty() || keys.size() > kMaxKeys) {
    return Fail(Errc::kBadFile, "a keyring holds 1 to " + std::to_string(kMaxKeys) + " keys");
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (mp::FarmKey::FromBytes(keys[i].bytes).id != keys[i].id) {
      return Fail(Errc::kBadFile, "key " + keys[i].IdText() + " does not match its id");
    }
    for (size_t j = 0; j < i; ++j) {
      if (keys[j].id == keys[i].id)
        return Fail(Errc::kBadFile, "key id twice: " + keys[i].IdText());
    }
  }
  if (!Find(primary)) return Fail(Errc::kBadFile, "the primary is not among the keys");
  return Status::Ok();
}

std::string Keyring::ToFileText() const {
  std::string out;
  out += "# dabs farm keyring: written by dabs (dabsctl keys); do not edit by hand\n";
  out += std::string(kMagic) + "\n";
  out += "version " + std::to_string(version) + "\n";
  out += "primary " + mp::FarmKeyIdText(primary) + "\n";
  for (const auto& k : keys) {
    std::string hex = k.ToFileText();
    hex.pop_back();  // the newline
    out += "key " + k.IdText() + " " + hex + "\n";
  }
  return out;
}

Result<Keyring> Keyring::Parse(std::string_view text) {
  Keyring k;
  bool magic = false, has_version = false, has_primary = false;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const std::string at = "line " + std::to_string(number) + ": ";
    std::istringstream words(line);
    std::string word, a, b, extra;
    words >> word >> a >> b >> extra;
    if (!magic) {
      if (line != kMagic) return Fail(Errc::kBadFile, at + "not a dabs keyring");
      magic = true;
    } else if (word == "version" && !a.empty() && b.empty() &&
               a.find_first_not_of("0123456789") == std::string::npos && a.size() < 20) {
      k.version = std::stoull(a);
      has_version = true;
    } else if (word == "primary" && b.empty()) {
      auto id = mp::ParseFarmKeyId(a);
      if (!id) return Fail(Errc::kBadFile, at + id.error().detail);
      k.primary = *id;
      has_primary = true;
    } else if (word == "key" && extra.empty()) {
      auto key = mp::FarmKey::Parse(b);
      if (!key || key->IdText() != a) return Fail(Errc::kBadFile, at + "a bad key");
      k.keys.push_back(*key);
    } else {
      return Fail(Errc::kBadFile, at + "expected version, primary or key");
    }
  }
  if (!magic || !has_version || !has_primary) {
    return Fail(Errc::kBadFile, "a keyring needs its version and primary");
  }
  SortById(k.keys);
  if (Status s = k.Validate(); !s) return s.error();
  return k;
}

std::string Describe(const Keyring& k) {
  std::string out;
  for (const auto& key : k.keys) {
    if (!out.empty()) out += ", ";
    out += key.IdText();
    if (key.id == k.primary) out += " (primary)";
  }
  return out + " (version " + std::to_string(k.version) + ")";
}

}  // namespace dabs::keyring
