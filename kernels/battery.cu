// The indicator battery on the GPU: one thread per symbol, f64, over ragged
// histories in structure-of-arrays layout.
//
// Inputs: open_time (ms since the epoch), high, low, close, volume hold every symbol's
// candles back to back, oldest first; symbol s owns [offsets[s],
// offsets[s+1]). Output: column c of symbol s at candle t is
// out[c * total + offsets[s] + t], c in the Column order of
// src/indicators/battery.rs; the kernel writes only the columns listed in
// quantumtrade::node::battery_layout::KERNEL_COLUMNS and leaves the others
// alone (the host fills them).
//
// Each __device__ function is a line-by-line port of the batch function in
// src/indicators/ named beside it, in the same operation order, so results
// match the CPU to 1e-9 relative when compiled without FMA contraction
// (NVRTC --fmad=false). The bodies are plain C: with kernels/host/prelude.h
// the same file compiles as host C++ for the CPU-side check in
// tests/kernels_host.rs.

#ifndef QT_HOST
#define QT_NAN __longlong_as_double(0x7ff8000000000000LL)
// Loops over a template period: unrolled, so their arrays stay in registers.
#define QT_UNROLL _Pragma("unroll")
#endif

// Column indices (Column enum order).
#define COL_RSI14 0
#define COL_STOCHRSI_K 1
#define COL_STOCHRSI_D 2
#define COL_WILLR14 3
#define COL_CCI20 4
#define COL_MACD 5
#define COL_MACD_SIGNAL 6
#define COL_MACD_HIST 7
#define COL_EMA20 8
#define COL_SMA20 9
#define COL_ALMA9 10
#define COL_VIDYA14 11
#define COL_T35 12
#define COL_SUPERTREND 13
#define COL_SUPERTREND_DIR 14
#define COL_PSAR 15
#define COL_PLUS_DI14 16
#define COL_MINUS_DI14 17
#define COL_ADX14 18
#define COL_BB_UPPER 19
#define COL_BB_MIDDLE 20
#define COL_BB_LOWER 21
#define COL_BB_PERCENT_B 22
#define COL_BB_WIDTH 23
#define COL_KC_UPPER 24
#define COL_KC_MIDDLE 25
#define COL_KC_LOWER 26
#define COL_ATR14 27
#define COL_NATR14 28
#define COL_VWAP 29
#define COL_AD 30
#define COL_CMF20 31
#define COL_OBV 32
#define COL_MFI14 33
#define COL_COUNT 34

__device__ static inline int qt_is_nan(double v) { return v != v; }

// NaN into out[from, to).
__device__ static inline void qt_fill_nan_range(double* out, long long from, long long to) {
    for (long long i = from; i < to; i++) out[i] = QT_NAN;
}

__device__ static inline void qt_fill_nan(double* out, long long n) { qt_fill_nan_range(out, 0, n); }

// Window indicators take `from`: they write only outputs [from, n), each
// equal to what the whole run over [0, n) writes there, starting from as
// few candles before `from` as that needs. A live row (from = n - 1) then
// costs a window, not a history, and a long history splits into chunks on
// separate threads. Equal means bit-equal for the indicators that re-sum
// their window (exact extremes, ring sums, resynchronised sums), and to
// rounding for the running sums (SMA, MFI, StochRSI's smoothing).

// talib_compat.rs: true_range
__device__ static inline double qt_true_range(double high, double low, double prev_close) {
    double greatest = high - low;
    double v2 = fabs(prev_close - high);
    if (v2 > greatest) greatest = v2;
    double v3 = fabs(prev_close - low);
    if (v3 > greatest) greatest = v3;
    return greatest;
}

// talib_compat.rs: is_zero_scaled
__device__ static inline int qt_is_zero_scaled(double v, double scale) {
    return fabs(v) <= 0.00000000000001 * scale;
}

// momentum/rsi.rs: rsi_into
__device__ static inline double qt_rsi_value(double gain, double loss) {
    double total = gain + loss;
    return total > 0.0 ? 100.0 * (gain / total) : 0.0;
}

__device__ static void qt_rsi(const double* close, long long n, long long period, double* out) {
    qt_fill_nan(out, n);
    if (n <= period) return;
    double inv = 1.0 / (double)period;
    double n1 = (double)(period - 1);
    double gain = 0.0, loss = 0.0;
    for (long long i = 1; i <= period; i++) {
        double d = close[i] - close[i - 1];
        double up = d > 0.0 ? d : 0.0;
        gain += up;
        loss += up - d;
    }
    gain *= inv;
    loss *= inv;
    out[period] = qt_rsi_value(gain, loss);
    for (long long i = period + 1; i < n; i++) {
        double d = close[i] - close[i - 1];
        double up = d > 0.0 ? d : 0.0;
        double down = up - d;
        gain = (gain * n1 + up) * inv;
        loss = (down + loss * n1) * inv;
        out[i] = qt_rsi_value(gain, loss);
    }
}

// trend/ema.rs: ema_with_k
__device__ static void qt_ema(const double* x, long long n, long long period, double* out) {
    double k = 2.0 / ((double)period + 1.0);
    qt_fill_nan(out, n);
    if (n < period) return;
    double sum = 0.0;
    for (long long i = 0; i < period; i++) sum += x[i];
    double prev = sum / (double)period;
    out[period - 1] = prev;
    for (long long i = period; i < n; i++) {
        prev += (x[i] - prev) * k;
        out[i] = prev;
    }
}

