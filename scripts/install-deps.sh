#!/usr/bin/env bash
# Installs the Debian 12 packages dabs needs to build, test and run. Idempotent:
# packages already present are left alone, and apt is only touched when one is missing.
# Usage: scripts/install-deps.sh            (run as root, or with sudo available)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  # the six required libraries (see CMakeLists.txt) and their tools
  libboost-dev liblmdb-dev lmdb-utils libssl-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libsnmp-dev
  # well-kept helpers we build on
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # what the tests drive for real
  snmpd snmp snmptrapd iproute2 python3
  # spec 6 (session encryption) from Python: the spec client and the crypto vectors
  python3-cryptography
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
# snmpd's Debian service is not ours: tests start private instances on their own ports.
if command -v systemctl >/dev/null 2>&1; then
  "${sudo_cmd[@]}" systemctl disable --now snmpd snmptrapd >/dev/null 2>&1 || true
fi
echo "install-deps: done"
