#!/usr/bin/env bash
# The GPU device check in one command, for a session lent a GPU for a few
# minutes (kernels/README.md, "Device check"):
#   1. finds cargo and libnvrtc, records the machine (nvidia-smi, versions);
#   2. builds `qtrade` and the gpu_check example in release, offline first;
#   3. `qtrade kernels`: the NVRTC compile check, for the device's arch;
#   4. the example in --quick mode (smoke, seconds), then in full mode
#      (400 symbols x 10,000 candles, 200 live ticks) unless --quick.
# Writes everything under $OUT (default ./gpu-report): gpu_check.md and
# gpu_check.json (full run; quick/ holds the smoke run's), one log per step,
# env.txt. Prints the elapsed time per step and the report at the end.
# Exit code: the example's (0 checks passed, 1 a check failed, 2 no usable
# CUDA), 3 when the build or the toolchain failed.
#
#   OUT=/some/dir scripts/gpu_check.sh [--quick] [--dry-run]
#   scripts/gpu_check.sh --prepare
#
# The device machine has no Rust toolchain: --prepare (here) builds the
# example in release into gpu-bin/ (git-ignored; stripped) with a tarball of
# the CI wheel's NVRTC 12.9 beside it, and the device session carries
# gpu-bin (about 34 MB with the tree's 12 MB, under the tool's 64 MiB):
#   run(command="scripts/gpu_check.sh", carry=["gpu-bin"], timeout_s=600)
# With gpu-bin/gpu_check present nothing is built; `qtrade kernels` runs
# only where a qtrade binary is (CI runs it for every kernel anyway).
# $OUT gets at most 8 files (the tool's limit): env.txt, build.log,
# kernels.log, quick.log, quick.md, full.log, gpu_check.md, gpu_check.json.
#
# --dry-run passes on to the example (a CPU stand-in in the GPU's place), to
# try this script on a machine without a GPU; GPU_CHECK_PROFILE=dev builds
# the dev profile instead of release there (no GPU figure either way).
set -uo pipefail
cd "$(dirname "$0")/.."

QUICK=0
DRY=()
PREPARE=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --dry-run) DRY=(--dry-run) ;;
    --prepare) PREPARE=1 ;;
    *) echo "usage: scripts/gpu_check.sh [--quick] [--dry-run] | --prepare" >&2; exit 64 ;;
  esac
done
PROFILE="${GPU_CHECK_PROFILE:-release}"
BIN="${GPU_CHECK_BIN:-gpu-bin}"
NVRTC_TARBALL="${GPU_CHECK_NVRTC_TARBALL:-$BIN/nvrtc-lib.tar.xz}"

if [ "$PREPARE" = 1 ]; then
  set -e
  cargo build --release --locked -p quantumtrade-actors --example gpu_check
  mkdir -p "$BIN"
  cp "${CARGO_TARGET_DIR:-target}/release/examples/gpu_check" "$BIN/gpu_check"
  strip "$BIN/gpu_check"
  wheel=$(ls -d target/ci-cache/cuda-wheels-*/nvidia/cuda_nvrtc 2>/dev/null | tail -1)
  wheel="${QTRADE_NVRTC_WHEEL:-$wheel}"
  if [ -n "$wheel" ] && [ ! -f "$NVRTC_TARBALL" ]; then
    (cd "$wheel" && tar -cJf - lib/libnvrtc.so.* lib/libnvrtc-builtins.so.*[0-9]) >"$NVRTC_TARBALL"
  fi
  ls -la "$BIN"
  du -sh "$BIN"
  exit 0
fi
OUT="${OUT:-$PWD/gpu-report}"
mkdir -p "$OUT"
START=$(date +%s)
# The device tool ends a command at 600 s: every step's timeout is cut to
# what is left of this budget, so the script itself always finishes (a
# step cut short still leaves its partial report under $OUT).
DEADLINE="${GPU_CHECK_DEADLINE_S:-570}"
step() { echo "== [$(($(date +%s) - START)) s] $*"; }
budget() { # budget MAX: MAX seconds, or what is left if less (at least 1)
  local left=$((DEADLINE - ($(date +%s) - START)))
  if [ "$left" -lt "$1" ]; then echo $((left > 1 ? left : 1)); else echo "$1"; fi
}

step "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
  for d in "$HOME/.cargo/bin" /usr/local/cargo/bin /root/.cargo/bin; do
    [ -x "$d/cargo" ] && export PATH="$d:$PATH" && break
  done
fi
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "cpus: $(nproc)"
  echo "cargo: $(cargo --version 2>&1)"
  echo "rustc: $(rustc --version 2>&1)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1
  nvidia-smi 2>&1 | head -15
} | tee "$OUT/env.txt"
PREBUILT=0
[ -x "$BIN/gpu_check" ] && PREBUILT=1
if [ "$PREBUILT" = 0 ] && ! command -v cargo >/dev/null 2>&1; then
  echo "gpu_check.sh: no cargo on this machine (looked on PATH and in ~/.cargo/bin) and no $BIN/gpu_check (scripts/gpu_check.sh --prepare makes it); nothing built" | tee -a "$OUT/env.txt"
  exit 3
fi

step "libnvrtc"
# cudarc dlopens libnvrtc by name (libnvrtc.so, libnvrtc.so.12, ...): the
# carried NVRTC 12.9 first (the version CI compiles the kernels with), else
# the first directory holding one, linked as libnvrtc.so when it has only
# another version's name (CUDA 13's libnvrtc.so.13).
nvrtc_dir=""
if [ -n "${QTRADE_NVRTC_DIR:-}" ]; then
  nvrtc_dir="$QTRADE_NVRTC_DIR"
