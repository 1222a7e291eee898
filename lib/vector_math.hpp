// exp and atan2 without branches or library calls, so that loops over many values vectorise.
//
// The C library's exp and atan2 are calls the compiler cannot vectorise; the pairwise features
// need two atan2 and four exp per edge (lib/pairwise.hpp). These stay within a few units in
// the last place of numpy's results (tests/test_vector_math.py: exp within 2, atan2 within
// 4). The polynomial of atan was fitted for this file (least squares on Chebyshev nodes,
// checked in long double); exp uses its Taylor series after the usual reduction by ln 2.
// Loops over them vectorise when built with -fno-math-errno -fno-trapping-math (setup.py and
// lib/people_op.py do): neither flag changes a result, they only let the compiler ignore errno
// and floating-point exception flags, which nothing here reads.
// Plain C++17, header-only.
#ifndef POSECUT_LIB_VECTOR_MATH_HPP
#define POSECUT_LIB_VECTOR_MATH_HPP

#include <cmath>
#include <cstdint>
#include <cstring>

namespace posecut {
namespace vmath {

inline double from_bits(uint64_t bits) {
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

inline uint64_t to_bits(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

// e^x; 0 below ln(2^-1021) = -707.7 (tiny or subnormal results), inf above 709.78, NaN for NaN.
inline double exp(double x) {
    constexpr double kLog2e = 0x1.71547652b82fep+0;
    constexpr double kLn2Hi = 0x1.62e42fefa4000p-1;  // 40 bits: k * kLn2Hi is exact
    constexpr double kLn2Lo = -0x1.8432a1b0e2634p-43;
    constexpr double kShifter = 0x1.8p52;  // adding it rounds to an integer in the low bits
    constexpr double kLowest = -0x1.61da04cbafe44p+9;  // ln(2^-1021)
    constexpr double kHighest = 0x1.62e42fefa39efp+9;  // ln of the largest double
    const double clamped = x < kLowest ? kLowest : (x > kHighest ? 710.0 : x);
    const double shifted = clamped * kLog2e + kShifter;
    const double k = shifted - kShifter;  // in -1021 .. 1024
    const uint64_t ki = to_bits(shifted) - to_bits(kShifter);
    const double r = (clamped - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ln(2) / 2
    // Taylor series to r^13 / 13!: its remainder is under 2e-16 of the result.
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // p * 2^k, as 2 * p * 2^(k - 1) so that k = 1024 overflows to inf.
    const double scale = from_bits((ki + 1022) << 52);
    return x < kLowest ? 0.0 : 2.0 * p * scale;
}

// atan2(y, x) for y >= 0 (+0 included), in [0, pi]; NaN if either is NaN.
inline double atan2_upper(double y, double x) {
    // pi, pi / 2 and pi / 4 rounded, and what the rounding left out.
    constexpr double kPi = 0x1.921fb54442d18p+1, kPiLo = 0x1.1a62633145c07p-53;
    constexpr double kHalfPi = 0x1.921fb54442d18p+0, kHalfPiLo = 0x1.1a62633145c07p-54;
    constexpr double kQuarterPi = 0x1.921fb54442d18p-1, kQuarterPiLo = 0x1.1a62633145c07p-55;
    constexpr double kTanEighthPi = 0x1.a827999fcef32p-2;
    const double ax = std::fabs(x);
    const bool swap = y > ax;
    const double num = swap ? ax : y, den = swap ? y : ax;
    const double a = den > 0.0 ? num / den : 0.0;  // in [0, 1]
    const bool shift = a > kTanEighthPi;
    // atan(a) = pi / 4 + atan((a - 1) / (a + 1)), with one rounding less from num and den.
    const double u = shift ? (num - den) / (num + den) : a;  // |u| <= tan(pi / 8)
    const double s = u * u;
    // atan(u) = u + u^3 g(u^2) on |u| <= tan(pi / 8), within 4e-16 relative.
    double g = 0.025324035855283845;
    g = g * s - 0.04692979625807757;
    g = g * s + 0.05808235100921422;
    g = g * s - 0.06663098864917508;
    g = g * s + 0.07692557995051344;
    g = g * s - 0.0909095376779585;
    g = g * s + 0.11111113639700111;
    g = g * s - 0.14285714351841772;
    g = g * s + 0.2000000000073286;
    g = g * s - 0.3333333333333561;
    double r = u + u * s * g;
    r = shift ? kQuarterPi + (r + kQuarterPiLo) : r;
    r = swap ? kHalfPi - (r - kHalfPiLo) : r;
    r = std::copysign(1.0, x) < 0.0 ? kPi - (r - kPiLo) : r;  // -0.0 as in atan2
    return (x != x || y != y) ? x + y : r;
}

// The functions over arrays, cloned for the vector units the machine has like their users in
// lib/pairwise.hpp; the tests call these.
__attribute__((target_clones("avx512f", "avx2", "default")))
inline void exp_all(const double* x, double* out, int64_t count) {
    for (int64_t i = 0; i < count; ++i) out[i] = exp(x[i]);
}

__attribute__((target_clones("avx512f", "avx2", "default")))
inline void atan2_upper_all(const double* y, const double* x, double* out, int64_t count) {
    for (int64_t i = 0; i < count; ++i) out[i] = atan2_upper(y[i], x[i]);
}

}  // namespace vmath
}  // namespace posecut

#endif  // POSECUT_LIB_VECTOR_MATH_HPP
