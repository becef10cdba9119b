#!/usr/bin/env bash
# Builds the real llama.cpp `llama-server` that the real-server tests run, once per pinned
# node-llama-cpp version (test/real-server/pin.json), and reuses it while `llama-server --version`
# answers. Only npm and apt are needed: the llama.cpp source is the git bundle inside the npm package
# node-llama-cpp, and on Linux x64 the llama / ggml / llama-common libraries come prebuilt from
# @node-llama-cpp/linux-x64 (same release), so only llama-server's own code and ggml's CPU backend
# compile.
# Adapted from the lab recipe real-llama-server-recipe/build.sh (reference notes on a real llama-server).
#
# usage: bash test/real-server/build-llama-server.sh
# env:   LMR_LLAMA_CACHE  the cache (default <repo>/.cache/llama-server-<version>); point it at an
#                         existing cache to reuse that binary
#        LMR_LLAMA_BUILD  prebuilt (default on Linux x86_64) | source (a full CPU build, 3-5x longer)
#        LMR_LLAMA_OPT    optimisation of the compiled code (default -O0 prebuilt, -O3 source)
#        FORCE=1          rebuild although a working binary is present
#        JOBS             compile jobs (default: nproc)
#        SETUP_SKIP_APT=1 never run apt (missing tools are then an error)
#
# Cache layout: bin/llama-server (+ the .so files beside it, found through RUNPATH $ORIGIN),
# src/llama.cpp (gguf-py, models/ggml-vocab-*.gguf, models/templates/*.jinja: make-models.sh uses
# them), build-<mode>/ (cmake), build-times.txt (how long each step took).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=$(node -p "require('$HERE/pin.json').nodeLlamaCpp")
CACHE=${LMR_LLAMA_CACHE:-$ROOT/.cache/llama-server-$VERSION}
JOBS=${JOBS:-$(nproc)}
if [ -z "${LMR_LLAMA_BUILD:-}" ]; then
  LMR_LLAMA_BUILD=source
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && LMR_LLAMA_BUILD=prebuilt
fi
case "$LMR_LLAMA_BUILD" in prebuilt|source) ;; *) echo "LMR_LLAMA_BUILD must be prebuilt or source" >&2; exit 2 ;; esac
# -O0 for llama-server's own code: it compiles in half the time (64 s instead of 131 s on 2 cores) and
# costs nothing measurable at run time, where ggml and llama (prebuilt, optimised) do the work.
OPT=${LMR_LLAMA_OPT:-$([ "$LMR_LLAMA_BUILD" = prebuilt ] && echo -O0 || echo -O3)}

SRC=$CACHE/src
BIN=$CACHE/bin
BUILD=$CACHE/build-$LMR_LLAMA_BUILD
TIMES=$CACHE/build-times.txt
mkdir -p "$SRC" "$BIN"
# npm writes nothing into $HOME (as test/host/setup.sh)
export npm_config_cache=$CACHE/npm-cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

