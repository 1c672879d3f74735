// Included first by the engine's layer files that inline Eigen's packet code: the warnings below are about
// GCC's and Eigen's own code, not the including file's, and stay off for the rest of that file (a pragma's
// effect does not end with the header). No include guard: it only sets diagnostics.
//
// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (_mm512_undefined_*) when Eigen's packet
// code is inlined: a known false positive, not about this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// Eigen's SIMD packet types carry vector attributes that GCC drops when they are template arguments (harmless).
#pragma GCC diagnostic ignored "-Wignored-attributes"