// trend/sma.rs: sma (outputs [from, n))
__device__ static void qt_sma(const double* x, long long from, long long n, long long period, double* out) {
    qt_fill_nan_range(out, from, n < period - 1 ? n : period - 1);
    if (n < period) return;
    long long begin = from + 1 > period ? from + 1 - period : 0;
    double sum = 0.0;
    for (long long i = begin; i < begin + period - 1; i++) sum += x[i];
    for (long long i = begin + period - 1; i < n; i++) {
        sum += x[i];
        out[i] = sum / (double)period;
        sum -= x[i + 1 - period];
    }
}

// momentum/macd.rs: macd (signal > 1)
__device__ static void qt_macd(const double* close, long long n, long long fast_p, long long slow_p,
                               long long signal_p, double* macd, double* signal_out, double* hist) {
    qt_fill_nan(macd, n);
    qt_fill_nan(signal_out, n);
    qt_fill_nan(hist, n);
    long long seed = slow_p - 1;
    long long first = seed + signal_p - 1;
    if (n <= first) return;
    double slow = 0.0;
    for (long long i = 0; i < slow_p - fast_p; i++) slow += close[i];
    double fast = 0.0;
    for (long long i = slow_p - fast_p; i < seed; i++) {
        slow += close[i];
        fast += close[i];
    }
    slow = (slow + close[seed]) / (double)slow_p;
    fast = (fast + close[seed]) / (double)fast_p;
    double k_fast = 2.0 / (double)(fast_p + 1);
    double k_slow = 2.0 / (double)(slow_p + 1);
    double k_signal = 2.0 / (double)(signal_p + 1);
    double m = fast - slow;
    double signal = m;
    for (long long i = seed + 1; i <= first; i++) {
        slow = (close[i] - slow) * k_slow + slow;
        fast = (close[i] - fast) * k_fast + fast;
        m = fast - slow;
        signal += m;
    }
    signal /= (double)signal_p;
    macd[first] = m;
    signal_out[first] = signal;
    hist[first] = m - signal;
    for (long long i = first + 1; i < n; i++) {
        slow = (close[i] - slow) * k_slow + slow;
        fast = (close[i] - fast) * k_fast + fast;
        m = fast - slow;
        signal = (m - signal) * k_signal + signal;
        macd[i] = m;
        signal_out[i] = signal;
        hist[i] = m - signal;
    }
}

// volatility/atr.rs: atr
__device__ static void qt_atr(const double* high, const double* low, const double* close, long long n,
                              long long period, double* out) {
    qt_fill_nan(out, n);
    if (n <= period) return;
    double p = (double)period;
    double sum = 0.0;
    for (long long i = 1; i <= period; i++) sum += qt_true_range(high[i], low[i], close[i - 1]);
    double prev = sum / p;
    out[period] = prev;
    for (long long i = period + 1; i < n; i++) {
        double tr = qt_true_range(high[i], low[i], close[i - 1]);
        prev = prev * ((p - 1.0) / p) + tr * (1.0 / p);
        out[i] = prev;
    }
}

// volatility/atr.rs: natr_from_atr
__device__ static void qt_natr_from_atr(const double* atr, const double* close, long long n, double* out) {
    for (long long i = 0; i < n; i++) {
        double a = atr[i];
        if (qt_is_nan(a)) out[i] = a;
        else out[i] = close[i] != 0.0 ? (a / close[i]) * 100.0 : 0.0;
    }
}

// volatility/bollinger.rs: bollinger (bands, %b, width); `middle` must
// already hold sma(close, period).
__device__ static void qt_bollinger(const double* close, long long from, long long n, long long period, double k,
                                    const double* middle, double* upper, double* lower,
                                    double* percent_b, double* width) {
    qt_fill_nan_range(upper, from, n);
    qt_fill_nan_range(lower, from, n);
    qt_fill_nan_range(percent_b, from, n);
    qt_fill_nan_range(width, from, n);
    double shift = 0.0, s1 = 0.0, s2 = 0.0;
    long long equal_run = 0;
    // The sums are resynchronised every `period` candles: from the one
    // before the resync at or before `from`, the state matches the whole
    // run's, and so does the equal-close run up to `period`.
    long long begin = from / period * period - period;
    if (begin < 0) begin = 0;
    for (long long t = begin; t < n; t++) {
        double x = close[t];
        equal_run = (t > begin && close[t - 1] == x) ? equal_run + 1 : 1;
        if (t % period == 0) {
            shift = x;
            s1 = 0.0;
            s2 = 0.0;
            long long from = t + 1 >= period ? t + 1 - period : 0;
            for (long long j = from; j <= t; j++) {
                double d = close[j] - x;
                s1 += d;
                s2 += d * d;
            }
        } else {
            double d = x - shift;
            s1 += d;
            s2 += d * d;
            if (t >= period) {
                double o = close[t - period] - shift;
                s1 -= o;
                s2 -= o * o;
            }
        }
        if (t + 1 >= period && t >= from) {
            double sd;
            if (equal_run >= period) {
                sd = 0.0;
            } else {
                double inv = 1.0 / (double)period;
                double var = (s2 - s1 * s1 * inv) * inv;
                sd = var > 0.0 ? sqrt(var) : 0.0;
            }
            double m = middle[t];
            double dev = k * sd;
            double up = m + dev, lo = m - dev;
            upper[t] = up;
            lower[t] = lo;
            percent_b[t] = up == lo ? QT_NAN : (x - lo) / (up - lo);
            width[t] = m == 0.0 ? QT_NAN : (up - lo) / m;
        }
    }
}

// volatility/keltner.rs: keltner_from; `upper` holds the ATR on entry.
__device__ static void qt_keltner_from(const double* ema, long long n, double multiplier, double* upper,
                                       double* middle, double* lower) {
    for (long long i = 0; i < n; i++) {
        double m = ema[i], a = upper[i];
        if (!qt_is_nan(m) && !qt_is_nan(a)) {
            upper[i] = m + multiplier * a;
            middle[i] = m;
            lower[i] = m - multiplier * a;
        } else {
            upper[i] = QT_NAN;
            middle[i] = QT_NAN;
            lower[i] = QT_NAN;
        }
    }
}

