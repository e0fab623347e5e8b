#!/usr/bin/env bash
# Times each indicator group of kernels/battery.cu on this CPU (the kernels
# compiled as host C++, as tests/kernels_host.rs builds them): batch
# nanoseconds a candle and live microseconds a job, and the slowest group,
# which bounds a GPU batch's and tick's latency. A proxy for balancing the
# groups where no GPU is lent; the device check (scripts/gpu_check.sh)
# measures the real thing.
#
# Usage: scripts/kernel_profile.sh [candles [series [window]]]
# (default 10000 16 500).
set -euo pipefail
cd "$(dirname "$0")/.."
cxx="${CXX:-g++}"
exe="${TMPDIR:-/tmp}/qt_kernel_profile"
"$cxx" -O2 -std=c++17 -ffp-contract=off -include kernels/host/prelude.h \
    -o "$exe" kernels/host/harness.cpp
"$exe" profile "$@"
