// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics when Eigen's packet math is inlined
// (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "nnse/train/loss.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <sstream>

#include "nnse/dsp/stft.h"
#include "nnse/util/error.h"

namespace nnse::train {
namespace {

enum class Kind { mag_mse, mag_mae, log_mse, cplx_mse, cplx_mae, cmag_mse, ccplx_mse, cmix, si_sdr, wsdr, spec_corr, nnse_pow };

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
};

// The exponent of the reference system's loss (magnitude^0.6 = power^0.3); not a knob, it defines nnse_pow.
constexpr double kNnsePowExponent = 0.6;

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

std::size_t to_size(long long n) { return static_cast<std::size_t>(n); }

// Gains are masks, normally >= 0: at G = 0 we use the right derivative of |G| so a gain stuck at zero still
// gets a useful gradient (the symmetric choice, 0, would freeze it).
double gain_sign(double g) { return g >= 0.0 ? 1.0 : -1.0; }

double sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }

// Power-law compression with an offset: C(x) = (x + eps)^c - eps^c. C(0) = 0 and the slope at 0 is finite
// (c eps^(c-1)) where x^c has an infinite one; this is the reference's own guard (reference 4.4).
struct Compression {
  double c, eps, offset;
  Compression(double c_, double eps_) : c(c_), eps(eps_), offset(std::pow(eps_, c_)) {}
  double value(double x) const { return std::pow(x + eps, c) - offset; }
  // C(x) and C'(x) from one pow: the loss is evaluated for every bin of every step, and pow dominates it.
  void value_and_slope(double x, double& value_out, double& slope_out) const {
    const double base = x + eps;
    const double powered = std::pow(base, c);
    value_out = powered - offset;
    slope_out = c * powered / base;
  }
};

// One time-frequency bin in double precision. (STFT values are far from overflow, so sqrt(x^2 + y^2) is as
// exact as hypot and much cheaper.)
struct Bin {
  double sr, si, yr, yi, g;
  double clean_mag() const { return std::sqrt(sr * sr + si * si); }
  double noisy_mag() const { return std::sqrt(yr * yr + yi * yi); }
};

bool frame_valid(const LossBatch& b, int s, int t) {
  return !b.valid || b.valid[to_size(static_cast<long long>(s) * b.frames + t)] != 0;
}

void check_batch(const LossBatch& b, const char* who) {
  if (b.sequences < 0 || b.frames < 0 || b.bins <= 0) {
    throw Error(std::string("loss ") + who + ": bad batch shape " + std::to_string(b.sequences) + "x" +
                std::to_string(b.frames) + "x" + std::to_string(b.bins));
  }
  if (b.sequences > 0 && b.frames > 0 && (!b.noisy || !b.clean || !b.gain)) {
    throw Error(std::string("loss ") + who + ": missing noisy, clean or gain array");
  }
  for (int s = 0; s < b.sequences; ++s) {
    if (b.noisy[s] && b.clean[s]) continue;
    for (int t = 0; t < b.frames; ++t) {
      if (frame_valid(b, s, t)) {
        throw Error(std::string("loss ") + who + ": sequence " + std::to_string(s) + " has valid frames but no spectra");
      }
    }
  }
}

std::size_t offset(const LossBatch& b, int s, int t) {
  return to_size((static_cast<long long>(s) * b.frames + t) * b.bins);
}

// One valid frame: `base` indexes the gain and gradient arrays, `noisy` / `clean` point at its bins.
struct Frame {
  std::size_t base;
  const std::complex<float>* noisy;
  const std::complex<float>* clean;
};

const std::complex<float>* row(const std::complex<float>* const* sequences, const LossBatch& b, int s, int t) {
  return sequences[s] + to_size(static_cast<long long>(t) * b.bins);
}

void zero_gradient(const LossBatch& b, float* grad) {
  if (grad) std::fill(grad, grad + to_size(static_cast<long long>(b.sequences) * b.frames * b.bins), 0.0f);
}

// Calls frame(Frame) for every valid frame of the range and zeroes the gradient of padded frames.
template <class F>
void for_each_valid_frame(const LossBatch& b, float* grad, F&& frame) {
  for (int s = 0; s < b.sequences; ++s) {
    for (int t = 0; t < b.frames; ++t) {
      const std::size_t base = offset(b, s, t);
      if (frame_valid(b, s, t)) {
        frame(Frame{base, row(b.noisy, b, s, t), row(b.clean, b, s, t)});
      } else if (grad) {
        std::fill(grad + base, grad + base + to_size(b.bins), 0.0f);
      }
    }
  }
}

