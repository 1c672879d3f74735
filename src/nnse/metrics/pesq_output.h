#pragma once
// Reading the score out of what an external PESQ tool printed. "The last number printed" was ambiguous: a tool
// that echoes its (temporary) file paths gave "PESQ -4.00" from "/tmp/nnse-pesq-4-0/...". Now:
//   - only standalone numbers count (a whole token between spaces, '=', ':', ',', ';', brackets), never digits
//     inside a path or a word;
//   - the score is the last number of the last line that mentions "PESQ" or "MOS" (any case); without such a
//     line, the output must hold exactly one number (tools that print only the score);
//   - it must lie in the PESQ range [-0.5, 4.64] (P.862 raw MOS and MOS-LQO).
// Anything else throws nnse::Error naming --pesq-cmd, the command and what was wrong.
#include <string>

namespace nnse::metrics {

inline constexpr double kPesqMin = -0.5;
inline constexpr double kPesqMax = 4.64;

double parse_pesq_output(const std::string& output, const std::string& command);

}  // namespace nnse::metrics
