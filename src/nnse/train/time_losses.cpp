// The losses on the time signal, one sequence at a time: si_sdr, wsdr and tsnr (loss.h, docs/metrics.md). Each
// sequence's clean and estimated spectra go back to the time domain (dsp::istft; the clean and noisy ones straight
// from their time signals when the batch has them, dsp::istft_of_stft), and the gradient comes back through the
// adjoint of that inverse STFT.
#include <cmath>
#include <numbers>
#include <span>
#include <sstream>
#include <vector>

#include "nnse/dsp/stft.h"
#include "nnse/train/loss_frames.h"
#include "nnse/train/loss_kinds.h"
#include "nnse/util/error.h"

namespace nnse::train::loss_detail {
namespace {

double dot(std::span<const float> x, std::span<const float> y) {
  double sum = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

class TimeLoss final : public Loss {
 public:
  TimeLoss(Kind kind, std::string name, double eps, const dsp::FrontendConfig& frontend)
      : kind_(kind), name_(std::move(name)), eps_(eps), frontend_(frontend) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, name_.c_str(), true);
    if (b.bins != frontend_.bins()) {
      throw Error("loss " + name_ + ": batch has " + std::to_string(b.bins) + " bins, the front end " +
                  std::to_string(frontend_.bins()));
    }
    const double scale = b.total_sequences > 0 ? 1.0 / b.total_sequences : 0.0;
    if (grad) std::fill(grad, grad + to_size(static_cast<long long>(b.sequences) * b.frames * b.bins), 0.0f);
    double total = 0.0;
    for (int s = 0; s < b.sequences; ++s) {
      int frames = 0;  // padding is at the end: the sequence is its leading run of valid frames
      while (frames < b.frames && frame_valid(b, s, frames)) ++frames;
      if (frames == 0 || scale == 0.0) continue;
      total += sequence(b, s, frames, scale, grad);
    }
    return total * scale;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << name_ << " (eps=" << eps_ << "): ";
    if (kind_ == Kind::si_sdr) {
      out << "-10 log10((|b s|^2+eps) / (|b s - s_hat|^2+eps)), b = <s_hat, s> / (|s|^2+eps)";
    } else if (kind_ == Kind::tsnr) {
      out << "-10 log10((|s|^2+eps) / (|s - s_hat|^2 + tau |y|^2 + eps)), tau = 1e-3 (at most 30 dB above the input)";
    } else {
      out << "-(w cos(s, s_hat) + (1-w) cos(n, n_hat)), n = y - s, n_hat = y - s_hat, w = |s|^2/(|s|^2+|n|^2+eps), "
             "cos(x, z) = <x, z> / sqrt((|x|^2+eps)(|z|^2+eps))";
    }
    out << "; s = istft(S), s_hat = istft(G Y) over the valid frames; mean over sequences";
    return out.str();
  }

  bool uses_signals() const override { return true; }
  bool reads_clean_rows_with_signals() const override { return false; }

 private:
  // Loss of one sequence (unscaled); adds scale * dL/dG to its gradient rows.
  double sequence(const LossBatch& b, int s, int frames, double scale, float* grad) const {
    const int bins = b.bins;
    // Clean and noisy rows are read where they are (the chunk's rows are consecutive in its clip; the clean ones
    // only without the clean time signal: then they may be absent); only the estimate G Y is built.
    const std::size_t values = to_size(static_cast<long long>(frames) * bins);
    const auto rows = [&](const std::complex<float>* const* side) {
      return std::span<const std::complex<float>>(row(side, b, s, 0), values);
    };
    std::vector<std::complex<float>> estimate(values);
    for (int t = 0; t < frames; ++t) {
      const std::size_t base = offset(b, s, t);
      const std::complex<float>* y = row(b.noisy, b, s, t);
      std::complex<float>* e = estimate.data() + to_size(static_cast<long long>(t) * bins);
      for (int k = 0; k < bins; ++k) e[k] = b.gain[base + to_size(k)] * y[k];
    }
    const std::size_t length = to_size(static_cast<long long>(frames) * frontend_.hop_length);
    // istft of the clean / noisy rows: from their time signals when the batch has them (no FFT).
    const auto time_signal = [&](const float* const* signals, const std::complex<float>* const* side) {
      return signals ? dsp::istft_of_stft({signals[s], length}, frames, frontend_, length)
                     : dsp::istft(rows(side), frames, frontend_, length);
    };
    const std::vector<float> x = time_signal(b.clean_signal, b.clean);
    const std::vector<float> xh = dsp::istft(estimate, frames, frontend_, length);
    std::vector<double> dx(length, 0.0);  // dL/d s_hat
    double loss = 0.0;
    if (kind_ == Kind::si_sdr) {
      loss = si_sdr(x, xh, dx);
    } else {
      const std::vector<float> y = time_signal(b.noisy_signal, b.noisy);
      loss = kind_ == Kind::tsnr ? tsnr(x, xh, y, dx) : wsdr(x, xh, y, dx);
    }
    if (grad) {
      std::vector<float> g(length);
      for (std::size_t i = 0; i < length; ++i) g[i] = static_cast<float>(dx[i] * scale);
      const dsp::Spectrum back = dsp::istft_adjoint(g, frontend_, frames);
      for (int t = 0; t < frames; ++t) {
        const std::size_t base = offset(b, s, t);
        const std::complex<float>* y = row(b.noisy, b, s, t);
        for (int k = 0; k < bins; ++k) {
          const std::complex<float> a = back.at(t, k);
          // S_hat = G Y: dL/dG = dL/dRe * Re Y + dL/dIm * Im Y.
          grad[base + to_size(k)] = a.real() * y[k].real() + a.imag() * y[k].imag();
        }
      }
    }
    return loss;
  }