// momentum/willr.rs: willr, outputs [from, n) (window extremes by scan: max
// and min are exact)
__device__ static void qt_willr(const double* high, const double* low, const double* close, long long from,
                                long long n, long long period, double* out) {
    qt_fill_nan_range(out, from, n);
    for (long long t = from > period - 1 ? from : period - 1; t < n; t++) {
        double highest = high[t], lowest = low[t];
        for (long long j = t + 1 - period; j < t; j++) {
            if (high[j] > highest) highest = high[j];
            if (low[j] < lowest) lowest = low[j];
        }
        double range = highest - lowest;
        if (qt_is_zero_scaled(range, fabs(highest) + fabs(lowest))) {
            out[t] = 0.0;
            continue;
        }
        double v = ((highest - close[t]) / range) * -100.0;
        if (v < -100.0) v = -100.0;
        if (v > 0.0) v = 0.0;
        out[t] = v;
    }
}

// momentum/cci.rs: slot_sum4 over the streaming ring (four accumulators
// over whole chunks, then the remainder, in slot order): v or |v - avg|.
template <int PERIOD>
__device__ static double qt_cci_ring_sum(const double* ring, int abs_dev, double avg) {
    const int whole = PERIOD / 4 * 4;
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    QT_UNROLL
    for (int k = 0; k < whole; k++) acc[k % 4] += abs_dev ? fabs(ring[k] - avg) : ring[k];
    double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    QT_UNROLL
    for (int k = whole; k < PERIOD; k++) sum += abs_dev ? fabs(ring[k] - avg) : ring[k];
    return sum;
}

// momentum/cci.rs: cci, outputs [from, n). The typical prices live in a
// ring as the streaming state keeps them (candle i in slot i mod PERIOD),
// summed in slot order: the batch's values to the bit. The candles go in
// blocks of PERIOD from a multiple of PERIOD, so a candle's slot is its
// place in the block, known when compiled: the ring stays in registers.
template <int PERIOD>
__device__ static void qt_cci(const double* high, const double* low, const double* close, long long from,
                              long long n, double* out) {
    qt_fill_nan_range(out, from, n);
    if (n < PERIOD) return;
    const double p = (double)PERIOD;
    double ring[PERIOD] = {};
    // A window and an equal-price run of PERIOD candles before `from`.
    long long begin = from + 1 > PERIOD ? (from + 1 - PERIOD) / PERIOD * PERIOD : 0;
    long long equal_run = 0;
    double prev = 0.0;
    for (long long block = begin; block < n; block += PERIOD) {
        QT_UNROLL
        for (int slot = 0; slot < PERIOD; slot++) {
            long long t = block + slot;
            if (t >= n) break;
            double tp = (high[t] + low[t] + close[t]) / 3.0;
            equal_run = (t > begin && prev == tp) ? equal_run + 1 : 1;
            prev = tp;
            ring[slot] = tp;
            if (t + 1 < PERIOD || t < from) continue;
            if (equal_run >= PERIOD) {
                out[t] = 0.0;
                continue;
            }
            double avg = qt_cci_ring_sum<PERIOD>(ring, 0, 0.0) / p;
            double dev = qt_cci_ring_sum<PERIOD>(ring, 1, avg);
            double num = tp - avg;
            double scale = fabs(avg);
            if (qt_is_zero_scaled(num, scale)) {
                out[t] = 0.0;
                continue;
            }
            double md = dev / p;
            if (qt_is_zero_scaled(md, scale)) {
                out[t] = 0.0;
                continue;
            }
            double denom = md * 0.015;
            out[t] = denom == 0.0 ? 0.0 : num / denom;
        }
    }
}

// volume/ad.rs: ad
__device__ static void qt_ad(const double* high, const double* low, const double* close,
                             const double* volume, long long n, double* out) {
    double acc = 0.0;
    for (long long i = 0; i < n; i++) {
        double range = high[i] - low[i];
        if (range > 0.0) acc += (((close[i] - low[i]) - (high[i] - close[i])) / range) * volume[i];
        out[i] = acc;
    }
}

// volume/obv.rs: obv
__device__ static void qt_obv(const double* close, const double* volume, long long n, double* out) {
    if (n == 0) return;
    double prev = close[0], acc = volume[0];
    out[0] = acc;
    for (long long i = 1; i < n; i++) {
        double c = close[i];
        double sign = (double)((c > prev) - (c < prev));
        acc += volume[i] * sign;
        out[i] = acc;
        prev = c;
    }
}

// volume/cmf.rs: cmf (CmfState), outputs [from, n). The money flows live
// in a ring as the Rust state keeps them, in registers (blocks of PERIOD
// from a multiple of PERIOD, as qt_cci); the sums are resynchronised
// whenever a whole window has been seen, so the run starts at the window
// before the last resync at or before `from`.
template <int PERIOD>
__device__ static void qt_cmf(const double* high, const double* low, const double* close,
                              const double* volume, long long from, long long n, double* out) {
    double ring[PERIOD] = {};
    double mfv_sum = 0.0, volume_sum = 0.0;
    long long nonzero = 0;
    long long begin = from + 1 < PERIOD ? 0 : (from + 1) / PERIOD * PERIOD - PERIOD;
    for (long long block = begin; block < n; block += PERIOD) {
        int full_before = block - begin >= PERIOD;
        QT_UNROLL
        for (int slot = 0; slot < PERIOD; slot++) {
            long long i = block + slot;
            if (i >= n) break;
            double h = high[i], l = low[i], c = close[i], v = volume[i];
            double f = h == l ? 0.0 : ((c - l) - (h - c)) / (h - l) * v;
            double old_flow = full_before ? ring[slot] : 0.0;
            double old_volume = full_before ? volume[i - PERIOD] : 0.0;
            ring[slot] = f;
            nonzero += v != 0.0;
            if (full_before) nonzero -= old_volume != 0.0;
            if (slot == PERIOD - 1) {
                // A whole window seen: slots 0 .. PERIOD - 1, oldest first.
                mfv_sum = 0.0;
                volume_sum = 0.0;
                QT_UNROLL
                for (int k = 0; k < PERIOD; k++) mfv_sum += ring[k];
                for (long long j = i + 1 - PERIOD; j <= i; j++) volume_sum += volume[j];
            } else {
                mfv_sum += f - old_flow;
                volume_sum += v - old_volume;
            }
            if (i >= from) out[i] = (i + 1 >= PERIOD && nonzero > 0) ? mfv_sum / volume_sum : QT_NAN;
        }
    }
}

