#include "lmdb_env.h"

#include <mutex>
#include <set>

#include <lmdb.h>

#include "ppv_errc.h"

namespace dabs::ppv {

namespace {

Error LmdbError(int rc, const std::string& what) {
  return PpvError(rc == MDB_MAP_FULL ? PpvErrc::kLedgerFull : PpvErrc::kLedger,
                  what + ": " + mdb_strerror(rc));
}

MDB_val Val(Bytes b) {
  return MDB_val{b.size(), const_cast<uint8_t*>(b.data())};
}

Bytes Span(const MDB_val& v) {
  return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

// The directories this process has open. The set is process-wide because the hazard is:
// LMDB's POSIX locks belong to the process, whatever object opened them.
std::mutex open_mu;
std::set<std::string> open_dirs;

}  // namespace

void Txn::Fail(Error e) {
  if (status_.ok()) status_ = Status(std::move(e));
}

void Txn::Check(int rc, const char* what) {
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) Fail(LmdbError(rc, what));
}

std::optional<Bytes> Txn::Get(size_t db, Bytes key) {
  if (!status_.ok()) return std::nullopt;
  MDB_val k = Val(key), v{};
  const int rc = mdb_get(txn_, (*dbs_)[db], &k, &v);
  Check(rc, "mdb_get");
  if (rc != MDB_SUCCESS) return std::nullopt;
  return Span(v);
}

void Txn::Put(size_t db, Bytes key, Bytes value) {
  if (!status_.ok()) return;
  MDB_val k = Val(key), v = Val(value);
  Check(mdb_put(txn_, (*dbs_)[db], &k, &v, 0), "mdb_put");
}

void Txn::Del(size_t db, Bytes key) {
  if (!status_.ok()) return;
  MDB_val k = Val(key);
  Check(mdb_del(txn_, (*dbs_)[db], &k, nullptr), "mdb_del");
}

void Txn::Scan(size_t db, Bytes from, const std::function<bool(Bytes, Bytes)>& visit) {
  if (!status_.ok()) return;
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn_, (*dbs_)[db], &c);
  if (rc != MDB_SUCCESS) return Check(rc, "mdb_cursor_open");
  MDB_val k = Val(from), v{};
  for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if (!visit(Span(k), Span(v))) break;
  }
  mdb_cursor_close(c);
  Check(rc, "mdb_cursor_get");
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const LmdbOptions& o) {
  std::error_code ec;
  // Purchases are subscribers' data: a new directory and its files are the owner's alone.
  if (std::filesystem::create_directories(o.dir, ec))
    std::filesystem::permissions(o.dir, std::filesystem::perms::owner_all, ec);
  auto dir = std::filesystem::weakly_canonical(o.dir, ec);
  if (ec) return PpvError(PpvErrc::kLedger, o.dir.string() + ": " + ec.message());
  {
    std::lock_guard lock(open_mu);
    if (!open_dirs.insert(dir.string()).second)
      return PpvError(PpvErrc::kLedger, dir.string() + ": already open in this process");
  }
  auto forget = [&] {
    std::lock_guard lock(open_mu);
    open_dirs.erase(dir.string());
  };
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc == MDB_SUCCESS) rc = mdb_env_set_maxdbs(env, static_cast<MDB_dbi>(o.databases.size()));
  if (rc == MDB_SUCCESS) rc = mdb_env_set_mapsize(env, o.map_bytes);
  if (rc == MDB_SUCCESS) rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600);
  if (rc != MDB_SUCCESS) {
    if (env) mdb_env_close(env);
    forget();
    return LmdbError(rc, dir.string());
  }
  // Readers left by a process that died (kill -9) would hold old pages forever.
  int dead = 0;
  (void)mdb_reader_check(env, &dead);
  std::unique_ptr<LmdbEnv> out(new LmdbEnv(env, dir));
  Status made = out->Write([&](Txn& txn) -> Status {
    for (const auto& name : o.databases) {
      MDB_dbi dbi = 0;
      const int r = mdb_dbi_open(txn.native(), name.c_str(), MDB_CREATE, &dbi);
      if (r != MDB_SUCCESS) return LmdbError(r, "mdb_dbi_open " + name);
      out->dbs_.push_back(dbi);
    }
    return Status::Ok();
  });
  if (!made) return made.error();  // the destructor closes the environment and forgets it
  return out;
}

LmdbEnv::~LmdbEnv() {
  mdb_env_close(env_);
  std::lock_guard lock(open_mu);
  open_dirs.erase(dir_.string());
}

Status LmdbEnv::Write(const std::function<Status(Txn&)>& fn) {
  int rc = MDB_SUCCESS;
  Status s = Run(true, fn, &rc);
  if (rc == MDB_MAP_RESIZED && mdb_env_set_mapsize(env_, 0) == MDB_SUCCESS) {
    // Another process grew the map: adopt its size (0 reads it from the file) and retry.
    s = Run(true, fn, &rc);
  }
  return s;
}

Status LmdbEnv::Read(const std::function<Status(Txn&)>& fn) {
  int rc = MDB_SUCCESS;
  return Run(false, fn, &rc);
}

Status LmdbEnv::Run(bool write, const std::function<Status(Txn&)>& fn, int* lmdb_rc) {
  MDB_txn* raw = nullptr;
  int rc = *lmdb_rc = mdb_txn_begin(env_, nullptr, write ? 0 : MDB_RDONLY, &raw);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_begin");
  Txn txn(raw, &dbs_);
  Status s = fn(txn);
  if (s && !txn.status()) s = txn.status();
  if (!s || !write) {
    mdb_txn_abort(raw);
    return s;
  }
  rc = *lmdb_rc = mdb_txn_commit(raw);  // frees the transaction whatever it returns
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_commit");
  return Status::Ok();
}

}  // namespace dabs::ppv
