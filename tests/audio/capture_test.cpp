#include "nnse/audio/capture.h"

#include <gtest/gtest.h>

#include "nnse/util/error.h"

namespace nnse::audio {
namespace {

// Delivers a ramp, counting how it was driven, and optionally runs dry early.
class RampSource final : public AudioSource {
 public:
  explicit RampSource(std::size_t available) : available_(available) {}
  void start(int sample_rate) override { started_rate = sample_rate; }
  std::size_t read(std::span<float> out) override {
    ++reads;
    largest_read = std::max(largest_read, out.size());
    std::size_t n = 0;
    for (; n < out.size() && position_ < available_; ++n) out[n] = static_cast<float>(position_++) * 1e-6f;
    return n;
  }
  void stop() override { stopped = true; }
  std::string describe() const override { return "ramp"; }
  int started_rate = 0;
  int reads = 0;
  std::size_t largest_read = 0;
  bool stopped = false;

 private:
  std::size_t available_;
  std::size_t position_ = 0;
};

TEST(Capture, RecordsTheRequestedDurationInBlocks) {
  RampSource source(1'000'000);
  const auto samples = record(source, 10.0, 16000, 160);
  ASSERT_EQ(samples.size(), 160000u);
  EXPECT_EQ(source.started_rate, 16000);
  EXPECT_EQ(source.reads, 1000);
  EXPECT_EQ(source.largest_read, 160u);
  EXPECT_TRUE(source.stopped);
  for (std::size_t i = 0; i < samples.size(); i += 997) EXPECT_FLOAT_EQ(samples[i], static_cast<float>(i) * 1e-6f);
}

TEST(Capture, ShortSourceGivesWhatItHad) {
  RampSource source(5000);
  EXPECT_EQ(record(source, 1.0, 16000).size(), 5000u);
}

TEST(Capture, SilentDeviceIsAnError) {
  RampSource source(0);
  EXPECT_THROW(record(source, 1.0, 16000), Error);
}

TEST(Capture, MissingMicrophoneIsAClearErrorNotACrash) {
  // On machines without an input device (CI) this must throw nnse::Error with a message saying so; on a
  // machine with a microphone it opens it.
  try {
    auto microphone = open_default_microphone();
    EXPECT_FALSE(microphone->describe().empty());
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("microphone"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnse::audio
