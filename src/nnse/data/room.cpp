#include "nnse/data/room.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nnse/data/random.h"
#include "nnse/util/error.h"

namespace nnse::data {
namespace {

constexpr double kSpeedOfSound = 343.0;  // m/s at 20 degrees C
constexpr int kSincHalfWidth = 16;
// Image sources model the early response, where single reflections matter; past this the reflections are dense
// and a noise tail with the room's decay is indistinguishable (and a million times cheaper).
constexpr double kEarlySeconds = 0.08;

double distance(const double a[3], const double b[3]) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

// Adds `amplitude` at fractional position `at` with a Hann-windowed sinc (band-limited, so an image between two
// samples does not alias). sin(pi (k - at)) = -(-1)^k sin(pi at): one sine per image, not per tap.
void add_tap(std::vector<float>& h, double at, double amplitude) {
  const auto center = static_cast<long>(std::floor(at));
  const double s = std::sin(std::numbers::pi * at);
  for (long k = center - kSincHalfWidth + 1; k <= center + kSincHalfWidth; ++k) {
    if (k < 0 || k >= static_cast<long>(h.size())) continue;
    const double x = static_cast<double>(k) - at;
    const double numerator = (k % 2 == 0 ? -s : s);
    const double sinc = std::abs(x) < 1e-9 ? 1.0 : numerator / (std::numbers::pi * x);
    const double window = 0.5 + 0.5 * std::cos(std::numbers::pi * x / kSincHalfWidth);
    h[static_cast<std::size_t>(k)] += static_cast<float>(amplitude * sinc * window);
  }
}

// Continues h after `from` with Gaussian noise decaying by 60 dB per RT60, its level matched to the image response's
// energy over the 10 ms before `from` (which it is added to across a 10 ms crossfade).
void add_late_tail(std::vector<float>& h, std::size_t from, double rt60_s, int sample_rate, Rng& rng) {
  const auto window = static_cast<std::size_t>(sample_rate / 100);
  if (from >= h.size() || from < window) return;
  double energy = 0.0;
  for (std::size_t i = from - window; i < from; ++i) energy += static_cast<double>(h[i]) * h[i];
  const double rms = std::sqrt(energy / static_cast<double>(window));
  const double decay_per_sample = std::log(1000.0) / (rt60_s * sample_rate);  // amplitude: -60 dB per RT60
  for (std::size_t i = from - window; i < h.size(); ++i) {
    const double ramp = i < from ? static_cast<double>(i - (from - window)) / static_cast<double>(window) : 1.0;
    // Box-Muller from two uniforms of the clip's own stream.
    const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
    const double gauss = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    const double t = static_cast<double>(i) - static_cast<double>(from - window);
    h[i] += static_cast<float>(ramp * rms * gauss * std::exp(-decay_per_sample * t));
  }
}

}  // namespace

RoomDraw draw_room(Rng& rng, const RoomOptions& o) {
  RoomDraw room;
  room.size_m[0] = rng.uniform(o.min_size_m, o.max_size_m);
  room.size_m[1] = rng.uniform(o.min_size_m, o.max_size_m);
  room.size_m[2] = rng.uniform(o.min_height_m, o.max_height_m);
  room.rt60_s = rng.uniform(o.min_rt60_s, o.max_rt60_s);
  auto place = [&](double p[3]) {
    for (int a = 0; a < 3; ++a) p[a] = rng.uniform(o.wall_margin_m, room.size_m[a] - o.wall_margin_m);
  };
  place(room.source_m);
  // The microphone at a drawn distance in a drawn direction; redrawn (bounded) until it fits inside the margins.
  for (int attempt = 0; attempt < 32; ++attempt) {
    const double d = rng.uniform(o.min_distance_m, o.max_distance_m);
    const double azimuth = rng.uniform(0.0, 2.0 * std::numbers::pi);
    const double elevation = rng.uniform(-0.3, 0.3);
    room.mic_m[0] = room.source_m[0] + d * std::cos(elevation) * std::cos(azimuth);
    room.mic_m[1] = room.source_m[1] + d * std::cos(elevation) * std::sin(azimuth);
    room.mic_m[2] = room.source_m[2] + d * std::sin(elevation);
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      inside = inside && room.mic_m[a] >= o.wall_margin_m && room.mic_m[a] <= room.size_m[a] - o.wall_margin_m;
    }
    if (inside) return room;
  }
  place(room.mic_m);  // a small room: anywhere inside
  return room;
}