now() { date +%s; }
T_ALL=$(now)
log() { printf '[build-llama-server %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
STEPS=()
took() { STEPS+=("$1=$(( $(now) - $2 ))"); log "$1: $(( $(now) - $2 )) s"; }

if [ -z "${FORCE:-}" ] && "$BIN/llama-server" --version >/dev/null 2>&1; then
  log "reusing $BIN/llama-server ($("$BIN/llama-server" --version 2>&1 | head -1))"
  exit 0
fi
log "building llama-server ($LMR_LLAMA_BUILD, node-llama-cpp $VERSION, -j$JOBS $OPT) into $CACHE"

# ── build tools ─────────────────────────────────────────────────────────────────────────────────
t=$(now)
declare -A PKG=([cmake]=cmake [g++]=g++ [ninja]=ninja-build [git]=git [ccache]=ccache)
missing=()
for tool in "${!PKG[@]}"; do command -v "$tool" >/dev/null || missing+=("${PKG[$tool]}"); done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  [ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
  if [ "${SETUP_SKIP_APT:-}" = 1 ] || { [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; }; then
    log "missing: ${missing[*]} (apt-get install ${missing[*]})"
  else
    log "apt-get install ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
for tool in cmake g++ git; do command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is required" >&2; exit 1; }; done
took tools "$t"

# ── llama.cpp source: npm pack node-llama-cpp → llama/gitRelease.bundle → git clone ────────────
t=$(now)
if [ ! -f "$SRC/llama.cpp/CMakeLists.txt" ]; then
  tgz=$SRC/node-llama-cpp-$VERSION.tgz
  [ -f "$tgz" ] || (cd "$SRC" && npm pack "node-llama-cpp@$VERSION" --silent >/dev/null)
  rm -rf "$SRC/package" "$SRC/llama.cpp.tmp"
  tar -xzf "$tgz" -C "$SRC" package/llama/gitRelease.bundle package/llama/binariesGithubRelease.json
  git -c advice.detachedHead=false clone -q "$SRC/package/llama/gitRelease.bundle" "$SRC/llama.cpp.tmp"
  mv "$SRC/llama.cpp.tmp" "$SRC/llama.cpp"
  rm -rf "$SRC/package" "$tgz"
fi
log "source: $SRC/llama.cpp @ $(git -C "$SRC/llama.cpp" rev-parse --short HEAD)"
took source "$t"

# ── prebuilt libraries: @node-llama-cpp/linux-x64 bins/linux-x64 ────────────────────────────────
LIBS=$SRC/prebuilt-linux-x64
if [ "$LMR_LLAMA_BUILD" = prebuilt ]; then
  t=$(now)
  if [ ! -f "$LIBS/libllama-common.so" ]; then
    rm -rf "$SRC/prebuilt.tmp" && mkdir -p "$SRC/prebuilt.tmp"
    (cd "$SRC/prebuilt.tmp" && npm pack "@node-llama-cpp/linux-x64@$VERSION" --silent >/dev/null && tar -xzf ./*.tgz)
    rm -rf "$LIBS" && mv "$SRC/prebuilt.tmp/package/bins/linux-x64" "$LIBS" && rm -rf "$SRC/prebuilt.tmp"
  fi
  took prebuilt-libs "$t"
fi

# ── configure + build ───────────────────────────────────────────────────────────────────────────
t=$(now)
gen=() launcher=()
command -v ninja >/dev/null && gen=(-G Ninja)
if command -v ccache >/dev/null; then
  export CCACHE_DIR=$CACHE/ccache
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
common=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=$OPT -DNDEBUG" "-DCMAKE_CXX_FLAGS_RELEASE=$OPT -DNDEBUG")
mkdir -p "$BUILD"
if [ "$LMR_LLAMA_BUILD" = prebuilt ]; then
  cmake -S "$HERE/prebuilt" -B "$BUILD" "${gen[@]}" "${launcher[@]}" "${common[@]}" \
    -DLLAMA_SRC="$SRC/llama.cpp" -DPREBUILT_LIBS="$LIBS" >"$BUILD/configure.log" 2>&1 \
    || { tail -40 "$BUILD/configure.log" >&2; exit 1; }
else
  cmake -S "$SRC/llama.cpp" -B "$BUILD" "${gen[@]}" "${launcher[@]}" "${common[@]}" \
    -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >"$BUILD/configure.log" 2>&1 \
    || { tail -40 "$BUILD/configure.log" >&2; exit 1; }
fi
took configure "$t"

t=$(now)
cmake --build "$BUILD" --target llama-server -j "$JOBS" >"$BUILD/build.log" 2>&1 || { tail -60 "$BUILD/build.log" >&2; exit 1; }
took build "$t"

# ── prebuilt route: ggml's CPU backend from source, with OpenMP ─────────────────────────────────
# The prebuilt CPU backends are built without OpenMP: their threads busy-wait at every barrier, so
# with more threads than free cores (the wrapper's --threads 8 on 2 cores) a 40-token tool call took
# 37 s instead of 0.7 s. ggml loads the backend at run time from the executable's folder; ours is the
# only libggml-cpu*.so there. Instruction sets: what this machine has (the cache is per machine).
CPU_BUILD=$CACHE/build-ggml-cpu
if [ "$LMR_LLAMA_BUILD" = prebuilt ]; then
  t=$(now)
  isa=()
  for f in sse4_2:SSE42 avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2; do
    if grep -qw "${f%%:*}" /proc/cpuinfo; then isa+=("-DGGML_${f#*:}=ON"); else isa+=("-DGGML_${f#*:}=OFF"); fi
  done
  mkdir -p "$CPU_BUILD"
  cmake -S "$SRC/llama.cpp" -B "$CPU_BUILD" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=ON "${isa[@]}" \
    -DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN' \
    -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF >"$CPU_BUILD/configure.log" 2>&1 \
    || { tail -40 "$CPU_BUILD/configure.log" >&2; exit 1; }
  cmake --build "$CPU_BUILD" --target ggml-cpu -j "$JOBS" >"$CPU_BUILD/build.log" 2>&1 || { tail -60 "$CPU_BUILD/build.log" >&2; exit 1; }
  took cpu-backend "$t"
fi

# ── install into bin/ (atomically: a half-copied binary must not look usable) ───────────────────
rm -rf "$BIN.tmp" && mkdir -p "$BIN.tmp"
install -m 0755 "$BUILD/bin/llama-server" "$BIN.tmp/llama-server"
if [ "$LMR_LLAMA_BUILD" = prebuilt ]; then
  cp "$LIBS"/libllama*.so "$LIBS"/libggml.v*.so "$LIBS"/libggml-base.so "$CPU_BUILD/bin/libggml-cpu.so" "$BIN.tmp/"
fi
rm -rf "$BIN" && mv "$BIN.tmp" "$BIN"
"$BIN/llama-server" --version 2>&1 | sed 's/^/  /'
"$BIN/llama-server" --version >/dev/null 2>&1 || { echo "build-llama-server: the new binary does not run" >&2; exit 1; }

STEPS+=("total=$(( $(now) - T_ALL ))")
{ printf 'mode=%s\njobs=%s\nopt=%s\nnproc=%s\n' "$LMR_LLAMA_BUILD" "$JOBS" "$OPT" "$(nproc)"; printf '%s\n' "${STEPS[@]}"; } >"$TIMES"
log "done in $(( $(now) - T_ALL )) s (steps in $TIMES)"