elif [ -f "$NVRTC_TARBALL" ]; then
  unpack=$(mktemp -d)
  if tar -xJf "$NVRTC_TARBALL" -C "$unpack" && ls "$unpack"/lib/libnvrtc.so* >/dev/null 2>&1; then
    nvrtc_dir="$unpack/lib"
  else
    echo "cannot unpack libnvrtc from $NVRTC_TARBALL"
  fi
fi
if [ -z "$nvrtc_dir" ] && ! ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so '; then
  for d in /usr/local/cuda/lib64 /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib \
    target/ci-cache/cuda-wheels-*/nvidia/cuda_nvrtc/lib \
    $(python3 -c 'import site; print(" ".join(p + "/nvidia/cuda_nvrtc/lib" for p in site.getsitepackages()))' 2>/dev/null); do
    if ls "$d"/libnvrtc.so* >/dev/null 2>&1; then nvrtc_dir="$d"; break; fi
  done
  if [ -z "$nvrtc_dir" ]; then
    f=$(timeout 20 find /usr /opt -name 'libnvrtc.so*' -print -quit 2>/dev/null)
    [ -n "$f" ] && nvrtc_dir=$(dirname "$f")
  fi
  if [ -n "$nvrtc_dir" ] && ! ls "$nvrtc_dir"/libnvrtc.so "$nvrtc_dir"/libnvrtc.so.12 >/dev/null 2>&1; then
    links=$(mktemp -d)
    ln -s "$(ls "$nvrtc_dir"/libnvrtc.so.* | head -1)" "$links/libnvrtc.so"
    export LD_LIBRARY_PATH="$nvrtc_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    nvrtc_dir="$links"
  fi
fi
if [ -n "$nvrtc_dir" ]; then
  export LD_LIBRARY_PATH="$nvrtc_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "libnvrtc: ${nvrtc_dir:-$(ldconfig -p 2>/dev/null | grep -m1 'libnvrtc\.so' || echo 'NOT FOUND (the check will say so)')}" | tee -a "$OUT/env.txt"

profile_dir="$PROFILE"
[ "$PROFILE" = dev ] && profile_dir=debug
TARGET="${CARGO_TARGET_DIR:-target}/$profile_dir"
CHECK="$TARGET/examples/gpu_check"
QTRADE="$TARGET/qtrade"
if [ "$PREBUILT" = 1 ]; then
  step "prebuilt $BIN/gpu_check: nothing to build"
  CHECK="$BIN/gpu_check"
  QTRADE="$BIN/qtrade"
else
step "build ($PROFILE)"
BUILD=(build --profile "$PROFILE" --locked -p quantumtrade-actors --example gpu_check --bin qtrade)
# The registry cache is all a machine without internet has: offline first.
timeout "$(budget 480)" cargo "${BUILD[@]}" --offline >"$OUT/build.log" 2>&1
build_rc=$?
tail -3 "$OUT/build.log"
if [ "$build_rc" != 0 ] && [ "$build_rc" != 124 ]; then
  step "offline build failed (exit $build_rc); trying with the network"
  timeout "$(budget 420)" cargo "${BUILD[@]}" >>"$OUT/build.log" 2>&1
  build_rc=$?
  tail -5 "$OUT/build.log"
fi
if [ "$build_rc" != 0 ]; then
  echo "gpu_check.sh: the release build failed (exit $build_rc, 124 = timed out); see $OUT/build.log"
  exit 3
fi
fi

kernels_rc="not run (no qtrade binary)"
if [ -x "$QTRADE" ]; then
  step "qtrade kernels (NVRTC)"
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
  arch_args=()
  [ -n "$cc" ] && arch_args=(--arch "sm_$cc")
  timeout "$(budget 120)" "$QTRADE" kernels "${arch_args[@]}" --emit-ptx "$(mktemp -d)" 2>&1 | tee "$OUT/kernels.log"
  kernels_rc=${PIPESTATUS[0]}
fi

step "gpu_check --quick"
QUICK_DIR=$(mktemp -d)
timeout "$(budget 120)" "$CHECK" "${DRY[@]}" --quick --out "$QUICK_DIR" \
  > "$QUICK_DIR/stdout.md" 2> >(tee "$OUT/quick.log" >&2)
rc=$?
echo "gpu_check --quick: exit $rc"
[ -f "$QUICK_DIR/gpu_check.md" ] && cp "$QUICK_DIR/gpu_check.md" "$OUT/quick.md"
report="$OUT/quick.md"

if [ "$rc" = 2 ]; then
  echo "no usable CUDA (the line above says what is missing): the full run is skipped"
elif [ "$QUICK" = 0 ]; then
  step "gpu_check (full)"
  timeout "$(budget 420)" "$CHECK" "${DRY[@]}" --out "$OUT" \
    > "$(mktemp)" 2> >(tee "$OUT/full.log" >&2)
  rc=$?
  echo "gpu_check (full): exit $rc"
  report="$OUT/gpu_check.md"
fi

step "done: qtrade kernels exit $kernels_rc, gpu_check exit $rc (124 = timed out)"
if [ -f "$report" ]; then cat "$report"; else echo "no report at $report"; fi
ls -la "$OUT"
exit "$rc"
