#!/usr/bin/env bash
# Installs the Debian 12 packages apr-qa needs to build, test and run its oracles.
# Idempotent: packages already present are not reinstalled; safe to run on every CI start.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-filesystem-dev
  libspdlog-dev libfmt-dev doctest-dev libcli11-dev libcpp-httplib-dev
  libutf8proc-dev libpcre2-dev libssl-dev zlib1g-dev
  python3 python3-venv python3-pip python3-dev
  python3-numpy python3-jinja2 python3-regex python3-jsonschema python3-yaml
  python3-torch python3-requests
  slurm-wlm munge   # tests/slurm/run.sh: a one-machine Slurm (docs/scale-out.md)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} system packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
