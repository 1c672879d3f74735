// bwsdr: wsdr within each of 16 mel-spaced bands of the spectrum, the bands averaged with equal weight
// (loss.h, docs/metrics.md).
//
// Why: wsdr weighs every part of the spectrum by its energy, so noise left in the quiet bands above 1 kHz, and in
// the bins where the noise outweighs the speech, costs it almost nothing. STOI and ESTOI normalize each
// one-third-octave band before comparing, so there every band counts alike. (Measured beside wsdr in
// docs/experiments.md "A band-wise wsdr": it keeps more near-clean speech and removes less noise; it does not
// widen the network's contrast between speech- and noise-dominated bins, "Where the gains go".)
//
// Per sequence and band b (its valid frames; s = S, s_hat = G Y, n = Y - S, n_hat = (1 - G) Y over the band's
// bins), with complex inner products <p, q> = sum Re(p conj(q)):
//   wsdr_b = -(w_b cos(s, s_hat) + (1 - w_b) cos(n, n_hat)),  w_b = |s|^2 / (|s|^2 + |n|^2 + eps)
//   L = mean over the bands of wsdr_b; mean over total_sequences as wsdr.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "nnse/dsp/mel.h"
#include "nnse/train/loss_frames.h"
#include "nnse/train/loss_kinds.h"
#include "nnse/util/error.h"

