#include "process_guard.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include <pthread.h>
#include <sys/stat.h>

#include <dabs/store/errc.h>

namespace dabs::store::detail {
namespace {

// Process-wide by nature: the rule they enforce is about the process, not about any one
// object the caller could pass in.
std::mutex claims_mutex;
std::set<std::pair<dev_t, ino_t>> claims;  // guarded by claims_mutex

std::atomic<uint64_t> fork_generation{0};
thread_local TxnScope* innermost_scope = nullptr;

}  // namespace

Result<std::unique_ptr<DirectoryClaim>> DirectoryClaim::Make(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Error{std::error_code(errno, std::system_category()), "stat " + dir.string()};
  }
  std::lock_guard lock(claims_mutex);
  if (!claims.emplace(st.st_dev, st.st_ino).second) {
    return Error{make_error_code(Errc::kAlreadyOpen),
                 dir.string() + ": share the process's Store instead of opening another"};
  }
  return std::unique_ptr<DirectoryClaim>(new DirectoryClaim(st.st_dev, st.st_ino));
}

DirectoryClaim::~DirectoryClaim() {
  std::lock_guard lock(claims_mutex);
  claims.erase({dev_, ino_});
}

uint64_t ForkGeneration() {
  // Registered once, before the first Store exists, so no fork can slip past it.
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); });
    return true;
  }();
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

TxnScope::TxnScope(const void* store) : store_(store), outer_(innermost_scope) {
  innermost_scope = this;
}

TxnScope::~TxnScope() {
  innermost_scope = outer_;
}

bool TxnScope::Active(const void* store) {
  for (const TxnScope* s = innermost_scope; s != nullptr; s = s->outer_) {
    if (s->store_ == store) return true;
  }
  return false;
}

}  // namespace dabs::store::detail
