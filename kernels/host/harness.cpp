// Runs the battery kernel on the CPU: reads a packed batch on stdin, writes
// the kernel's output buffer on stdout. Built and driven by
// tests/kernels_host.rs; compile with -include prelude.h.
//
// Input (little-endian, native): i64 symbols, i64 total, i64 offsets[symbols
// + 1], i64 open_time[total], f64 high[total], low[total], close[total], volume[total].
// Output: f64 out[34 * total], every cell the kernel leaves alone still
// holding the input's fill value (the f64 after the volumes).
#include "../battery.cu"
#include <cstdio>
#include <cstdlib>
#include <vector>

static void read_exact(void* p, size_t bytes) {
    if (fread(p, 1, bytes, stdin) != bytes) {
        fprintf(stderr, "harness: short input\n");
        exit(2);
    }
}

int main() {
    long long symbols = 0, total = 0;
    read_exact(&symbols, sizeof symbols);
    read_exact(&total, sizeof total);
    std::vector<long long> offsets(symbols + 1);
    read_exact(offsets.data(), offsets.size() * sizeof(long long));
    std::vector<long long> open_time(total);
    read_exact(open_time.data(), total * sizeof(long long));
    std::vector<double> high(total), low(total), close(total), volume(total);
    read_exact(high.data(), total * sizeof(double));
    read_exact(low.data(), total * sizeof(double));
    read_exact(close.data(), total * sizeof(double));
    read_exact(volume.data(), total * sizeof(double));
    double fill = 0.0;
    read_exact(&fill, sizeof fill);
    std::vector<double> out(34 * total, fill);
    // One "thread" per symbol, through the real entry point.
    blockDim.x = 1;
    threadIdx.x = 0;
    for (long long s = 0; s < symbols; s++) {
        blockIdx.x = (unsigned)s;
        battery_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(), offsets.data(),
                       (int)symbols, total, out.data());
    }
    if (fwrite(out.data(), sizeof(double), out.size(), stdout) != out.size()) return 3;
    return 0;
}