// trend/dmi.rs: dmi (DmiMachine)
__device__ static void qt_dmi(const double* high, const double* low, const double* close, long long n,
                              long long period, double* plus_out, double* minus_out, double* adx_out) {
    double p = (double)period;
    long long changes = 0;
    double plus_dm = 0.0, minus_dm = 0.0, trs = 0.0, dx_sum = 0.0, adx = 0.0;
    if (n > 0) {
        plus_out[0] = QT_NAN;
        minus_out[0] = QT_NAN;
        adx_out[0] = QT_NAN;
    }
    for (long long i = 1; i < n; i++) {
        double diff_p = high[i] - high[i - 1], diff_m = low[i - 1] - low[i];
        double plus = (diff_p > 0.0 && diff_p > diff_m) ? diff_p : 0.0;
        double minus = (diff_m > 0.0 && diff_p < diff_m) ? diff_m : 0.0;
        double tr = qt_true_range(high[i], low[i], close[i - 1]);
        changes += 1;
        if (changes < period) {
            plus_dm += plus;
            minus_dm += minus;
            trs += tr;
            plus_out[i] = QT_NAN;
            minus_out[i] = QT_NAN;
            adx_out[i] = QT_NAN;
            continue;
        }
        double keep = 1.0 - 1.0 / p;
        plus_dm = plus_dm * keep + plus;
        minus_dm = minus_dm * keep + minus;
        trs = trs * keep + tr;
        double plus_di = 0.0, minus_di = 0.0;
        if (trs != 0.0) {
            plus_di = 100.0 * (plus_dm / trs);
            minus_di = 100.0 * (minus_dm / trs);
        }
        double sum = plus_di + minus_di;
        int has_dx = trs != 0.0 && sum != 0.0;
        double dx = has_dx ? 100.0 * (fabs(minus_di - plus_di) / sum) : 0.0;
        long long seeding_last = 2 * period - 1;
        double adx_v;
        if (changes < seeding_last) {
            dx_sum += dx;
            adx_v = QT_NAN;
        } else if (changes == seeding_last) {
            dx_sum += dx;
            adx = dx_sum / p;
            adx_v = adx;
        } else {
            if (has_dx) adx = (adx * (p - 1.0) + dx) / p;
            adx_v = adx;
        }
        plus_out[i] = plus_di;
        minus_out[i] = minus_di;
        adx_out[i] = adx_v;
    }
}

// trend/supertrend.rs: supertrend_from_atr
__device__ static void qt_supertrend_from_atr(const double* high, const double* low, const double* close,
                                              const double* atr, long long n, double multiplier,
                                              double* value, double* dir_out) {
    int started = 0;
    double upper = 0.0, lower = 0.0, dir = 0.0, prev_close = 0.0;
    for (long long i = 0; i < n; i++) {
        if (qt_is_nan(atr[i])) {
            value[i] = QT_NAN;
            dir_out[i] = QT_NAN;
            continue;
        }
        double hl2 = (high[i] + low[i]) / 2.0, band = multiplier * atr[i];
        if (!started) {
            started = 1;
            upper = hl2 + band;
            lower = hl2 - band;
            dir = -1.0;
        } else {
            double bu = hl2 + band, bl = hl2 - band;
            double nu = (bu < upper || prev_close > upper) ? bu : upper;
            double nl = (bl > lower || prev_close < lower) ? bl : lower;
            if (dir < 0.0) dir = close[i] > nu ? 1.0 : -1.0;
            else dir = close[i] < nl ? -1.0 : 1.0;
            upper = nu;
            lower = nl;
        }
        prev_close = close[i];
        value[i] = dir > 0.0 ? lower : upper;
        dir_out[i] = dir;
    }
}

// trend/psar.rs: psar (SarState)
__device__ static void qt_psar(const double* high, const double* low, long long n, double acceleration,
                               double maximum, double* out) {
    qt_fill_nan(out, n);
    if (n < 2) return;
    double acc = fmin(acceleration, maximum);
    double diff_p = high[1] - high[0], diff_m = low[0] - low[1];
    int is_long = !(diff_m > 0.0 && diff_p < diff_m);
    double sar = is_long ? low[0] : high[0];
    double ep = is_long ? high[1] : low[1];
    double af = acc;
    double prev_high = high[1], prev_low = low[1];
    for (long long i = 1; i < n; i++) {
        double h = high[i], l = low[i];
        double o;
        if (is_long) {
            if (l <= sar) {
                is_long = 0;
                sar = fmax(fmax(ep, prev_high), h);
                o = sar;
                af = acc;
                ep = l;
                sar += af * (ep - sar);
                sar = fmax(fmax(sar, prev_high), h);
            } else {
                o = sar;
                if (h > ep) {
                    ep = h;
                    af = fmin(af + acc, maximum);
                }
                sar += af * (ep - sar);
                sar = fmin(fmin(sar, prev_low), l);
            }
        } else if (h >= sar) {
            is_long = 1;
            sar = fmin(fmin(ep, prev_low), l);
            o = sar;
            af = acc;
            ep = h;
            sar += af * (ep - sar);
            sar = fmin(fmin(sar, prev_low), l);
        } else {
            o = sar;
            if (l < ep) {
                ep = l;
                af = fmin(af + acc, maximum);
            }
            sar += af * (ep - sar);
            sar = fmax(fmax(sar, prev_high), h);
        }
        prev_high = h;
        prev_low = l;
        out[i] = o;
    }
}

