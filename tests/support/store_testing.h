// Test-only helpers for the store's tests: a temporary directory per test and one-line
// reads and writes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <dabs/store/store.h>

namespace dabs::store::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/dabs-store-test-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The store directory inside it (Open creates it).
  std::filesystem::path store() const { return path_ / "store"; }

 private:
  std::filesystem::path path_;
};

inline Status PutOne(Store& store, Database db, std::string_view key, std::string_view value) {
  return store.Write([&](WriteTxn& txn) { return txn.Put(db, key, value); });
}

// The value under `key`, or nullopt when missing; a failed read fails the test.
inline std::optional<std::string> GetOne(const Store& store, Database db, std::string_view key) {
  std::optional<std::string> out;
  Status s = store.Read([&](const ReadTxn& txn) -> Status {
    auto v = txn.Get(db, key);
    if (!v) return v.error();
    if (*v) out = std::string(**v);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.error().Message();
  return out;
}

}  // namespace dabs::store::testing
