// Reading and writing files that hold secrets (the farm key, the farm's identity key), as
// ssh treats its private keys: a secret readable by group or others, or owned by another
// user than us or root, is refused rather than used.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>

namespace dabs::mp {

// The whole file, at most `max_bytes`. Errors (CryptoErrc) name the path and say what to do:
// kNoSuchFile, kUnsafeFile ("mode 0644: chmod 600 PATH"), kBadKey (too large).
Result<std::string> ReadSecretFile(const std::filesystem::path& path, size_t max_bytes = 16384);

// Writes `contents` to `path` with mode 0600, atomically (a temporary file in the same
// directory, fsync, rename, fsync of the directory). Refuses to replace an existing file
// unless `replace`.
Status WriteSecretFile(const std::filesystem::path& path, std::string_view contents,
                       bool replace = false);

}  // namespace dabs::mp