// Sums f(bin, dl) over the valid bins of the range, scales by `scale`, and writes scale * dl to the gradient
// (zero on padded frames).
template <class F>
double sum_bins(const LossBatch& b, float* grad, double scale, F&& f) {
  double total = 0.0;
  for_each_valid_frame(b, grad, [&](const Frame& frame) {
    double frame_total = 0.0;
    for (int k = 0; k < b.bins; ++k) {
      const std::size_t i = frame.base + to_size(k);
      const Bin bin{frame.clean[k].real(), frame.clean[k].imag(), frame.noisy[k].real(), frame.noisy[k].imag(),
                    b.gain[i]};
      double dl = 0.0;
      frame_total += f(bin, dl);
      if (grad) grad[i] = static_cast<float>(dl * scale);
    }
    total += frame_total;
  });
  return total * scale;
}

// The compressed losses, one frame at a time in double-precision arrays (vectorized log/exp: pow per bin was
// most of a training step). With A = |S|, B = |G Y|, u = unit phasor (0 for a zero bin) and
// P = sign(G) C(B), which is odd and smooth in G so the complex term is differentiable at G = 0 too:
//   (1 - a) (C(A) - C(B))^2 + a |C(A) u_S - P u_Y|^2      (a = 0: cmag_mse / nnse_pow, 1: ccplx_mse, else cmix)
double sum_compressed(const LossBatch& b, float* grad, double scale, const Compression& C, double a) {
  using Array = Eigen::ArrayXd;
  const Eigen::Index bins = b.bins;
  // Every array is sized once per call: Eigen assigns into them without allocating.
  Array sr(bins), si(bins), yr(bins), yi(bins), g(bins), as(bins), ay(bins), sign_g(bins), ah(bins), c_as(bins),
      powered_h(bins), c_ah(bins), slope_ah(bins), loss(bins), dl(bins), d(bins), cs(bins), ur(bins), ui(bins),
      p(bins), er(bins), ei(bins);
  const Array ones = Array::Ones(bins);
  double total = 0.0;
  for_each_valid_frame(b, grad, [&](const Frame& f) {
    for (Eigen::Index k = 0; k < bins; ++k) {
      sr[k] = f.clean[k].real();
      si[k] = f.clean[k].imag();
      yr[k] = f.noisy[k].real();
      yi[k] = f.noisy[k].imag();
      g[k] = b.gain[f.base + static_cast<std::size_t>(k)];
    }
    as = (sr.square() + si.square()).sqrt();
    ay = (yr.square() + yi.square()).sqrt();
    sign_g = (g >= 0.0).select(ones, -ones);  // the right derivative of |G| at 0
    ah = g.abs() * ay;
    c_as = (C.c * (as + C.eps).log()).exp() - C.offset;
    powered_h = (C.c * (ah + C.eps).log()).exp();
    c_ah = powered_h - C.offset;
    slope_ah = C.c * powered_h / (ah + C.eps);
    loss.setZero();
    dl.setZero();
    if (a != 1.0) {
      d = c_as - c_ah;
      loss += (1.0 - a) * d.square();
      dl += (1.0 - a) * (-2.0) * d * slope_ah * ay * sign_g;
    }
    if (a != 0.0) {
      cs = (as > 0.0).select(c_as / as, 0.0);
      ur = (ay > 0.0).select(yr / ay, 0.0);
      ui = (ay > 0.0).select(yi / ay, 0.0);
      p = sign_g * c_ah;
      er = cs * sr - p * ur;
      ei = cs * si - p * ui;
      loss += a * (er.square() + ei.square());
      dl += a * (-2.0) * (er * ur + ei * ui) * slope_ah * ay;
    }
    total += loss.sum();
    if (grad) {
      for (Eigen::Index k = 0; k < bins; ++k) grad[f.base + static_cast<std::size_t>(k)] = static_cast<float>(dl[k] * scale);
    }
  });
  return total * scale;
}

// ---- spectral losses, one bin at a time ----