// trend/alma.rs: alma, outputs [from, n) (the weights in registers)
template <int WINDOW>
__device__ static void qt_alma(const double* close, long long from, long long n, double offset, double sigma,
                               double* out) {
    double w[WINDOW];
    double m = offset * ((double)WINDOW - 1.0);
    double sd = (double)WINDOW / sigma;
    double total = 0.0;
    QT_UNROLL
    for (int i = 0; i < WINDOW; i++) {
        double d = (double)i - m;
        w[i] = exp(-(d * d) / (2.0 * sd * sd));
        total += w[i];
    }
    QT_UNROLL
    for (int i = 0; i < WINDOW; i++) w[i] = w[i] / total;
    qt_fill_nan_range(out, from, n);
    for (long long t = from > WINDOW - 1 ? from : WINDOW - 1; t < n; t++) {
        double sum = 0.0;
        QT_UNROLL
        for (int i = 0; i < WINDOW; i++) sum += close[t + 1 - WINDOW + i] * w[i];
        out[t] = sum;
    }
}

// trend/vidya.rs: vidya. The positive and negative parts of the last CMO
// changes live in registers, oldest first, and are summed in that order
// as the Rust window is (the same values: each change is computed once
// rather than CMO times).
template <int CMO>
__device__ static void qt_vidya(const double* close, long long n, long long period, double* out) {
    double alpha = 2.0 / ((double)period + 1.0);
    qt_fill_nan(out, n);
    if (n <= CMO) return;
    double up_part[CMO], down_part[CMO];
    for (int k = 0; k < CMO; k++) {
        double d = close[k + 1] - close[k];
        up_part[k] = fmax(d, 0.0);
        down_part[k] = fmax(-d, 0.0);
    }
    double prev = close[CMO];
    out[CMO] = prev;
    for (long long t = CMO + 1; t < n; t++) {
        double d = close[t] - close[t - 1];
        QT_UNROLL
        for (int k = 0; k + 1 < CMO; k++) {
            up_part[k] = up_part[k + 1];
            down_part[k] = down_part[k + 1];
        }
        up_part[CMO - 1] = fmax(d, 0.0);
        down_part[CMO - 1] = fmax(-d, 0.0);
        double up = 0.0, down = 0.0;
        QT_UNROLL
        for (int k = 0; k < CMO; k++) {
            up += up_part[k];
            down += down_part[k];
        }
        double total = up + down;
        double k = total == 0.0 ? 0.0 : fabs(up - down) / total;
        double ak = alpha * k;
        prev = ak * close[t] + (1.0 - ak) * prev;
        out[t] = prev;
    }
}

