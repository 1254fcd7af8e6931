#!/usr/bin/env bash
# Installs what phaseprof's build, tests and demo need on a fresh Debian 12, and nothing else.
# Only packages that are missing are installed (checked with dpkg -s first), so a second run
# on a ready machine takes well under a second and never touches the network.
#   bash .ci/deps.sh           build + test + demo packages
#   bash .ci/deps.sh --bench   also the comparison tools used by `make bench`
# Works as root, or through sudo (non-interactive) when not root.  Exits non-zero on failure.
set -u

# Build: compilers, and the libraries the preload and the analyzer link.
#   libpapi-dev     hardware counters (papi backend)
#   libunwind-dev   call stacks in the preload
#   libcjson-dev    models and JSON output in the analyzer
#   libdw-dev, libelf-dev   symbols and line numbers (elfutils)
#   libzstd-dev     compressed trace chunks (written after the run, read by every command)
# Tests: the real programs the integration tests record, plus the tools the harness uses.
# python3-zstandard: the independent trace reader (tests/pptrace.py) reads compressed chunks.
# libjemalloc2: a second allocator preloaded beside ours (stacking test, pitfalls 14 and 27).
# chromium: the HTML report is opened headless and looked at.
# stress-ng: programs the classifier was never trained on (tests/workloads/stressng_eval.py).
REQUIRED=(
    build-essential clang make pkg-config
    libpapi-dev libunwind-dev libcjson-dev libdw-dev libelf-dev libzstd-dev
    bash coreutils git python3 python3-zstandard sqlite3 xz-utils file valgrind libxml2-utils libjemalloc2
    chromium stress-ng
)
# `make bench` only: other profilers to compare against.
BENCH=(ltrace heaptrack)

want=("${REQUIRED[@]}")
for a in "$@"; do
    case "$a" in
        --bench) want+=("${BENCH[@]}") ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "deps.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${want[@]}"; do
    # dpkg -s exits 0 for packages that are only "deinstall ok config-files": look at Status.
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
else
    echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          --no-install-recommends)
# The package lists may be missing or stale on a fresh machine: update once, then install.
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2; then
    echo "deps.sh: apt-get update failed" >&2
    exit 1
fi
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" \
        "${missing[@]}" </dev/null >&2; then
    echo "deps.sh: apt-get install failed for: ${missing[*]}" >&2
    exit 1
fi
# Confirm: a package apt silently skipped is a failure here, not later in the build.
for p in "${missing[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        echo "deps.sh: $p is still not installed" >&2
        exit 1
    fi
done
