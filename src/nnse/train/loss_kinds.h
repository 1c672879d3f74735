#pragma once
// Inside the losses (not for callers: they use loss.h): the kinds of loss.h's table and the constructors of the
// files that implement them, spectral_losses.cpp (bin- and frame-wise), time_losses.cpp (si_sdr, wsdr, tsnr) and
// band_losses.cpp (bwsdr).
#include <memory>
#include <string>

#include "nnse/dsp/frontend_config.h"
#include "nnse/train/loss.h"

namespace nnse::train::loss_detail {

enum class Kind { mag_mse, mag_mae, log_mse, cplx_mse, cplx_mae, cmag_mse, ccplx_mse, cmix, si_sdr, wsdr, spec_corr, nnse_pow, tsnr, bwsdr };

// Knobs already checked and eps resolved by make_loss.
std::unique_ptr<Loss> make_bin_loss(Kind kind, std::string name, double c, double a, double eps);
std::unique_ptr<Loss> make_spec_corr_loss(double c, double eps);
std::unique_ptr<Loss> make_time_loss(Kind kind, std::string name, double eps, const dsp::FrontendConfig& frontend);
std::unique_ptr<Loss> make_band_loss(double eps, const dsp::FrontendConfig& frontend);

}  // namespace nnse::train::loss_detail
