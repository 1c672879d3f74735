#pragma once
// Microphone capture for `nnse test --recording 1`. The recorder reads from an AudioSource so that tests (and
// users with unusual hardware) can inject their own; the default source is PortAudio's default input device.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nnse::audio {

class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Starts delivering mono float samples at `sample_rate`; throws nnse::Error if the device cannot.
  virtual void start(int sample_rate) = 0;
  // Blocks until `out` is filled or the source ends; returns the number of samples written.
  virtual std::size_t read(std::span<float> out) = 0;
  virtual void stop() = 0;
  virtual std::string describe() const = 0;
};

// The default input device through PortAudio. Construction throws nnse::Error with a clear message when the
// machine has no input device (e.g. a server or container), naming what PortAudio reported.
std::unique_ptr<AudioSource> open_default_microphone();

// Records `seconds` of audio in blocks of `block` samples (the reference records 160-sample buffers).
std::vector<float> record(AudioSource& source, double seconds, int sample_rate, std::size_t block = 160);

}  // namespace nnse::audio
