// Host prelude: compiles kernels/*.cu as plain C++ on the CPU, so the
// kernel bodies can be checked against the Rust battery without a GPU
// (tests/kernels_host.rs). Use with: g++ -ffp-contract=off -include
// kernels/host/prelude.h ... (no FMA contraction, as NVRTC's --fmad=false).
#pragma once
#define QT_HOST 1
#include <cmath>
using std::fabs;
using std::sqrt;
using std::exp;
using std::fmax;
using std::fmin;
#define __global__
#define __device__
#define QT_NAN (__builtin_nan(""))
#define QT_UNROLL
// One launch coordinate set, driven by the harness one symbol at a time.
struct qt_dim3 {
    unsigned x, y, z;
};
static qt_dim3 threadIdx, blockIdx, blockDim;