namespace nnse::train::loss_detail {
namespace {

constexpr int kBands = 16;

// Band b holds the bins [edges[b], edges[b + 1]): edges equally spaced on the HTK mel scale over 0 .. fs/2, each
// band at least one bin wide.
std::vector<int> band_edges(const dsp::FrontendConfig& frontend) {
  const int bins = frontend.bins();
  if (bins < kBands) throw Error("loss bwsdr: needs at least " + std::to_string(kBands) + " bins, got " + std::to_string(bins));
  const double top = dsp::hz_to_mel(frontend.sample_rate / 2.0);
  const double bin_hz = static_cast<double>(frontend.sample_rate) / frontend.fft_size;
  std::vector<int> edges(kBands + 1);
  edges[0] = 0;
  edges[kBands] = bins;
  for (int b = 1; b < kBands; ++b) {
    const int edge = static_cast<int>(std::lround(dsp::mel_to_hz(top * b / kBands) / bin_hz));
    edges[static_cast<std::size_t>(b)] = std::max(edge, edges[static_cast<std::size_t>(b - 1)] + 1);
  }
  for (int b = kBands - 1; b > 0; --b) {  // leave room for the bands above (only with very few bins)
    auto& e = edges[static_cast<std::size_t>(b)];
    e = std::min(e, edges[static_cast<std::size_t>(b + 1)] - 1);
  }
  return edges;
}

// The band of every bin, from the edges.
std::vector<int> band_of_bins(const dsp::FrontendConfig& frontend) {
  const std::vector<int> edges = band_edges(frontend);
  std::vector<int> band_of(static_cast<std::size_t>(edges.back()));
  for (int band = 0; band < kBands; ++band) {
    for (int k = edges[static_cast<std::size_t>(band)]; k < edges[static_cast<std::size_t>(band + 1)]; ++k) {
      band_of[static_cast<std::size_t>(k)] = band;
    }
  }
  return band_of;
}

// The six sums of one band of one sequence.
struct BandSums {
  double ss = 0, nn = 0, s_sh = 0, sh_sh = 0, n_nh = 0, nh_nh = 0;
};

class BandWsdrLoss final : public Loss {
 public:
  BandWsdrLoss(double eps, const dsp::FrontendConfig& frontend) : eps_(eps), band_of_(band_of_bins(frontend)) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, "bwsdr");
    if (static_cast<std::size_t>(b.bins) != band_of_.size()) {
      throw Error("loss bwsdr: the batch has " + std::to_string(b.bins) + " bins, the front end " +
                  std::to_string(band_of_.size()));
    }
    zero_gradient(b, grad);
    if (b.total_sequences <= 0) return 0.0;
    const double scale = 1.0 / (static_cast<double>(b.total_sequences) * kBands);
    std::vector<BandSums> sums(kBands);
    double total = 0.0;
    for (int s = 0; s < b.sequences; ++s) {
      std::fill(sums.begin(), sums.end(), BandSums{});
      for (int t = 0; t < b.frames; ++t) {
        if (!frame_valid(b, s, t)) continue;
        const auto* y = row(b.noisy, b, s, t);
        const auto* x = row(b.clean, b, s, t);
        const float* g = b.gain + offset(b, s, t);
        for (int k = 0; k < b.bins; ++k) {
          BandSums& m = sums[static_cast<std::size_t>(band_of_[static_cast<std::size_t>(k)])];
          const double yr = y[k].real(), yi = y[k].imag(), sr = x[k].real(), si = x[k].imag(), gk = g[k];
          const double nr = yr - sr, ni = yi - si, yy = yr * yr + yi * yi;
          m.ss += sr * sr + si * si;
          m.nn += nr * nr + ni * ni;
          m.s_sh += gk * (sr * yr + si * yi);
          m.sh_sh += gk * gk * yy;
          m.n_nh += (1.0 - gk) * (nr * yr + ni * yi);
          m.nh_nh += (1.0 - gk) * (1.0 - gk) * yy;
        }
      }
      // Per band: the value and the coefficients of dL/dG_k = -(w (p_k / root_s - s_sh G |Y|^2 / ((sh_sh+eps)
      // root_s)) + (1 - w) (-q_k / root_n + n_nh (1 - G) |Y|^2 / ((nh_nh+eps) root_n))), p_k = Re(S_k conj Y_k),
      // q_k = Re(N_k conj Y_k).
      struct Coeffs { double p, ps, q, qn; };
      std::vector<Coeffs> coeffs(kBands);
      for (int band = 0; band < kBands; ++band) {
        const BandSums& m = sums[static_cast<std::size_t>(band)];
        const double w = m.ss / (m.ss + m.nn + eps_);
        const double root_s = std::sqrt((m.ss + eps_) * (m.sh_sh + eps_));
        const double root_n = std::sqrt((m.nn + eps_) * (m.nh_nh + eps_));
        total -= w * m.s_sh / root_s + (1.0 - w) * m.n_nh / root_n;
        coeffs[static_cast<std::size_t>(band)] = {w / root_s, w * m.s_sh / ((m.sh_sh + eps_) * root_s),
                                                  (1.0 - w) / root_n, (1.0 - w) * m.n_nh / ((m.nh_nh + eps_) * root_n)};
      }
      if (!grad) continue;
      for (int t = 0; t < b.frames; ++t) {
        if (!frame_valid(b, s, t)) continue;
        const auto* y = row(b.noisy, b, s, t);
        const auto* x = row(b.clean, b, s, t);
        const std::size_t base = offset(b, s, t);
        for (int k = 0; k < b.bins; ++k) {
          const Coeffs& c = coeffs[static_cast<std::size_t>(band_of_[static_cast<std::size_t>(k)])];
          const double yr = y[k].real(), yi = y[k].imag(), sr = x[k].real(), si = x[k].imag();
          const double gk = b.gain[base + to_size(k)], yy = yr * yr + yi * yi;
          const double p = sr * yr + si * yi, q = (yr - sr) * yr + (yi - si) * yi;
          const double d = -(c.p * p - c.ps * gk * yy) - (-c.q * q + c.qn * (1.0 - gk) * yy);
          grad[base + to_size(k)] = static_cast<float>(d * scale);
        }
      }
    }
    return total * scale;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "bwsdr (eps=" << eps_ << ", " << kBands
        << " mel-spaced bands): mean over bands of -(w cos(s, s_hat) + (1-w) cos(n, n_hat)) on the band's STFT bins, "
           "s = S, s_hat = G Y, n = Y - S, n_hat = Y - G Y, w = |s|^2/(|s|^2+|n|^2+eps); mean over sequences";
    return out.str();
  }

 private:
  double eps_;
  std::vector<int> band_of_;  // [bins]: the band of each bin
};

}  // namespace

std::unique_ptr<Loss> make_band_loss(double eps, const dsp::FrontendConfig& frontend) {
  return std::make_unique<BandWsdrLoss>(eps, frontend);
}

}  // namespace nnse::train::loss_detail