// trend/t3.rs: t3 (Cascade while seeding, then the six EMAs)
__device__ static void qt_t3(const double* close, long long n, long long period, double vfactor,
                             double* out) {
    double a = vfactor;
    double a2 = a * a, a3 = a * a * a;
    double k = 2.0 / ((double)period + 1.0);
    double omk = 1.0 - k;
    double c0 = -a3, c1 = 3.0 * a2 + 3.0 * a3, c2 = -6.0 * a2 - 3.0 * a - 3.0 * a3,
           c3 = 1.0 + 3.0 * a + a3 + 3.0 * a2;
    double e[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    long long level = 0, count = 0;
    double sum = 0.0;
    qt_fill_nan(out, n);
    long long t = 0;
    while (t < n) {
        double x = close[t];
        t++;
        int ready = 0;
        if (level == 0) {
            sum += x;
            count += 1;
            if (count == period) {
                e[0] = sum / (double)period;
                level = 1;
                sum = e[0];
                count = 1;
            }
            continue;
        }
        e[0] = k * x + omk * e[0];
        for (long long j = 1; j < (level < 6 ? level : 6); j++) e[j] = k * e[j - 1] + omk * e[j];
        if (level == 6) {
            ready = 1;
        } else {
            sum += e[level - 1];
            count += 1;
            if (count == period) {
                double seed = sum / (double)period;
                e[level] = seed;
                level += 1;
                sum = seed;
                count = 1;
                if (level == 6) ready = 1;
            }
        }
        if (ready) {
            out[t - 1] = c0 * e[5] + c1 * e[4] + c2 * e[3] + c3 * e[2];
            break;
        }
    }
    double e1 = e[0], e2 = e[1], e3 = e[2], e4 = e[3], e5 = e[4], e6 = e[5];
    for (; t < n; t++) {
        double x = close[t];
        e1 = k * x + omk * e1;
        e2 = k * e1 + omk * e2;
        e3 = k * e2 + omk * e3;
        e4 = k * e3 + omk * e4;
        e5 = k * e4 + omk * e5;
        e6 = k * e5 + omk * e6;
        out[t] = c0 * e6 + c1 * e5 + c2 * e4 + c3 * e3;
    }
}

// momentum/mfi.rs: flows
__device__ static inline void qt_mfi_flows(double tp, double prev_tp, double volume, double* pos,
                                           double* neg) {
    double diff = tp - prev_tp;
    double flow = qt_is_zero_scaled(diff, fabs(tp) + fabs(prev_tp)) ? 0.0 : tp * volume;
    if (diff < 0.0) {
        *pos = 0.0;
        *neg = flow;
    } else {
        *pos = flow;
        *neg = 0.0;
    }
}

// momentum/mfi.rs: mfi (FlowWindow), outputs [from, n) (to rounding: the
// sums run). The flows live in a ring as the Rust window keeps them, in
// registers (blocks of PERIOD from a multiple of PERIOD, as qt_cci).
template <int PERIOD>
__device__ static void qt_mfi(const double* high, const double* low, const double* close,
                              const double* volume, long long from, long long n, double* out) {
    qt_fill_nan_range(out, from, n);
    if (n <= PERIOD) return;
    double ring_pos[PERIOD] = {}, ring_neg[PERIOD] = {};
    long long count = 0, null_run = 0;
    double pos_sum = 0.0, neg_sum = 0.0;
    // The window's PERIOD flows end at `from`; they start a candle after
    // `begin`, whose typical price is the first `prev`.
    long long begin = from > PERIOD ? (from - PERIOD) / PERIOD * PERIOD : 0;
    double prev = (high[begin] + low[begin] + close[begin]) / 3.0;
    for (long long block = begin; block < n; block += PERIOD) {
        QT_UNROLL
        for (int slot = 0; slot < PERIOD; slot++) {
            long long i = block + slot;
            if (i >= n) break;
            if (i == begin) continue;
            double tp = (high[i] + low[i] + close[i]) / 3.0;
            double pos, neg;
            qt_mfi_flows(tp, prev, volume[i], &pos, &neg);
            prev = tp;
            if (count >= PERIOD) {
                pos_sum -= ring_pos[slot];
                neg_sum -= ring_neg[slot];
            } else {
                count += 1;
            }
            ring_pos[slot] = pos;
            ring_neg[slot] = neg;
            pos_sum += pos;
            neg_sum += neg;
            if (pos + neg == 0.0) {
                null_run += 1;
                if (null_run >= PERIOD) {
                    null_run = PERIOD;
                    pos_sum = 0.0;
                    neg_sum = 0.0;
                }
            } else {
                null_run = 0;
            }
            if (count >= PERIOD && i >= from) {
                double total = pos_sum + neg_sum;
                double clamped = pos_sum < 0.0 ? 0.0 : (total < pos_sum ? total : pos_sum);
                out[i] = total <= 0.0 ? 0.0 : 100.0 * (clamped / total);
            }
        }
    }
}

// volume/vwap.rs: vwap, anchored at 00:00 UTC (open_time in ms)
__device__ static void qt_vwap(const long long* open_time, const double* high, const double* low,
                               const double* close, const double* volume, long long n, double* out) {
    const long long day_ms = 86400000LL;
    int have_day = 0;
    long long day = 0;
    double pv = 0.0, vol = 0.0;
    for (long long i = 0; i < n; i++) {
        long long d = open_time[i] / day_ms;
        if (open_time[i] % day_ms < 0) d -= 1;  // div_euclid
        if (!have_day || day != d) {
            have_day = 1;
            day = d;
            pv = 0.0;
            vol = 0.0;
        }
        pv += (high[i] + low[i] + close[i]) / 3.0 * volume[i];
        vol += volume[i];
        out[i] = vol != 0.0 ? pv / vol : QT_NAN;
    }
}

// momentum/stochrsi.rs: sma_into
__device__ static void qt_sma_into(const double* x, long long len, long long period, double* out) {
    if (len < period) return;
    double sum = 0.0;
    for (long long i = 0; i < period - 1; i++) sum += x[i];
    for (long long i = period - 1; i < len; i++) {
        sum += x[i];
        out[i] = sum / (double)period;
        sum -= x[i + 1 - period];
    }
}

// momentum/stochrsi.rs: stochrsi_from_rsi, outputs [from, n) (to rounding
// where from > 0: the smoothing sums run). The k and d columns double as
// scratch below `from`, in the same order as the Rust code.
template <int FASTK>
__device__ static void qt_stochrsi_from_rsi(const double* rsi, long long from, long long n,
                                            long long rsi_period, long long slowk, long long slowd,
                                            double* k, double* d) {
    long long first = rsi_period + FASTK + slowk + slowd - 3;
    if (n > first) {
        long long start = rsi_period;
        // The fast %K a value at `from` is smoothed from.
        long long k_src = start + FASTK - 1;
        long long lead = from - (slowk - 1) - (slowd - 1);
        if (lead > k_src) k_src = lead;
        // Window extremes by van Herk / Gil-Werman, as the Rust code: in
        // blocks of FASTK from the first window's start, a window is a
        // suffix of the block before and a prefix of its own. Exact, no
        // data-dependent branch, and the suffixes stay in registers (a
        // place in the block is known when compiled).
        long long base = k_src + 1 - FASTK;
        double suf_hi[FASTK] = {}, suf_lo[FASTK] = {};
        double pre_hi = 0.0, pre_lo = 0.0;
        for (long long block = base; block < n; block += FASTK) {
            if (block > base) {
                double hi = rsi[block - 1], lo = rsi[block - 1];
                suf_hi[FASTK - 1] = hi;
                suf_lo[FASTK - 1] = lo;
                QT_UNROLL
                for (int i = FASTK - 2; i >= 0; i--) {
                    hi = fmax(hi, rsi[block - FASTK + i]);
                    lo = fmin(lo, rsi[block - FASTK + i]);
                    suf_hi[i] = hi;
                    suf_lo[i] = lo;
                }
            }
            QT_UNROLL
            for (int at = 0; at < FASTK; at++) {
                long long t = block + at;
                if (t >= n) break;
                double x = rsi[t];
                pre_hi = at == 0 ? x : fmax(pre_hi, x);
                pre_lo = at == 0 ? x : fmin(pre_lo, x);
                if (t < k_src) continue;
                double highest = pre_hi, lowest = pre_lo;
                if (at + 1 < FASTK) {
                    highest = fmax(suf_hi[at + 1], pre_hi);
                    lowest = fmin(suf_lo[at + 1], pre_lo);
                }
                double range = highest - lowest;
                d[t] = qt_is_zero_scaled(range, fabs(highest) + fabs(lowest))
                           ? 0.0
                           : ((x - lowest) / range) * 100.0;
            }
        }
        qt_sma_into(d + k_src, n - k_src, slowk, k + k_src);
        long long d_src = k_src + slowk - 1;
        qt_sma_into(k + d_src, n - d_src, slowd, d + d_src);
    }
    long long undefined = first < n ? first : n;
    qt_fill_nan_range(k, from, undefined);
    qt_fill_nan_range(d, from, undefined);
}

// The battery's indicators in groups that share no column, so a job's
// groups can run on separate threads: a tick's latency is its slowest
// group's, not the whole battery's. `out` has COL_COUNT columns of `stride`
// and nothing more (the window indicators keep their rings in registers).
// Group g writes its columns' last values to `row`; for a row, the window
// indicators compute only their last window (from = n - 1).
#define QT_GROUPS 17

// A live batch's row gets each column's last value; a whole-history batch
// (row NULL) keeps the columns.
__device__ static void qt_put_last(double* row, const double* out, long long stride, long long n, int c) {
    if (row) row[c] = out[(long long)c * stride + n - 1];
}

__device__ static void qt_battery_group(int g, const long long* open_time, const double* high, const double* low,
                                        const double* close, const double* volume, long long n, double* out,
                                        long long stride, double* row) {
#define QT_COL(c) (out + (long long)(c) * stride)
#define QT_LAST(c) qt_put_last(row, out, stride, n, c)
    long long from = row ? n - 1 : 0;
    switch (g) {
    case 0:
        qt_rsi(close, n, 14, QT_COL(COL_RSI14));
        qt_stochrsi_from_rsi<14>(QT_COL(COL_RSI14), from, n, 14, 3, 3, QT_COL(COL_STOCHRSI_K),
                             QT_COL(COL_STOCHRSI_D));
        QT_LAST(COL_RSI14);
        QT_LAST(COL_STOCHRSI_K);
        QT_LAST(COL_STOCHRSI_D);
        break;
    case 1:
        qt_willr(high, low, close, from, n, 14, QT_COL(COL_WILLR14));
        QT_LAST(COL_WILLR14);
        break;
    case 2:
        qt_cci<20>(high, low, close, from, n, QT_COL(COL_CCI20));
        QT_LAST(COL_CCI20);
        break;
    case 3:
        qt_macd(close, n, 12, 26, 9, QT_COL(COL_MACD), QT_COL(COL_MACD_SIGNAL), QT_COL(COL_MACD_HIST));
        QT_LAST(COL_MACD);
        QT_LAST(COL_MACD_SIGNAL);
        QT_LAST(COL_MACD_HIST);
        break;
    case 4:
        // Keltner and Supertrend share the EMA and the ATR(10).
        qt_ema(close, n, 20, QT_COL(COL_EMA20));
        qt_atr(high, low, close, n, 10, QT_COL(COL_KC_UPPER));
        qt_supertrend_from_atr(high, low, close, QT_COL(COL_KC_UPPER), n, 3.0, QT_COL(COL_SUPERTREND),
                               QT_COL(COL_SUPERTREND_DIR));
        qt_keltner_from(QT_COL(COL_EMA20), n, 2.0, QT_COL(COL_KC_UPPER), QT_COL(COL_KC_MIDDLE),
                        QT_COL(COL_KC_LOWER));
        QT_LAST(COL_EMA20);
        QT_LAST(COL_SUPERTREND);
        QT_LAST(COL_SUPERTREND_DIR);
        QT_LAST(COL_KC_UPPER);
        QT_LAST(COL_KC_MIDDLE);
        QT_LAST(COL_KC_LOWER);
        break;
    case 5:
        qt_sma(close, from, n, 20, QT_COL(COL_SMA20));
        qt_bollinger(close, from, n, 20, 2.0, QT_COL(COL_SMA20), QT_COL(COL_BB_UPPER), QT_COL(COL_BB_LOWER),
                     QT_COL(COL_BB_PERCENT_B), QT_COL(COL_BB_WIDTH));
        QT_LAST(COL_SMA20);
        QT_LAST(COL_BB_UPPER);
        QT_LAST(COL_BB_LOWER);
        QT_LAST(COL_BB_PERCENT_B);
        QT_LAST(COL_BB_WIDTH);
        // The middle band is the SMA.
        for (long long i = from; i < n; i++) QT_COL(COL_BB_MIDDLE)[i] = QT_COL(COL_SMA20)[i];
        QT_LAST(COL_BB_MIDDLE);
        break;
    case 6:
        qt_alma<9>(close, from, n, 0.85, 6.0, QT_COL(COL_ALMA9));
        QT_LAST(COL_ALMA9);
        break;
    case 7:
        qt_vidya<9>(close, n, 14, QT_COL(COL_VIDYA14));
        QT_LAST(COL_VIDYA14);
        break;
    case 8:
        qt_t3(close, n, 5, 0.7, QT_COL(COL_T35));
        QT_LAST(COL_T35);
        break;
    case 9:
        qt_psar(high, low, n, 0.02, 0.2, QT_COL(COL_PSAR));
        QT_LAST(COL_PSAR);
        break;
    case 10:
        qt_dmi(high, low, close, n, 14, QT_COL(COL_PLUS_DI14), QT_COL(COL_MINUS_DI14), QT_COL(COL_ADX14));
        QT_LAST(COL_PLUS_DI14);
        QT_LAST(COL_MINUS_DI14);
        QT_LAST(COL_ADX14);
        break;
    case 11:
        qt_atr(high, low, close, n, 14, QT_COL(COL_ATR14));
        qt_natr_from_atr(QT_COL(COL_ATR14), close, n, QT_COL(COL_NATR14));
        QT_LAST(COL_ATR14);
        QT_LAST(COL_NATR14);
        break;
    case 12:
        qt_ad(high, low, close, volume, n, QT_COL(COL_AD));
        QT_LAST(COL_AD);
        break;
    case 13:
        qt_cmf<20>(high, low, close, volume, from, n, QT_COL(COL_CMF20));
        QT_LAST(COL_CMF20);
        break;
    case 14:
        qt_obv(close, volume, n, QT_COL(COL_OBV));
        QT_LAST(COL_OBV);
        break;
    case 15:
        qt_mfi<14>(high, low, close, volume, from, n, QT_COL(COL_MFI14));
        QT_LAST(COL_MFI14);
        break;
    case 16:
        qt_vwap(open_time, high, low, close, volume, n, QT_COL(COL_VWAP));
        QT_LAST(COL_VWAP);
        break;
    default:
        break;
    }
#undef QT_LAST
#undef QT_COL
}

// Entry point: thread s computes symbol s, every group in turn (column c
// of symbol s at candle t is out[c * total + offsets[s] + t]).
extern "C" __global__ void battery_kernel(const long long* open_time, const double* high, const double* low, const double* close,
                                          const double* volume, const long long* offsets,
                                          int symbols, long long total, double* out) {
    int s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= symbols) return;
    long long from = offsets[s];
    long long n = offsets[s + 1] - from;
    for (int g = 0; g < QT_GROUPS; g++)
        qt_battery_group(g, open_time + from, high + from, low + from, close + from, volume + from, n, out + from,
                         total, 0);
}

