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
// buffers persist across batches (NaN at first), and every (job, group)
// thread runs. Output per batch: f64 rows[jobs * 34].
//
// `harness profile [candles [series [window]]]`: times each indicator group
// (and batch task) on this CPU, through the real entry points, over a
// random walk: the batch (battery_groups_kernel over `series` histories of
// `candles`) and the live rows (battery_rows_kernel over each history's
// last `window` candles). A GPU runs a job's tasks on separate threads, so
// the slowest bounds a batch's and a tick's latency: this is the proxy
// used to balance them without a device (scripts/kernel_profile.sh).
#include "../battery.cu"
#include <chrono>
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
        volume(stride, QT_NAN), out(34 * stride, QT_NAN);
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

// Seconds per call of `f`, the best of five rounds.
template <typename F>
static double best_of_five(F f) {
    double best = 1e300;
    for (int round = 0; round < 5; round++) {
        auto a = std::chrono::steady_clock::now();
        f();
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
        if (s < best) best = s;
    }
    return best;
}

static int profile_mode(int argc, char** argv) {
    long long n = argc > 2 ? atoll(argv[2]) : 10000;
    long long series = argc > 3 ? atoll(argv[3]) : 16;
    long long window = argc > 4 ? atoll(argv[4]) : 500;
    if (n < 1 || series < 1 || window < 1 || window > n) {
        fprintf(stderr, "harness profile: want candles >= window >= 1, series >= 1\n");
        return 2;
    }
    long long total = n * series;
    std::vector<long long> open_time(total), offsets(series + 1), begin(series), len(series);
    std::vector<double> high(total), low(total), close(total), volume(total);
    unsigned long long state = 0x9e3779b97f4a7c15ULL;
    auto uniform = [&state]() {  // xorshift64*, in [-0.5, 0.5)
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return (double)((state * 2685821657736338717ULL) >> 11) / 9007199254740992.0 - 0.5;
    };
    for (long long s = 0; s < series; s++) {
        double price = 100.0;
        offsets[s] = s * n;
        begin[s] = s * n + n - window;
        len[s] = window;
        for (long long i = 0; i < n; i++) {
            long long k = s * n + i;
            price *= 1.0 + 0.004 * uniform();
            close[k] = price;
            high[k] = price * (1.0 + 0.002 * (uniform() + 0.5));
            low[k] = price * (1.0 - 0.002 * (uniform() + 0.5));
            volume[k] = 1000.0 * (1.5 + uniform());
            open_time[k] = i * 60000;
        }
    }
    offsets[series] = total;
    std::vector<double> out(34 * total, 0.0), rows(34 * series, 0.0);
    blockDim.x = 1;
    threadIdx.x = 0;
    double batch_sum = 0.0, batch_max = 0.0, live_sum = 0.0, live_max = 0.0;
    // Batch tasks (the groups, then CCI's further chunks) and live groups.
    printf("task  batch ns/candle  live us/job\n");
    for (unsigned g = 0; g < QT_BATCH_TASKS; g++) {
        blockIdx.y = g;
        double batch = best_of_five([&] {
            for (long long s = 0; s < series; s++) {
                blockIdx.x = (unsigned)s;
                battery_groups_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                                      offsets.data(), (int)series, total, out.data());
            }
        }) / (double)total * 1e9;
        batch_sum += batch;
        if (batch > batch_max) batch_max = batch;
        if (g >= QT_GROUPS) {
            printf("%4u  %15.2f  %11s\n", g, batch, "-");
            continue;
        }
        double live = best_of_five([&] {
            for (long long j = 0; j < series; j++) {
                blockIdx.x = (unsigned)j;
                battery_rows_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                                    begin.data(), len.data(), (int)series, total, out.data(), rows.data());
            }
        }) / (double)series * 1e6;
        printf("%4u  %15.2f  %11.2f\n", g, batch, live);
        live_sum += live;
        if (live > live_max) live_max = live;
    }
    printf("all tasks  %10.2f  %11.2f\n", batch_sum, live_sum);
    printf("slowest    %10.2f  %11.2f\n", batch_max, live_max);
    printf("candles %lld series %lld window %lld\n", n, series, window);
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "rows") return rows_mode();
    if (argc > 1 && std::string(argv[1]) == "profile") return profile_mode(argc, argv);
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
    // `harness groups`: battery_groups_kernel.
    bool groups = argc > 1 && std::string(argv[1]) == "groups";
    std::vector<double> out(34 * total, fill);
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
        for (unsigned g = 0; g < QT_BATCH_TASKS; g++) {
            blockIdx.y = g;
            battery_groups_kernel(open_time.data(), high.data(), low.data(), close.data(), volume.data(),
                                  offsets.data(), (int)symbols, total, out.data());
        }
    }
    if (fwrite(out.data(), sizeof(double), out.size(), stdout) != out.size()) return 3;
    return 0;
}
