#include "nnse/data/mixer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nnse/audio/resample.h"
#include "nnse/data/checksum.h"
#include "nnse/data/formant_warp.h"
#include "nnse/data/random.h"
#include "nnse/util/error.h"
#include "nnse/util/stage_profile.h"

namespace nnse::data {

namespace {

std::int64_t seconds_to_samples(double seconds, int rate) { return std::llround(seconds * rate); }

double db_to_gain(double db) { return std::pow(10.0, db / 20.0); }

float peak_of(const std::vector<float>& x) {
  float peak = 0.0f;
  for (const float v : x) peak = std::max(peak, std::fabs(v));
  return peak;
}

void scale(std::vector<float>& x, double gain) {
  const auto g = static_cast<float>(gain);
  for (float& v : x) v *= g;
}

std::string strip_file_prefix(const std::string& message, const std::string& file) {
  const std::string prefix = file + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

}  // namespace

Mixer::Mixer(std::shared_ptr<const Corpus> corpus, Split split, MixConfig config, std::shared_ptr<AudioCache> cache)
    : corpus_(std::move(corpus)), split_(split), config_(std::move(config)), cache_(std::move(cache)) {
  config_.validate();
  if (!corpus_) throw Error("Mixer: no corpus");
  if (corpus_->sample_rate() != config_.frontend.sample_rate) {
    throw Error("Mixer: the corpus is read at " + std::to_string(corpus_->sample_rate()) + " Hz but the config says " +
                std::to_string(config_.frontend.sample_rate) + " Hz");
  }
  if (!cache_) {
    cache_ = std::make_shared<AudioCache>(config_.frontend.sample_rate, config_.frontend.dc_pole,
                                          config_.frontend.dc_removal, std::size_t{512} << 20, corpus_->skipped());
  }
  files_ = &corpus_->files(split_);
  const std::string where = to_string(split_) + " split";
  if (files_->speech.empty()) throw Error(where, "has no usable speech files");
  if (files_->noise.empty()) throw Error(where, "has no usable noise files");

  noise_types_ = corpus_->noise_types(split_);
  noise_by_type_.resize(noise_types_.size());
  one_shots_by_type_.resize(noise_types_.size());
  const auto one_shot_limit = seconds_to_samples(config_.one_shot_max_seconds, config_.frontend.sample_rate);
  for (std::uint32_t i = 0; i < files_->noise.size(); ++i) {
    const auto& file = files_->noise[i];
    const auto t = static_cast<std::size_t>(
        std::lower_bound(noise_types_.begin(), noise_types_.end(), file.group) - noise_types_.begin());
    noise_by_type_[t].push_back(i);
    if (file.samples < one_shot_limit) one_shots_by_type_[t].push_back(i);
  }

  const std::size_t available = files_->speech.size();
  std::size_t wanted = available;
  if (config_.datasize_noise > 0) {
    const auto n = static_cast<std::size_t>(config_.datasize_noise);
    wanted = split_ == Split::train ? n : (n + 4) / 5;  // reference 2.4: N for train, N/5 for test
  }
  speech_per_type_ = std::min(wanted, available);
  double mean = 0.0;
  for (const auto& f : files_->speech) mean += static_cast<double>(f.samples);
  mean /= static_cast<double>(available);
  const auto rate = config_.frontend.sample_rate;
  const double mean_silence = static_cast<double>(seconds_to_samples(config_.pad_min_seconds, rate) +
                                                  seconds_to_samples(config_.pad_max_seconds, rate) - 1);
  const double stream = static_cast<double>(speech_per_type_) * (mean + mean_silence);
  clips_per_type_ = static_cast<std::size_t>(std::max<long long>(1, std::llround(stream / static_cast<double>(config_.clip_samples()))));

  std::ostringstream listing;
  for (const Kind kind : {Kind::speech, Kind::noise, Kind::rir}) {
    for (const auto& f : files_->of(kind)) listing << to_string(kind) << '\t' << f.name << '\t' << f.samples << '\n';
  }
  const std::string text = listing.str();
  fingerprint_ = sha256_hex({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}).substr(0, 32);
}

nlohmann::json Mixer::recipe() const {
  return {{"mixing_version", kMixingVersion},
          {"mix", config_},
          {"split", to_string(split_)},
          {"corpus",
           {{"speech_files", files_->speech.size()},
            {"noise_files", files_->noise.size()},
            {"rir_files", files_->rir.size()},
            {"fingerprint", fingerprint_}}},
          {"noise_types", noise_types_},
          {"speech_per_type", speech_per_type_},
          {"clips_per_type", clips_per_type_},
          {"clips", size()}};
}

std::shared_ptr<const Mixer::Plan> Mixer::plan(int epoch, std::size_t type) const {
  const auto key = std::make_pair(epoch, type);
  {
    std::lock_guard lock(plans_mutex_);
    const auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
  }
  auto plan = std::make_shared<Plan>();
  const auto split_id = static_cast<std::uint64_t>(split_);
  const auto epoch_id = static_cast<std::uint64_t>(static_cast<std::int64_t>(epoch));
  Rng order(derive_key(config_.seed, {split_id, epoch_id, type, static_cast<std::uint64_t>(Stream::speech_order)}));
  const auto permutation = order.permutation(files_->speech.size());
  Rng pads(derive_key(config_.seed, {split_id, epoch_id, type, static_cast<std::uint64_t>(Stream::padding)}));
  const auto rate = config_.frontend.sample_rate;
  const std::int64_t pad_low = seconds_to_samples(config_.pad_min_seconds, rate);
  const std::int64_t pad_high = seconds_to_samples(config_.pad_max_seconds, rate);
  std::int64_t position = 0;
  plan->items.reserve(speech_per_type_);
  for (std::size_t i = 0; i < speech_per_type_; ++i) {
    const auto file = static_cast<std::uint32_t>(permutation[i]);
    const std::int64_t before = pads.between(pad_low, pad_high);
    const std::int64_t after = pads.between(pad_low, pad_high);
    const auto gain_db = static_cast<float>(pads.uniform(-config_.utterance_gain_db, config_.utterance_gain_db));
    const std::int64_t length = files_->speech[file].samples;
    plan->items.push_back({file, position + before, length, gain_db});
    position += before + length + after;
  }
  plan->total = std::max<std::int64_t>(position, 1);
  std::lock_guard lock(plans_mutex_);
  // Training asks for one epoch at a time: keep the plans of this epoch and the one before.
  for (auto it = plans_.begin(); it != plans_.end();) {
    it = it->first.first < epoch - 1 ? plans_.erase(it) : std::next(it);
  }
  return plans_.emplace(key, std::move(plan)).first->second;
}

std::vector<float> Mixer::speech_window(const Plan& plan, std::int64_t start, std::int64_t length,
                                        std::int64_t clip_from, std::vector<SpeechPiece>* pieces) const {
  std::vector<float> out(static_cast<std::size_t>(length), 0.0f);
  const std::int64_t total = plan.total;
  std::int64_t position = ((start % total) + total) % total;
  const std::int64_t clip_to = clip_from + static_cast<std::int64_t>(config_.clip_samples());
  std::int64_t done = 0;
  while (done < length) {
    const std::int64_t segment = std::min(length - done, total - position);
    // First utterance ending after `position` (utterances never overlap, so ends are sorted too).
    auto it = std::lower_bound(plan.items.begin(), plan.items.end(), position,
                               [](const Placed& p, std::int64_t pos) { return p.start + p.length <= pos; });
    for (; it != plan.items.end() && it->start < position + segment; ++it) {
      const auto& file = files_->speech[it->file];
      // Only the part inside the window is expanded from the cache.
      const AudioRef audio = cache_->ref(file.path, true);
      if (!audio.error().empty()) continue;  // reported by the cache; its slot stays silent
      if (!(audio.active_power() > 0.0)) {
        corpus_->skipped()->add(file.path.string(), "silent: no active speech");
        continue;
      }
      const std::int64_t usable = std::min<std::int64_t>(it->length, static_cast<std::int64_t>(audio.size()));
      const std::int64_t a = std::max(position, it->start);
      const std::int64_t b = std::min({position + segment, it->start + usable});
      if (b <= a) continue;
      const auto gain = static_cast<float>(db_to_gain(it->gain_db) / std::sqrt(audio.active_power()));
      float* target = out.data() + (done + a - position);
      audio.read(static_cast<std::size_t>(a - it->start), {target, static_cast<std::size_t>(b - a)});
      for (std::int64_t k = 0; k < b - a; ++k) target[k] *= gain;
      if (pieces) {
        const std::int64_t from = std::max(done + a - position, clip_from);
        const std::int64_t to = std::min(done + b - position, clip_to);
        if (to > from) {
          pieces->push_back({file.name, from - clip_from, a - it->start + (from - (done + a - position)), to - from,
                             static_cast<double>(it->gain_db)});
        }
      }
    }
    done += segment;
    position = 0;
  }
  return out;
}

std::vector<float> Mixer::babble_for(const Plan& plan, std::int64_t clip_start, std::size_t length, Rng& rng,
                                     ClipMeta& meta) const {
  const auto talkers = rng.between(config_.babble_min_talkers, config_.babble_max_talkers + 1);
  const auto n = static_cast<std::int64_t>(length);
  // Windows start 2 clip lengths after the clip's own (room for its reverb and speed-perturbed reach) and end
  // 2 clip lengths before it, cyclically; a stream shorter than that allows any start after the clip.
  const std::int64_t span = std::max<std::int64_t>(1, plan.total - 4 * n);
  std::vector<float> out(length, 0.0f);
  for (std::int64_t t = 0; t < talkers; ++t) {
    const auto window = speech_window(plan, clip_start + 2 * n + rng.between(0, span), n, 0, nullptr);
    for (std::size_t k = 0; k < length; ++k) out[k] += window[k];
  }
  if (!(mean_power(out) > 0.0)) return {};
  meta.noise_files = {fmt::format("babble of {} talkers", talkers)};
  meta.noise_offset = 0;
  meta.one_shot_stream = false;
  return out;
}

std::vector<float> Mixer::noise_for(std::size_t type, std::size_t length, Rng& rng, ClipMeta& meta) const {
  const auto& candidates = noise_by_type_[type];
  const auto& one_shots = one_shots_by_type_[type];
  const auto rate = config_.frontend.sample_rate;
  std::vector<float> out(length, 0.0f);
  const std::size_t first = static_cast<std::size_t>(rng.below(candidates.size()));
  // A file that cannot be read (or is silent) is skipped for the next one of the same type, in a fixed order.
  for (std::size_t attempt = 0; attempt < candidates.size(); ++attempt) {
    const auto& file = files_->noise[candidates[(first + attempt) % candidates.size()]];
    const bool one_shot = std::binary_search(one_shots.begin(), one_shots.end(), candidates[(first + attempt) % candidates.size()]);
    std::fill(out.begin(), out.end(), 0.0f);
    meta.noise_files.clear();
    meta.noise_offset = 0;
    meta.one_shot_stream = false;
    if (one_shot) {
      // Typing: one-shots of this type one after another at 80-300 ms, now and then a pause.
      meta.one_shot_stream = true;
      std::vector<std::string> used;
      std::int64_t t = rng.between(0, seconds_to_samples(config_.typing_gap_max_seconds, rate));
      const auto gap_low = seconds_to_samples(config_.typing_gap_min_seconds, rate);
      const auto gap_high = seconds_to_samples(config_.typing_gap_max_seconds, rate);
      const auto pause_low = seconds_to_samples(config_.typing_pause_min_seconds, rate);
      const auto pause_high = seconds_to_samples(config_.typing_pause_max_seconds, rate);
      while (t < static_cast<std::int64_t>(length)) {
        const auto& key = files_->noise[one_shots[rng.below(one_shots.size())]];
        const auto gain = static_cast<float>(db_to_gain(rng.uniform(-3.0, 3.0)));
        const auto audio = cache_->get(key.path, true);
        if (audio->error.empty()) {
          const auto n = std::min<std::size_t>(audio->samples.size(), length - static_cast<std::size_t>(t));
          for (std::size_t k = 0; k < n; ++k) out[static_cast<std::size_t>(t) + k] += gain * audio->samples[k];
          used.push_back(key.name);
        }
        t += rng.chance(config_.typing_pause_prob) ? rng.between(pause_low, pause_high) : rng.between(gap_low, gap_high);
      }
      std::sort(used.begin(), used.end());
      used.erase(std::unique(used.begin(), used.end()), used.end());
      meta.noise_files = std::move(used);
    } else {
      // A crop expands only the clip's length of a file that may last minutes.
      const AudioRef audio = cache_->ref(file.path, true);
      if (!audio.error().empty()) continue;
      if (audio.size() >= length) {
        const auto offset = static_cast<std::size_t>(rng.below(audio.size() - length + 1));
        audio.read(offset, out);
        meta.noise_offset = static_cast<std::int64_t>(offset);
      } else {
        std::vector<float> x(audio.size());
        audio.read(0, x);
        std::size_t offset = static_cast<std::size_t>(rng.below(x.size()));
        meta.noise_offset = static_cast<std::int64_t>(offset);
        for (std::size_t k = 0; k < length; ++k) {
          out[k] = x[offset];
          if (++offset == x.size()) offset = 0;
        }
      }
      meta.noise_files = {file.name};
    }
    if (mean_power(out) > 0.0) return out;
    if (!one_shot) corpus_->skipped()->add(file.path.string(), "silent noise (zero power)");
  }
  throw Error(to_string(split_) + " split, noise type " + noise_types_[type], "no readable, non-silent noise file");
}

Rng Mixer::clip_stream(int epoch, std::size_t index, Stream stream) const {
  return Rng(derive_key(config_.seed, {static_cast<std::uint64_t>(split_), static_cast<std::uint64_t>(static_cast<std::int64_t>(epoch)),
                                       index, static_cast<std::uint64_t>(stream)}));
}

Clip Mixer::make(std::size_t index, int epoch) const {
  if (index >= size()) {
    throw Error("clip index " + std::to_string(index) + " out of range (" + std::to_string(size()) + " clips)");
  }
  const profile::Scope scope(profile::Stage::mix);
  const std::size_t types = noise_types_.size();
  const std::size_t type = index % types;
  const std::size_t window = index / types;
  const auto plan_ptr = plan(epoch, type);
  const Plan& p = *plan_ptr;
  const auto length = static_cast<std::int64_t>(config_.clip_samples());
  __extension__ typedef unsigned __int128 u128;
  const auto start = static_cast<std::int64_t>(static_cast<u128>(window) * static_cast<u128>(p.total) / clips_per_type_);

  Clip clip;
  ClipMeta& meta = clip.meta;
  meta.split = to_string(split_);
  meta.epoch = epoch;
  meta.index = index;
  meta.noise_type = noise_types_[type];

  Rng rng = clip_stream(epoch, index, Stream::clip);
  const double snr = config_.snr_db[rng.below(config_.snr_db.size())];
  const double peak_wanted =
      config_.peak_uniform_in_db
          ? db_to_gain(rng.uniform(20.0 * std::log10(config_.min_peak), 20.0 * std::log10(config_.max_peak)))
          : rng.uniform(config_.min_peak, config_.max_peak);
  const bool reverb_drawn = rng.chance(config_.reverb_prob);
  const std::uint64_t rir_draw = rng.next();
  Rng noise_rng(rng.next());  // noise draws vary in number; their own stream keeps the others fixed

  const auto& rirs = files_->rir;
  std::optional<PreparedRir> rir;
  if (split_ == Split::train && config_.sim_room_prob > 0.0) {
    Rng room_rng = clip_stream(epoch, index, Stream::room);
    if (room_rng.chance(config_.sim_room_prob)) {
      const RoomDraw room = draw_room(room_rng, config_.room);
      rir = prepare_rir(room_impulse_response(room, config_.frontend.sample_rate, config_.room.max_seconds, room_rng),
                        config_.frontend.sample_rate, config_.rir);
      meta.reverb = true;
      meta.rir = fmt::format("simulated room {:.1f}x{:.1f}x{:.1f} m, RT60 {:.2f} s", room.size_m[0], room.size_m[1],
                             room.size_m[2], room.rt60_s);
    }
  }
  if (!rir && reverb_drawn && !rirs.empty()) {
    const auto& file = rirs[rir_draw % rirs.size()];
    const auto audio = cache_->get(file.path, false);
    if (audio->error.empty()) {
      try {
        const profile::Scope reverb_scope(profile::Stage::reverb);
        rir = prepare_rir(audio->samples, config_.frontend.sample_rate, config_.rir);
        meta.reverb = true;
        meta.rir = file.name;
      } catch (const Error& e) {
        corpus_->skipped()->add(file.path.string(), strip_file_prefix(e.what(), file.path.string()));
      }
    }
  }

  const auto rate = config_.frontend.sample_rate;
  // Speed perturbation: `count` output samples are `count * speed` stream samples played back at `rate`.
  double speed = 1.0;
  if (split_ == Split::train && config_.speed_perturb > 0.0) {
    Rng speed_rng = clip_stream(epoch, index, Stream::speed);
    speed = speed_rng.uniform(1.0 - config_.speed_perturb, 1.0 + config_.speed_perturb);
  }
  double formant = 1.0;
  if (split_ == Split::train && config_.formant_warp > 0.0) {
    Rng formant_rng = clip_stream(epoch, index, Stream::formant);
    formant = formant_rng.uniform(1.0 - config_.formant_warp, 1.0 + config_.formant_warp);
  }
  auto speed_window = [&](std::int64_t from, std::int64_t count, std::int64_t report_from) {
    if (speed == 1.0) return speech_window(p, from, count, report_from, &meta.speech);
    const int source_rate = static_cast<int>(std::lround(rate * speed));
    const double ratio = static_cast<double>(source_rate) / rate;
    // A few samples more than needed: the resampler rounds the output length.
    const auto source_count = static_cast<std::int64_t>(std::ceil(static_cast<double>(count) * ratio)) + 16;
    const auto source_report = static_cast<std::int64_t>(std::llround(static_cast<double>(report_from) * ratio));
    const auto raw = speech_window(p, from, source_count, source_report, &meta.speech);
    auto out = audio::resample(raw, source_rate, rate);
    out.resize(static_cast<std::size_t>(count), 0.0f);
    return out;
  };
  // Formant warp after the speed change (it keeps the pitch that the speed set) and before the room.
  auto dry_window = [&](std::int64_t from, std::int64_t count, std::int64_t report_from) {
    auto out = speed_window(from, count, report_from);
    if (formant != 1.0) {
      const profile::Scope formant_scope(profile::Stage::formant);
      out = warp_formants(out, formant, rate);
    }
    return out;
  };

  std::vector<float> input, target;
  if (rir) {
    // Enough dry speech around the window for the RIR's tail (before) and its pre-peak taps (after).
    const auto before = static_cast<std::int64_t>(rir->full.size() - 1 - rir->peak);
    const auto after = static_cast<std::int64_t>(rir->peak);
    const auto dry = dry_window(start - before, before + length + after, before);
    const profile::Scope reverb_scope(profile::Stage::reverb);
    auto wet = fft_convolve(dry, {rir->full, rir->target}, static_cast<std::size_t>(before + after),
                            static_cast<std::size_t>(length));
    input = std::move(wet[0]);
    target = std::move(wet[1]);
  } else {
    input = dry_window(start, length, 0);
    target = input;
  }

  const bool colored = split_ == Split::train && config_.coloration.max_db > 0.0;
  Rng coloration_rng = clip_stream(epoch, index, Stream::coloration);
  // The noise is fetched before the speech levels are set (it depends on none of them), so that speech and noise
  // are colored in one pass: the cascades are independent and run side by side (coloration.h).
  std::vector<float> noise;
  if (split_ == Split::train && config_.babble_prob > 0.0) {
    Rng babble_rng = clip_stream(epoch, index, Stream::babble);
    if (babble_rng.chance(config_.babble_prob)) {
      noise = babble_for(p, start, static_cast<std::size_t>(length), babble_rng, meta);
    }
  }
  if (noise.empty()) noise = noise_for(type, static_cast<std::size_t>(length), noise_rng, meta);
  if (colored) {
    const profile::Scope coloration_scope(profile::Stage::coloration);
    // Drawn in this order (speech, then noise) from the clip's coloration stream.
    const auto speech_filter = random_coloration(coloration_rng, config_.coloration, rate);
    const auto noise_filter = random_coloration(coloration_rng, config_.coloration, rate);
    std::vector<ColorationJob> jobs = {{&speech_filter, input}, {&noise_filter, noise}};
    if (rir) jobs.push_back({&speech_filter, target});
    apply_colorations(jobs);
    if (!rir) target = input;
  }
  const ActiveLevel level_in = active_speech_level(input, rate, config_.level);
  meta.active_fraction = level_in.active_fraction;
  if (level_in.power > 0.0) {
    scale(input, 1.0 / std::sqrt(level_in.power));
    const double target_power = active_speech_level(target, rate, config_.level).power;
    if (target_power > 0.0) scale(target, 1.0 / std::sqrt(target_power));
    meta.snr_db = snr;
  } else {
    std::fill(input.begin(), input.end(), 0.0f);
    std::fill(target.begin(), target.end(), 0.0f);
  }

  const double noise_gain = db_to_gain(-snr) / std::sqrt(mean_power(noise));
  clip.noisy.resize(static_cast<std::size_t>(length));
  for (std::size_t k = 0; k < clip.noisy.size(); ++k) {
    clip.noisy[k] = static_cast<float>(input[k] + noise_gain * noise[k]);
  }
  const float noisy_peak = peak_of(clip.noisy);
  const float target_peak = peak_of(target);
  double gain = noisy_peak > 0.0f ? peak_wanted / noisy_peak : 1.0;
  if (target_peak * gain > 0.99) gain = 0.99 / target_peak;  // the target must fit 16-bit storage too
  scale(clip.noisy, gain);
  scale(target, gain);
  clip.clean = std::move(target);
  meta.gain = gain;
  meta.peak = noisy_peak * gain;
  return clip;
}

}  // namespace nnse::data
