// Where a server's daemons keep their state: one directory per server (--state-dir DIR),
// shared by dabs-lbd, dabs-statd, dabs-configd and read by dabsctl.
//
//   DIR/store/             the LMDB environment (store.h)
//   DIR/lbd.sock           dabs-lbd's local datagram socket (DASPs report here; dabsctl asks)
//   DIR/statd.sock         dabs-statd's local datagram socket
//   DIR/configd.sock       dabs-configd's local datagram socket
//   DIR/dasp-<va>.sock     a DASP instance's control socket (<va> as 0x%08x)
//   DIR/logs/              DASP processes' standard error, one file per process
//
// All of it is the daemons' user's alone (store/private_files.h): directories 0700, files
// 0600, sockets 0600 taking datagrams from the daemons' user and root only (mp's local socket).
//
// dabs-farm runs every server of a farm on one machine under one directory, server K in
// FARM_DIR/<server id> (s1, s2, ... unless the farm file pins ids).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace dabs::store {

struct ServerLayout {
  std::filesystem::path dir;

  std::filesystem::path store() const { return dir / "store"; }
  std::filesystem::path lbd_socket() const { return dir / "lbd.sock"; }
  std::filesystem::path statd_socket() const { return dir / "statd.sock"; }
  std::filesystem::path configd_socket() const { return dir / "configd.sock"; }
  std::filesystem::path logs() const { return dir / "logs"; }
  std::filesystem::path dasp_socket(uint32_t va) const {
    char name[32];
    std::snprintf(name, sizeof name, "dasp-0x%08x.sock", va);
    return dir / name;
  }
};

}  // namespace dabs::store
