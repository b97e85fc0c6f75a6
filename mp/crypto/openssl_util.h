// Private: small helpers around OpenSSL's EVP API for mp/crypto: owning pointers and one
// way to turn OpenSSL's error queue into a CryptoErrc error.
#pragma once

#include <memory>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <dabs/mp/crypto_errc.h>
#include <dabs/mp/result.h>

namespace dabs::mp::crypto_internal {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

inline Error Fail(CryptoErrc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

// kOpenSsl naming what failed and OpenSSL's first queued reason; clears the queue.
inline Error OpenSslFailure(const std::string& what) {
  const unsigned long code = ERR_get_error();
  std::string detail = what;
  if (code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    detail += ": ";
    detail += reason;
  }
  ERR_clear_error();
  return Fail(CryptoErrc::kOpenSsl, detail);
}

}  // namespace dabs::mp::crypto_internal
