#include "nnse/audio/capture.h"

#include <portaudio.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "nnse/util/error.h"

namespace nnse::audio {
namespace {

std::string pa_message(PaError error) { return Pa_GetErrorText(error); }

class PortAudioSource final : public AudioSource {
 public:
  PortAudioSource() {
    const PaError init = Pa_Initialize();
    if (init != paNoError) throw Error("microphone: cannot initialise PortAudio: " + pa_message(init));
    initialised_ = true;
    device_ = Pa_GetDefaultInputDevice();
    if (device_ == paNoDevice) {
      throw Error("microphone: no audio input device found (PortAudio sees " + std::to_string(std::max(0, Pa_GetDeviceCount())) +
                  " devices, none is a default input); use --recording 0 --test-wavefile FILE instead");
    }
  }
  ~PortAudioSource() override {
    stop();
    if (initialised_) Pa_Terminate();
  }
  void start(int sample_rate) override {
    PaStreamParameters input{};
    input.device = device_;
    input.channelCount = 1;
    input.sampleFormat = paFloat32;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device_);
    input.suggestedLatency = info ? info->defaultLowInputLatency : 0.05;
    const PaError open = Pa_OpenStream(&stream_, &input, nullptr, sample_rate, 160, paClipOff, nullptr, nullptr);
    if (open != paNoError) throw Error("microphone: cannot open '" + describe() + "' at " + std::to_string(sample_rate) + " Hz mono: " + pa_message(open));
    const PaError started = Pa_StartStream(stream_);
    if (started != paNoError) throw Error("microphone: cannot start recording: " + pa_message(started));
  }
  std::size_t read(std::span<float> out) override {
    const PaError error = Pa_ReadStream(stream_, out.data(), static_cast<unsigned long>(out.size()));
    if (error != paNoError && error != paInputOverflowed) throw Error("microphone: read failed: " + pa_message(error));
    if (error == paInputOverflowed) spdlog::warn("microphone: input overflow (samples were dropped)");
    return out.size();
  }
  void stop() override {
    if (stream_) {
      Pa_StopStream(stream_);
      Pa_CloseStream(stream_);
      stream_ = nullptr;
    }
  }
  std::string describe() const override {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device_);
    return info && info->name ? info->name : "default input";
  }

 private:
  bool initialised_ = false;
  PaDeviceIndex device_ = paNoDevice;
  PaStream* stream_ = nullptr;
};

}  // namespace

std::unique_ptr<AudioSource> open_default_microphone() { return std::make_unique<PortAudioSource>(); }

std::vector<float> record(AudioSource& source, double seconds, int sample_rate, std::size_t block) {
  if (!(seconds > 0) || block == 0) throw Error("record: duration and block size must be positive");
  const auto total = static_cast<std::size_t>(std::llround(seconds * sample_rate));
  std::vector<float> samples(total);
  source.start(sample_rate);
  std::size_t filled = 0;
  while (filled < total) {
    const std::size_t want = std::min(block, total - filled);
    const std::size_t got = source.read(std::span<float>(samples).subspan(filled, want));
    if (got == 0) break;
    filled += got;
  }
  source.stop();
  if (filled < total) {
    spdlog::warn("recording from '{}' ended after {:.2f} s of the requested {:.2f} s", source.describe(),
                 static_cast<double>(filled) / sample_rate, seconds);
    samples.resize(filled);
  }
  if (samples.empty()) throw Error("microphone '" + source.describe() + "' delivered no samples");
  return samples;
}

}  // namespace nnse::audio
