#include "nnse/data/coloration.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "nnse/data/random.h"
#include "nnse/util/error.h"

namespace nnse::data {

Biquad Biquad::peaking(double f0_hz, double q, double gain_db, int sample_rate) {
  const double a = std::pow(10.0, gain_db / 40.0);
  const double w0 = 2.0 * std::numbers::pi * f0_hz / sample_rate;
  const double alpha = std::sin(w0) / (2.0 * q);
  const double cos_w0 = std::cos(w0);
  const double a0 = 1.0 + alpha / a;
  Biquad f;
  f.b0 = (1.0 + alpha * a) / a0;
  f.b1 = -2.0 * cos_w0 / a0;
  f.b2 = (1.0 - alpha * a) / a0;
  f.a1 = -2.0 * cos_w0 / a0;
  f.a2 = (1.0 - alpha / a) / a0;
  return f;
}

double Biquad::response_db(double hz, int sample_rate) const {
  const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * hz / sample_rate);
  const std::complex<double> z2 = z1 * z1;
  const std::complex<double> h = (b0 + b1 * z1 + b2 * z2) / (1.0 + a1 * z1 + a2 * z2);
  return 20.0 * std::log10(std::abs(h));
}

std::vector<Biquad> random_coloration(Rng& rng, const ColorationOptions& options, int sample_rate) {
  std::vector<Biquad> filters;
  if (!(options.max_db > 0.0)) return filters;
  const double top = std::min(options.max_hz, 0.45 * sample_rate);
  for (int i = 0; i < options.bands; ++i) {
    const double f0 = options.min_hz * std::pow(top / options.min_hz, rng.uniform());
    const double q = rng.uniform(options.min_q, options.max_q);
    const double gain = rng.uniform(-options.max_db, options.max_db);
    filters.push_back(Biquad::peaking(f0, q, gain, sample_rate));
  }
  return filters;
}

void apply_coloration(const std::vector<Biquad>& filters, std::span<float> signal) {
  const ColorationJob job{&filters, signal};
  apply_colorations({&job, 1});
}

void apply_colorations(std::span<const ColorationJob> jobs) {
  constexpr std::size_t kMaxJobs = 4;
  constexpr std::size_t kMaxSections = 16;
  if (jobs.size() > kMaxJobs) throw Error("apply_colorations: at most " + std::to_string(kMaxJobs) + " signals");
  if (jobs.empty()) return;
  const std::size_t length = jobs[0].signal.size();
  std::array<std::size_t, kMaxJobs> count{};
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (jobs[j].signal.size() != length) throw Error("apply_colorations: signals of unequal length");
    count[j] = std::min(jobs[j].filters->size(), kMaxSections);
  }
  // Transposed direct form II in double, all sections of a signal in one pass (see apply_coloration's contract).
  std::array<std::array<double, kMaxSections>, kMaxJobs> s1{}, s2{};
  // In the silences between utterances the states decay towards zero and would reach the subnormal range,
  // where arithmetic is dozens of times slower; states far below any audible level are set to zero instead.
  constexpr double kNegligible = 1e-30;
  constexpr std::size_t kCheckEvery = 64;
  for (std::size_t n = 0; n < length; ++n) {
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const Biquad* f = jobs[j].filters->data();
      double x = jobs[j].signal[n];
      for (std::size_t i = 0; i < count[j]; ++i) {
        const double y = f[i].b0 * x + s1[j][i];
        s1[j][i] = f[i].b1 * x - f[i].a1 * y + s2[j][i];
        s2[j][i] = f[i].b2 * x - f[i].a2 * y;
        x = y;
      }
      jobs[j].signal[n] = static_cast<float>(x);
    }
    if (n % kCheckEvery == 0) {
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        for (std::size_t i = 0; i < count[j]; ++i) {
          if (std::fabs(s1[j][i]) < kNegligible) s1[j][i] = 0.0;
          if (std::fabs(s2[j][i]) < kNegligible) s2[j][i] = 0.0;
        }
      }
    }
  }
}

}  // namespace nnse::data