class BinLoss final : public Loss {
 public:
  BinLoss(Kind kind, std::string name, double c, double a, double eps)
      : kind_(kind), name_(std::move(name)), c_(c), a_(a), eps_(eps), compress_(kind == Kind::nnse_pow ? kNnsePowExponent : c, eps > 0 ? eps : 1.0) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, name_.c_str());
    if (b.total_valid_frames <= 0.0) {
      zero_gradient(b, grad);
      return 0.0;
    }
    const double per_frame = 1.0 / b.total_valid_frames;
    const double scale = kind_ == Kind::nnse_pow ? per_frame : per_frame / b.bins;
    const Compression& C = compress_;
    switch (kind_) {
      case Kind::mag_mse:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double ay = x.noisy_mag();
          const double d = x.clean_mag() - std::abs(x.g) * ay;
          dl = -2.0 * d * gain_sign(x.g) * ay;
          return d * d;
        });
      case Kind::mag_mae:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double ay = x.noisy_mag();
          const double d = x.clean_mag() - std::abs(x.g) * ay;
          dl = -sign(d) * gain_sign(x.g) * ay;
          return std::abs(d);
        });
      case Kind::log_mse:
        return sum_bins(b, grad, scale, [eps = eps_](const Bin& x, double& dl) {
          const double py = x.yr * x.yr + x.yi * x.yi;
          const double ph = x.g * x.g * py;
          const double d = std::log10(x.sr * x.sr + x.si * x.si + eps) - std::log10(ph + eps);
          dl = -2.0 * d * (2.0 * x.g * py) / ((ph + eps) * std::numbers::ln10);
          return d * d;
        });
      case Kind::cplx_mse:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double er = x.sr - x.g * x.yr, ei = x.si - x.g * x.yi;
          dl = -2.0 * (er * x.yr + ei * x.yi);
          return er * er + ei * ei;
        });
      case Kind::cplx_mae:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double er = x.sr - x.g * x.yr, ei = x.si - x.g * x.yi;
          dl = -(sign(er) * x.yr + sign(ei) * x.yi);
          return std::abs(er) + std::abs(ei);
        });
      case Kind::cmag_mse:
      case Kind::nnse_pow:
        return sum_compressed(b, grad, scale, C, 0.0);
      case Kind::ccplx_mse:
        return sum_compressed(b, grad, scale, C, 1.0);
      case Kind::cmix:
        return sum_compressed(b, grad, scale, C, a_);
      default:
        throw Error("loss " + name_ + ": not a bin-wise loss");
    }
  }

  std::string describe() const override {
    std::ostringstream out;
    out << name_;
    switch (kind_) {
      case Kind::mag_mse: out << ": E[(|S| - |G Y|)^2]"; break;
      case Kind::mag_mae: out << ": E[||S| - |G Y||]"; break;
      case Kind::log_mse: out << " (eps=" << eps_ << "): E[(log10(|S|^2+eps) - log10(|G Y|^2+eps))^2]"; break;
      case Kind::cplx_mse: out << ": E[|S - G Y|^2]"; break;
      case Kind::cplx_mae: out << ": E[|Re(S - G Y)| + |Im(S - G Y)|]"; break;
      case Kind::cmag_mse: out << " (c=" << c_ << ", eps=" << eps_ << "): E[(C(|S|) - C(|G Y|))^2]"; break;
      case Kind::ccplx_mse: out << " (c=" << c_ << ", eps=" << eps_ << "): E[|C(|S|)e^{j arg S} - C(|G Y|)e^{j arg G Y}|^2]"; break;
      case Kind::cmix: out << " (c=" << c_ << ", a=" << a_ << ", eps=" << eps_ << "): (1-a) cmag_mse + a ccplx_mse"; break;
      case Kind::nnse_pow:
        out << " (exponent=" << kNnsePowExponent << ", eps=" << eps_ << "): sum over bins, mean over frames of (C(|S|) - C(|G Y|))^2";
        return out.str();
      default: break;
    }
    if (kind_ == Kind::cmag_mse || kind_ == Kind::ccplx_mse || kind_ == Kind::cmix) out << ", C(x) = (x+eps)^c - eps^c";
    out << "; E = mean over valid frames and bins";
    return out.str();
  }

 private:
  Kind kind_;
  std::string name_;
  double c_, a_, eps_;
  Compression compress_;
};

// ---- spectral correlation, one frame at a time ----

