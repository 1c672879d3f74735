// Around every Eigen include, and nowhere else:
//
//   #include "nnse/nn/eigen_diagnostics.h"
//   NNSE_EIGEN_WARNINGS_OFF
//   #include <Eigen/Core>
//   NNSE_EIGEN_WARNINGS_ON
//
// The warnings below are about GCC's and Eigen's own code, not the including file's, so they are off only for the
// Eigen headers' lines: a warning in the including file's own code still counts. No include guard: it only
// defines the two macros.
//
// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (_mm512_undefined_*) when Eigen's
// packet code is inlined: a known false positive. Eigen's SIMD packet types carry vector attributes that GCC
// drops when they are template arguments inside Eigen (harmless).
#ifndef NNSE_EIGEN_WARNINGS_OFF
#define NNSE_EIGEN_WARNINGS_OFF                                  \
  _Pragma("GCC diagnostic push")                                 \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")    \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")          \
  _Pragma("GCC diagnostic ignored \"-Wignored-attributes\"")
#define NNSE_EIGEN_WARNINGS_ON _Pragma("GCC diagnostic pop")
#endif