std::vector<float> room_impulse_response(const RoomDraw& room, int sample_rate, double max_seconds, Rng& tail_rng) {
  const double* L = room.size_m;
  const double volume = L[0] * L[1] * L[2];
  const double surface = 2.0 * (L[0] * L[1] + L[0] * L[2] + L[1] * L[2]);
  if (!(volume > 0.0 && room.rt60_s > 0.0 && max_seconds > 0.0 && sample_rate > 0)) {
    throw Error("room simulation: room size, RT60, length and sample rate must be positive");
  }
  const double alpha = std::clamp(0.161 * volume / (surface * room.rt60_s), 0.01, 1.0);
  const double beta = std::sqrt(1.0 - alpha);  // pressure reflection coefficient of every wall
  const double direct = distance(room.source_m, room.mic_m);
  const double direct_delay = direct / kSpeedOfSound * sample_rate;
  // Time zero puts the direct path at kSincHalfWidth; images arriving later than max_seconds after it are dropped.
  const double shift = kSincHalfWidth - direct_delay;
  // Images up to kEarlySeconds after the direct path (a few thousand); a decaying noise tail after that.
  const double early_seconds = std::min(max_seconds, kEarlySeconds);
  const double horizon_m = direct + early_seconds * kSpeedOfSound;
  std::vector<float> h(static_cast<std::size_t>(kSincHalfWidth + max_seconds * sample_rate + kSincHalfWidth + 1), 0.0f);
  int order[3];
  for (int a = 0; a < 3; ++a) order[a] = static_cast<int>(std::ceil(horizon_m / (2.0 * L[a]))) + 1;
  // Image (n, q) along an axis: position 2 n L + (1 - 2q) s, hitting the walls |2n - q| + |n| ... counted below.
  const double scale = direct;  // normalizes the direct path (amplitude 1 / (4 pi d)) to 1
  for (int nx = -order[0]; nx <= order[0]; ++nx) {
    for (int qx = 0; qx <= 1; ++qx) {
      const double x = 2.0 * nx * L[0] + (1 - 2 * qx) * room.source_m[0] - room.mic_m[0];
      const int hits_x = std::abs(nx - qx) + std::abs(nx);
      for (int ny = -order[1]; ny <= order[1]; ++ny) {
        for (int qy = 0; qy <= 1; ++qy) {
          const double y = 2.0 * ny * L[1] + (1 - 2 * qy) * room.source_m[1] - room.mic_m[1];
          const int hits_y = std::abs(ny - qy) + std::abs(ny);
          const double xy2 = x * x + y * y;
          if (xy2 > horizon_m * horizon_m) continue;
          for (int nz = -order[2]; nz <= order[2]; ++nz) {
            for (int qz = 0; qz <= 1; ++qz) {
              const double z = 2.0 * nz * L[2] + (1 - 2 * qz) * room.source_m[2] - room.mic_m[2];
              const double d = std::sqrt(xy2 + z * z);
              if (d > horizon_m) continue;
              const int hits = hits_x + hits_y + std::abs(nz - qz) + std::abs(nz);
              const double amplitude = std::pow(beta, hits) * scale / std::max(d, 0.1);
              add_tap(h, d / kSpeedOfSound * sample_rate + shift, amplitude);
            }
          }
        }
      }
    }
  }
  add_late_tail(h, kSincHalfWidth + static_cast<std::size_t>(early_seconds * sample_rate), room.rt60_s, sample_rate, tail_rng);
  return h;
}

}  // namespace nnse::data
