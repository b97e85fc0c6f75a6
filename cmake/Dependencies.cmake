# Finds every library dabs builds on, for real. A missing one stops the configure step
# with the name of the Debian package that provides it (scripts/install-deps.sh installs
# them all).

function(dabs_missing what package)
  message(FATAL_ERROR
    "dabs: ${what} not found. Install the Debian package '${package}' "
    "(or run scripts/install-deps.sh).")
endfunction()

find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  dabs_missing("pkg-config" "pkg-config")
endif()

# Boost.Asio (header-only in 1.74, with Boost.System header-only too).
find_package(Boost 1.74 QUIET)
if(NOT Boost_FOUND)
  dabs_missing("Boost (Asio, Beast)" "libboost-dev")
endif()

# LMDB
pkg_check_modules(LMDB QUIET IMPORTED_TARGET lmdb)
if(NOT LMDB_FOUND)
  dabs_missing("LMDB" "liblmdb-dev")
endif()

# OpenSSL
find_package(OpenSSL 3 QUIET)
if(NOT OpenSSL_FOUND)
  dabs_missing("OpenSSL 3" "libssl-dev")
endif()

# yaml-cpp
find_package(yaml-cpp QUIET)
if(NOT yaml-cpp_FOUND)
  dabs_missing("yaml-cpp" "libyaml-cpp-dev")
endif()

# Net-SNMP (AgentX subagent SDK)
pkg_check_modules(NETSNMP QUIET IMPORTED_TARGET netsnmp-agent)
if(NOT NETSNMP_FOUND)
  dabs_missing("Net-SNMP agent library" "libsnmp-dev")
endif()

# GoogleTest
find_package(GTest QUIET)
if(NOT GTest_FOUND)
  dabs_missing("GoogleTest" "libgtest-dev")
endif()

# Helpers we prefer to writing our own.
find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  dabs_missing("CLI11" "libcli11-dev")
endif()
find_package(fmt QUIET)
if(NOT fmt_FOUND)
  dabs_missing("fmt" "libfmt-dev")
endif()
find_package(spdlog QUIET)
if(NOT spdlog_FOUND)
  dabs_missing("spdlog" "libspdlog-dev")
endif()
find_package(nlohmann_json 3 QUIET)
if(NOT nlohmann_json_FOUND)
  dabs_missing("nlohmann-json" "nlohmann-json3-dev")
endif()

find_package(Threads REQUIRED)
