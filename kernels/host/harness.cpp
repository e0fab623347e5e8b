// Runs the battery kernel on the CPU: reads a packed batch on stdin, writes
// the kernel's output buffer on stdout. Built and driven by
// tests/kernels_host.rs; compile with -include prelude.h.
//
// Input (little-endian, native): i64 symbols, i64 total, i64 offsets[symbols
// + 1], i64 open_time[total], f64 high[total], low[total], close[total], volume[total].
// Output: f64 out[34 * total], every cell the kernel leaves alone still
// holding the input's fill value (the f64 after the volumes).
// `harness groups`: the same through battery_groups_kernel.
//
// `harness rows`: the live mode over resident buffers. Input: i64 stride,
// i64 batches; per batch: i64 jobs, i64 count, the packed integers (i64
// begin[jobs], len[jobs], dst[count], time[count]) and f64 values[4 *
// count], as quantumtrade::node::battery_resident::Staging packs them; the
// kernels get pointers into those two buffers, as on the device. The
// buffers persist across batches (NaN at first); the scratch has 34 + 2
// columns, and every (job, group) thread runs. Output per batch: f64
// rows[jobs * 34].
#include "../battery.cu"
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>
#include <vector>

static void read_exact(void* p, size_t bytes) {
    if (fread(p, 1, bytes, stdin) != bytes) {
        fprintf(stderr, "harness: short input\n");
        exit(2);
    }
}

static long long read_i64() {
    long long v = 0;
    read_exact(&v, sizeof v);
    return v;
}

template <typename T>
static std::vector<T> read_vec(long long n) {
    std::vector<T> v(n);
    if (n > 0) read_exact(v.data(), n * sizeof(T));
    return v;
}

static int rows_mode() {
    long long stride = read_i64();
    long long batches = read_i64();
    std::vector<long long> open_time(stride, 0);
    std::vector<double> high(stride, QT_NAN), low(stride, QT_NAN), close(stride, QT_NAN),
        volume(stride, QT_NAN), out((34 + 2) * stride, QT_NAN);
    blockDim.x = 1;
    threadIdx.x = 0;
    for (long long b = 0; b < batches; b++) {
        long long jobs = read_i64();
        long long count = read_i64();
        std::vector<long long> ints = read_vec<long long>(2 * jobs + 2 * count);
        std::vector<double> values = read_vec<double>(4 * count);
        const long long* begin = ints.data();
        const long long* len = begin + jobs;
        const long long* dst = len + jobs;
        const long long* time = dst + count;
        // Cells no group writes keep a NaN payload no arithmetic makes.
        unsigned long long untouched_bits = 0x7ff8deadbeef0001ULL;
        double untouched;
        memcpy(&untouched, &untouched_bits, sizeof untouched);
        std::vector<double> rows(34 * jobs, untouched);
        for (long long i = 0; i < count; i++) {
            blockIdx.x = (unsigned)i;
            scatter_candles_kernel(dst, time, values.data(), count, open_time.data(),
                                   high.data(), low.data(), close.data(), volume.data());
        }
        for (long long t = 0; t < jobs * QT_GROUPS; t++) {
            blockIdx.x = (unsigned)(t / QT_GROUPS);
            blockIdx.y = (unsigned)(t % QT_GROUPS);
            battery_rows_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                                begin, len, (int)jobs, stride, out.data(), rows.data());
        }
        if (fwrite(rows.data(), sizeof(double), rows.size(), stdout) != rows.size()) return 3;
    }
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "rows") return rows_mode();
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
    // `harness groups`: battery_groups_kernel, two scratch columns more.
    bool groups = argc > 1 && std::string(argv[1]) == "groups";
    std::vector<double> out((groups ? 36 : 34) * total, fill);
    // One "thread" per symbol (and group), through the real entry point.
    blockDim.x = 1;
    threadIdx.x = 0;
    for (long long s = 0; s < symbols; s++) {
        blockIdx.x = (unsigned)s;
        if (!groups) {
            battery_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                           offsets.data(), (int)symbols, total, out.data());
            continue;
        }
        for (unsigned g = 0; g < QT_GROUPS; g++) {
            blockIdx.y = g;
            battery_groups_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                                  offsets.data(), (int)symbols, total, out.data());
        }
    }
    size_t cells = 34 * (size_t)total;
    if (fwrite(out.data(), sizeof(double), cells, stdout) != cells) return 3;
    return 0;
}
