// The table of Table 1's losses (and tsnr and bwsdr, ours) (names, kinds, default eps) and make_loss, which checks the knobs and builds one:
// the losses themselves are in spectral_losses.cpp, time_losses.cpp and band_losses.cpp.
#include "nnse/train/loss.h"

#include <cmath>

#include "nnse/train/combined_loss.h"
#include "nnse/train/loss_frames.h"
#include "nnse/train/loss_kinds.h"
#include "nnse/util/error.h"

namespace nnse::train {
namespace {

using loss_detail::Kind;
using loss_detail::to_size;

struct NamedKind {
  const char* name;
  Kind kind;
  double default_eps;  // 0: the loss needs no guard
};

constexpr NamedKind kLosses[] = {
    {"mag_mse", Kind::mag_mse, 0.0},     {"mag_mae", Kind::mag_mae, 0.0},     {"log_mse", Kind::log_mse, 1e-8},
    {"cplx_mse", Kind::cplx_mse, 0.0},   {"cplx_mae", Kind::cplx_mae, 0.0},   {"cmag_mse", Kind::cmag_mse, 1e-6},
    {"ccplx_mse", Kind::ccplx_mse, 1e-6}, {"cmix", Kind::cmix, 1e-6},         {"si_sdr", Kind::si_sdr, 1e-8},
    {"wsdr", Kind::wsdr, 1e-8},          {"spec_corr", Kind::spec_corr, 1e-6}, {"nnse_pow", Kind::nnse_pow, 1e-6},
    {"tsnr", Kind::tsnr, 1e-8},          {"bwsdr", Kind::bwsdr, 1e-8},
};

const NamedKind* find_loss(const std::string& name) {
  for (const auto& entry : kLosses) {
    if (name == entry.name) return &entry;
  }
  return nullptr;
}

std::string valid_names() {
  std::string out;
  for (const auto& entry : kLosses) out += (out.empty() ? "" : ", ") + std::string(entry.name);
  return out;
}

}  // namespace

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const auto& entry : kLosses) names.emplace_back(entry.name);
  return names;
}

double default_loss_eps(const std::string& name) {
  const NamedKind* entry = find_loss(name);
  if (!entry) throw Error("unknown loss '" + name + "' (valid: " + valid_names() + ")");
  return entry->default_eps;
}

std::vector<const std::complex<float>*> sequence_rows(const std::vector<std::complex<float>>& spectra, int sequences,
                                                      int frames, int bins) {
  const std::size_t per_sequence = to_size(static_cast<long long>(frames) * bins);
  if (sequences < 0 || spectra.size() != to_size(sequences) * per_sequence) {
    throw Error("sequence_rows: " + std::to_string(spectra.size()) + " values do not make " + std::to_string(sequences) +
                " sequences of " + std::to_string(frames) + " x " + std::to_string(bins));
  }
  std::vector<const std::complex<float>*> rows(to_size(sequences));
  for (std::size_t s = 0; s < rows.size(); ++s) rows[s] = spectra.data() + s * per_sequence;
  return rows;
}

std::unique_ptr<Loss> make_loss(const LossConfig& config, const dsp::FrontendConfig& frontend) {
  if (is_combined_loss(config.name)) return make_combined_loss(config, frontend, parse_loss_terms(config.name));
  const NamedKind* entry = find_loss(config.name);
  if (!entry) throw Error("unknown loss '" + config.name + "' (valid: " + valid_names() + ")");
  if (!(config.c > 0.0 && config.c <= 1.0)) {
    throw Error("loss " + config.name + ": compression c must be in (0, 1], got " + std::to_string(config.c));
  }
  if (!(config.a >= 0.0 && config.a <= 1.0)) {
    throw Error("loss " + config.name + ": mixing weight a must be in [0, 1], got " + std::to_string(config.a));
  }
  if (config.eps != -1.0 && !(config.eps > 0.0 && std::isfinite(config.eps))) {
    throw Error("loss " + config.name + ": eps must be > 0 (or -1 for the default), got " + std::to_string(config.eps));
  }
  const double eps = config.eps == -1.0 ? entry->default_eps : config.eps;
  switch (entry->kind) {
    case Kind::si_sdr:
    case Kind::wsdr:
    case Kind::tsnr:
      frontend.validate("loss " + config.name);
      return loss_detail::make_time_loss(entry->kind, entry->name, eps, frontend);
    case Kind::spec_corr:
      return loss_detail::make_spec_corr_loss(config.c, eps);
    case Kind::bwsdr:
      frontend.validate("loss " + config.name);
      return loss_detail::make_band_loss(eps, frontend);
    default:
      return loss_detail::make_bin_loss(entry->kind, entry->name, config.c, config.a, eps);
  }
}

}  // namespace nnse::train