// Live mode: histories resident on the device (host bookkeeping:
// quantumtrade::node::battery_resident). The candle buffers are slot-major,
// `stride` candles in all; a batch first scatters its new candles into
// place, then computes each job's window where it lies and writes only the
// window's last row, so only new candles go up and only rows come back.

// Thread i writes new candle i (packed: times, then four f64 columns of
// `count`) to buffer index dst[i].
extern "C" __global__ void scatter_candles_kernel(const long long* dst, const long long* new_time,
                                                  const double* new_values, long long count,
                                                  long long* open_time, double* high, double* low,
                                                  double* close, double* volume) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    long long d = dst[i];
    open_time[d] = new_time[i];
    high[d] = new_values[i];
    low[d] = new_values[count + i];
    close[d] = new_values[2 * count + i];
    volume[d] = new_values[3 * count + i];
}

// The batch over whole histories with the groups on separate threads:
// thread (s, g) computes task g of symbol s (layout as battery_kernel's):
// tasks below QT_GROUPS are
// the groups, except that CCI, the costliest group by far (two sums of its
// window a candle), runs as QT_CCI_CHUNKS stretches of the history, group
// 2 the first and the tasks from QT_GROUPS on the others. 19 times the
// threads of battery_kernel, each with a fraction of its work.
#define QT_CCI_CHUNKS 3
#define QT_BATCH_TASKS 19
static_assert(QT_BATCH_TASKS == QT_GROUPS + QT_CCI_CHUNKS - 1, "one task per group and CCI chunk");
extern "C" __global__ void battery_groups_kernel(const long long* open_time, const double* high, const double* low,
                                                 const double* close, const double* volume,
                                                 const long long* offsets, int symbols, long long total,
                                                 double* out) {
    int s = blockIdx.x * blockDim.x + threadIdx.x;
    int g = blockIdx.y;
    if (s >= symbols || g >= QT_BATCH_TASKS) return;
    long long from = offsets[s];
    long long n = offsets[s + 1] - from;
    if (n <= 0) return;
    if (g == 2 || g >= QT_GROUPS) {
        long long chunk = g == 2 ? 0 : g - QT_GROUPS + 1;
        qt_cci<20>(high + from, low + from, close + from, n * chunk / QT_CCI_CHUNKS,
                   n * (chunk + 1) / QT_CCI_CHUNKS, out + (long long)COL_CCI20 * total + from);
        return;
    }
    qt_battery_group(g, open_time + from, high + from, low + from, close + from, volume + from, n, out + from,
                     total, 0);
}

// Thread (j, g) — j along x, the group g along y, so a warp runs one group
// for 32 jobs without diverging — computes group g of job j's window
// [begin[j], begin[j] + len[j]) into the columns `out` (slot-major, like
// the candles) and writes its columns' last values to rows[j * COL_COUNT +
// c] (an empty window: NaN everywhere, written by group 0).
extern "C" __global__ void battery_rows_kernel(const long long* open_time, const double* high, const double* low,
                                               const double* close, const double* volume,
                                               const long long* begin, const long long* len, int jobs,
                                               long long stride, double* out, double* rows) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    int g = blockIdx.y;
    if (j >= jobs || g >= QT_GROUPS) return;
    long long from = begin[j];
    long long n = len[j];
    double* row = rows + (long long)j * COL_COUNT;
    if (n <= 0) {
        if (g == 0)
            for (int c = 0; c < COL_COUNT; c++) row[c] = QT_NAN;
        return;
    }
    qt_battery_group(g, open_time + from, high + from, low + from, close + from, volume + from, n, out + from,
                     stride, row);
}