  double si_sdr(std::span<const float> x, std::span<const float> xh, std::vector<double>& dx) const {
    const double xx = dot(x, x), xhx = dot(xh, x);
    const double beta = xhx / (xx + eps_);
    const double target = beta * beta * xx;  // |b s|^2
    double error_pos = 0.0;                   // |b s - s_hat|^2, summed directly: no cancellation near the optimum
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = beta * x[i] - xh[i];
      error_pos += e * e;
    }
    const double k = 10.0 / std::numbers::ln10;
    // d beta / d s_hat = s / (xx + eps); target and error depend on s_hat directly and through beta.
    const double dbeta_scale = 1.0 / (xx + eps_);
    const double d_target_dbeta = 2.0 * beta * xx;
    const double d_error_dbeta = 2.0 * beta * xx - 2.0 * xhx;  // d|b s - s_hat|^2 / d beta
    const double wt = -k / (target + eps_), we = k / (error_pos + eps_);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double dbeta = x[i] * dbeta_scale;
      const double dtarget = d_target_dbeta * dbeta;
      const double derror = d_error_dbeta * dbeta - 2.0 * (beta * x[i] - xh[i]);
      dx[i] = wt * dtarget + we * derror;
    }
    return -k * (std::log(target + eps_) - std::log(error_pos + eps_));
  }

  // Thresholded SNR (after the soft threshold of Wisdom et al. 2020, "Unsupervised sound separation using mixture
  // invariant training", but relative to the input y): -10 log10(|s|^2 / (|s - s_hat|^2 + tau |y|^2)).
  // Why, next to wsdr and si_sdr: those are scale-invariant cosines, so 1 - cos ~ 1 / (2 SNR) and a clip at 20 dB
  // weighs a hundredth of one at 0 dB; clean and nearly clean input barely count, and a network trained on them
  // colours clean speech. In dB every clip counts alike, a level change is an error, and tau caps the reward at
  // 30 dB above the input (clean input: output within 30 dB of it is as good as exact; noise-only chunks: the
  // residual is pushed down to 30 dB below the input, not to minus infinity).
  double tsnr(std::span<const float> x, std::span<const float> xh, std::span<const float> y, std::vector<double>& dx) const {
    constexpr double kTau = 1e-3;
    const double ss = dot(x, x), yy = dot(y, y);
    double error = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = static_cast<double>(x[i]) - xh[i];
      error += e * e;
    }
    const double k = 10.0 / std::numbers::ln10, denominator = error + kTau * yy + eps_;
    // d/d s_hat of k ln(denominator): k * 2 (s_hat - s) / denominator.
    for (std::size_t i = 0; i < x.size(); ++i) dx[i] = k * 2.0 * (static_cast<double>(xh[i]) - x[i]) / denominator;
    return -k * (std::log(ss + eps_) - std::log(denominator));
  }

  // With s = x, s_hat = xh, n = y - x, n_hat = y - xh (in double): one pass for the six sums, one for the gradient.
  // cos(p, q) = <p, q> / root, root = sqrt((|p|^2+eps)(|q|^2+eps)), d cos / dq = p / root - <p, q> q / ((|q|^2+eps) root).
  double wsdr(std::span<const float> x, std::span<const float> xh, std::span<const float> y, std::vector<double>& dx) const {
    const std::size_t n = x.size();
    double ss = 0.0, nn = 0.0, s_sh = 0.0, sh_sh = 0.0, n_nh = 0.0, nh_nh = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double s = x[i], sh = xh[i], noise = static_cast<double>(y[i]) - x[i], noise_h = static_cast<double>(y[i]) - xh[i];
      ss += s * s;
      nn += noise * noise;
      s_sh += s * sh;
      sh_sh += sh * sh;
      n_nh += noise * noise_h;
      nh_nh += noise_h * noise_h;
    }
    const double w = ss / (ss + nn + eps_);
    const double root_s = std::sqrt((ss + eps_) * (sh_sh + eps_)), root_n = std::sqrt((nn + eps_) * (nh_nh + eps_));
    // dL/d s_hat = -w d cos(s, s_hat)/d s_hat + (1 - w) d cos(n, n_hat)/d n_hat  (n_hat = y - s_hat), as
    // a_s s + b_s s_hat + a_n n + b_n n_hat:
    const double a_s = -w / root_s, b_s = w * s_sh / ((sh_sh + eps_) * root_s);
    const double a_n = (1.0 - w) / root_n, b_n = -(1.0 - w) * n_nh / ((nh_nh + eps_) * root_n);
    for (std::size_t i = 0; i < n; ++i) {
      const double s = x[i], sh = xh[i], noise = static_cast<double>(y[i]) - x[i], noise_h = static_cast<double>(y[i]) - xh[i];
      dx[i] = a_s * s + b_s * sh + a_n * noise + b_n * noise_h;
    }
    return -(w * (s_sh / root_s) + (1.0 - w) * (n_nh / root_n));
  }

  Kind kind_;
  std::string name_;
  double eps_;
  dsp::FrontendConfig frontend_;
};

}  // namespace

std::unique_ptr<Loss> make_time_loss(Kind kind, std::string name, double eps, const dsp::FrontendConfig& frontend) {
  return std::make_unique<TimeLoss>(kind, std::move(name), eps, frontend);
}

}  // namespace nnse::train::loss_detail
