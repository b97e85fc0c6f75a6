// dabsctl config export / import: the stored configuration as a farm file, and a farm file
// checked and stored as the next version (dabs-configd then brings the farm in step).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <dabs/config/edit.h>
#include <dabs/config/load.h>
#include <dabs/config/persist.h>

#include "commands.h"
#include "state.h"

namespace dabs::ctl {

namespace {

// Who the audit record names: the tool and the operator's login.
std::string Who() {
  const char* user = std::getenv("USER");
  return std::string("dabsctl:") + (user && *user ? user : "unknown");
}

}  // namespace

int RunConfigExport(const Globals& g, const std::string& out) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto stored = config::LoadConfig(c->store());
  if (!stored) return Fail("reading the stored configuration: " + stored.error().Message());
  if (!*stored) return Fail("no configuration stored in " + c->dir().string());
  const config::Records& r = **stored;
  const std::string yaml = config::ExportYaml(r);
  json doc = {{"version", r.version}, {"origin", r.origin}};
  if (out.empty()) {
    if (g.json) {
      doc["yaml"] = yaml;
      PrintJson(doc);
    } else {
      std::cout << yaml << std::flush;
    }
    return 0;
  }
  std::ofstream file(out, std::ios::trunc);
  file << yaml;
  file.close();
  if (!file) return Fail("cannot write " + out);
  if (g.json) {
    doc["out"] = out;
    PrintJson(doc);
  } else {
    std::printf("wrote configuration version %llu to %s\n",
                static_cast<unsigned long long>(r.version), out.c_str());
  }
  return 0;
}

int RunConfigImport(const Globals& g, const std::string& file) {
  std::vector<config::Problem> problems;
  auto loaded = config::LoadFarmFile(file, &problems);
  if (!loaded) {
    // Compiler-style lines, one per problem, then the verdict.
    for (const auto& p : problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    if (problems.empty())
      std::fprintf(stderr, "%s: %s\n", file.c_str(), loaded.error().Message().c_str());
    return Fail(file + ": " + std::to_string(std::max<size_t>(problems.size(), 1)) +
                " problem(s); nothing changed");
  }
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  config::Records next = loaded->records;
  next.origin = c->server_id();
  uint64_t previous = 0;
  // Read and write in one transaction: no other writer can slip a version in between.
  Status written = c->store().Write([&](store::WriteTxn& txn) -> Status {
    auto stored = config::ReadConfig(txn);
    if (!stored) return stored.error();
    previous = *stored ? (*stored)->version : 0;
    next.version = previous + 1;
    return config::WriteConfig(txn, next, Who());
  });
  if (!written) return Fail("storing the configuration: " + written.error().Message());
  if (g.json) {
    PrintJson({{"version", next.version},
               {"previous_version", previous},
               {"origin", next.origin},
               {"file", file}});
  } else {
    std::printf("imported %s as configuration version %llu (origin %s)\n", file.c_str(),
                static_cast<unsigned long long>(next.version), next.origin.c_str());
  }
  return 0;
}

}  // namespace dabs::ctl
