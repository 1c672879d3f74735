#pragma once
// Analysis/synthesis window (reference 1.3): w[n] = sqrt((hop/win) * (1 - cos(2 pi n / win))), n = 0..win-1,
// a periodic Hann window square-rooted and scaled so that the sum of w^2 over the win/hop overlapping frames is 1.
// The same window is used for analysis and synthesis, so analysis + synthesis is the identity.
#include <vector>

#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

std::vector<float> stft_window(const FrontendConfig& config);

}  // namespace nnse::dsp