class SpecCorrLoss final : public Loss {
 public:
  SpecCorrLoss(double c, double eps) : c_(c), eps_(eps), compress_(c, eps) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, "spec_corr");
    if (b.total_valid_frames <= 0.0) {
      zero_gradient(b, grad);
      return 0.0;
    }
    const double scale = 1.0 / b.total_valid_frames;
    std::vector<double> u(to_size(b.bins)), v(to_size(b.bins)), dv(to_size(b.bins));
    double total = 0.0;
    for_each_valid_frame(b, grad, [&](const Frame& f) {
      double uv = 0.0, uu = 0.0, vv = 0.0;
      for (int k = 0; k < b.bins; ++k) {
        const auto kk = to_size(k);
        const double ay = std::abs(static_cast<std::complex<double>>(f.noisy[k]));
        const double g = b.gain[f.base + kk];
        const double ah = std::abs(g) * ay;
        u[kk] = compress_.value(std::abs(static_cast<std::complex<double>>(f.clean[k])));
        double slope = 0.0;
        compress_.value_and_slope(ah, v[kk], slope);
        dv[kk] = slope * ay * gain_sign(g);
        uv += u[kk] * v[kk];
        uu += u[kk] * u[kk];
        vv += v[kk] * v[kk];
      }
      const double root = std::sqrt((uu + eps_) * (vv + eps_));
      const double cosine = uv / root;
      total += 1.0 - cosine;
      if (grad) {
        for (int k = 0; k < b.bins; ++k) {
          const auto kk = to_size(k);
          const double dcos = u[kk] / root - uv * v[kk] / ((vv + eps_) * root);
          grad[f.base + kk] = static_cast<float>(-dcos * dv[kk] * scale);
        }
      }
    });
    return total * scale;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "spec_corr (c=" << c_ << ", eps=" << eps_
        << "): mean over valid frames of 1 - <C(|S|), C(|G Y|)> / sqrt((|C(|S|)|^2+eps)(|C(|G Y|)|^2+eps)), "
           "C(x) = (x+eps)^c - eps^c";
    return out.str();
  }

 private:
  double c_, eps_;
  Compression compress_;
};

// ---- time-domain losses, one sequence at a time ----

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
    check_batch(b, name_.c_str());
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
    } else {
      out << "-(w cos(s, s_hat) + (1-w) cos(n, n_hat)), n = y - s, n_hat = y - s_hat, w = |s|^2/(|s|^2+|n|^2+eps), "
             "cos(x, z) = <x, z> / sqrt((|x|^2+eps)(|z|^2+eps))";
    }
    out << "; s = istft(S), s_hat = istft(G Y) over the valid frames; mean over sequences";
    return out.str();
  }

  bool uses_signals() const override { return true; }

 private:
  // Loss of one sequence (unscaled); adds scale * dL/dG to its gradient rows.
  double sequence(const LossBatch& b, int s, int frames, double scale, float* grad) const {
    const int bins = b.bins;
    // Clean and noisy rows are read where they are (the chunk's rows are consecutive in its clip); only the
    // estimate G Y is built.
    const std::size_t values = to_size(static_cast<long long>(frames) * bins);
    const std::span<const std::complex<float>> clean(row(b.clean, b, s, 0), values), noisy(row(b.noisy, b, s, 0), values);
    std::vector<std::complex<float>> estimate(values);
    for (int t = 0; t < frames; ++t) {
      const std::size_t base = offset(b, s, t);
      const std::complex<float>* y = row(b.noisy, b, s, t);
      std::complex<float>* e = estimate.data() + to_size(static_cast<long long>(t) * bins);
      for (int k = 0; k < bins; ++k) e[k] = b.gain[base + to_size(k)] * y[k];
    }
    const std::size_t length = to_size(static_cast<long long>(frames) * frontend_.hop_length);
    // istft of the clean / noisy rows: from their time signals when the batch has them (no FFT).
    const auto time_signal = [&](const float* const* signals, std::span<const std::complex<float>> rows) {
      return signals ? dsp::istft_of_stft({signals[s], length}, frames, frontend_, length)
                     : dsp::istft(rows, frames, frontend_, length);
    };
    const std::vector<float> x = time_signal(b.clean_signal, clean);
    const std::vector<float> xh = dsp::istft(estimate, frames, frontend_, length);
    std::vector<double> dx(length, 0.0);  // dL/d s_hat
    double loss = 0.0;
    if (kind_ == Kind::si_sdr) {
      loss = si_sdr(x, xh, dx);
    } else {
      const std::vector<float> y = time_signal(b.noisy_signal, noisy);
      loss = wsdr(x, xh, y, dx);
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
      frontend.validate("loss " + config.name);
      return std::make_unique<TimeLoss>(entry->kind, entry->name, eps, frontend);
    case Kind::spec_corr:
      return std::make_unique<SpecCorrLoss>(config.c, eps);
    default:
      return std::make_unique<BinLoss>(entry->kind, entry->name, config.c, config.a, eps);
  }
}

}  // namespace nnse::train
