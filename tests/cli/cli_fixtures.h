#pragma once
// Shared set-up of the issue-14 CLI tests: a tiny arch, shards from a tiny synthetic corpus, and whether the
// binary runs under AddressSanitizer (whose shadow memory makes `ulimit -v` unusable).
#include <filesystem>
#include <memory>
#include <string>

#include "data/data_fixtures.h"
#include "nnse/data/corpus.h"
#include "nnse/data/mixer.h"
#include "nnse/data/shard.h"
#include "nnse/util/atomic_file.h"
#include "test_support.h"

namespace nnse::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif
#else
inline constexpr bool kUnderAsan = false;
#endif

inline const char* kTinyArchText =
    "input_neurons 72\ndropprob 0.0\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation tanh\ndropprob 0.0\n"
    "layer_type lstm\nlayer_neurons 6\nactivation tanh\ndropprob 0.0\n"
    "layer_type fc\nlayer_neurons 257\nactivation sigmoid\n";

inline std::filesystem::path write_tiny_arch(const std::filesystem::path& dir) {
  const auto path = dir / "def_tiny.txt";
  write_file_atomic(path, std::string(kTinyArchText));
  return path;
}

// DIR/shards/{train,valid} from a tiny corpus. tiny_train_args leaves --batch-size to the caller.
inline std::filesystem::path write_tiny_shards(const std::filesystem::path& dir) {
  TinyCorpusOptions corpus_options;
  corpus_options.speech_files = 10;
  corpus_options.noise_files_per_group = 2;
  corpus_options.rirs = 1;
  make_manifest_corpus(dir / "corpus", corpus_options);
  auto corpus = std::make_shared<data::Corpus>(data::CorpusSources{.corpus = dir / "corpus"}, 16000,
                                               std::make_shared<data::SkipLog>());
  data::MixConfig mix;
  mix.clip_seconds = 1.0;
  mix.datasize_noise = -1;
  for (auto split : {data::Split::train, data::Split::valid}) {
    const data::Mixer mixer(corpus, split, mix);
    data::ShardJobOptions job;
    job.out = dir / "shards" / data::to_string(split);
    job.records_per_shard = 4;
    job.max_clips = 6;
    data::write_shards(mixer, job);
  }
  return dir / "shards";
}

inline std::string tiny_train_args(const std::filesystem::path& dir, const std::filesystem::path& arch,
                                   const std::filesystem::path& shards) {
  return "train --nn-arch " + arch.string() + " --data " + shards.string() + " --models-dir " +
         (dir / "models").string() + " --chunk-frames 20 --threads 1 --data-threads 0";
}

}  // namespace nnse::test
