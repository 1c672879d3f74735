#include "cli/mix_options.h"

#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "nnse/data/mixer.h"

namespace nnse::cli {

void add_mix_options(CLI::App& command, train::DataChoice& choice, bool training) {
  command.add_option(flag("more-corpus"), choice.more_corpora,
                     "With --corpus: further corpus folders merged into it (repeatable; e.g. extra voices and noises)");
  add_snr_option(command, choice.snr_db);
  command
      .add_option_function<double>(
          flag("reverb-prob"), [&choice](double p) { choice.reverb_prob = p; },
          "With --corpus: share of clips reverberated with a corpus RIR (default 0.2)")
      ->check(finite_in(0, 1));
  command
      .add_option_function<std::vector<double>>(
          flag("peak-dbfs"),
          [&choice](const std::vector<double>& range) {
            if (range.size() != 2 || !(range[0] <= range[1])) {
              throw CLI::ValidationError("--peak-dbfs", "give LO,HI with LO <= HI, e.g. -50,-1");
            }
            choice.peak_dbfs = std::make_pair(range[0], range[1]);
          },
          "Peak level of each mixture in dBFS, drawn uniformly in dB in LO,HI (e.g. -50,-1: quiet microphones as "
          "common as loud ones; -45,-45: every clip at one level). Default: uniform in amplitude in 0.01-0.95 "
          "(-40 to -0.4 dBFS, the reference's; 1 % of clips below -34 dBFS)")
      ->expected(2)
      ->delimiter(',')
      ->check(finite_in(-120, 0));
  command
      .add_option_function<double>(
          flag("target-late-decay"), [&choice](double d) { choice.target_late_decay_db_per_s = d; },
          "Reverberant clips: extra decay in dB/s of the target's reverberation after its first 5 ms (default 60, "
          "the reference's: the network learns to remove late reverberation; 0: the target keeps the room, noise "
          "removal only)")
      ->check(finite_in(0, 1000));
  if (training) {
    command.add_option(flag("speed-perturb"), choice.speed_perturb,
                       "With --on-the-fly, augmentation: play each training clip's speech at a random speed in "
                       "[1-S, 1+S] (tempo and pitch: new voices; train split only; 0: off)")
        ->check(finite_in(0, 0.3))
        ->capture_default_str();
    command.add_option(flag("formant-warp"), choice.formant_warp,
                       "With --on-the-fly, augmentation: move each training clip's formants by a random factor in "
                       "[1-W, 1+W] at an unchanged pitch (vocal-tract-length perturbation: new voices; train split "
                       "only; 0: off)")
        ->check(finite_in(0, 0.3))
        ->capture_default_str();
    command
        .add_option(flag("sim-room-prob"), choice.sim_room_prob,
                    "With --on-the-fly, augmentation: share of training clips reverberated in a simulated shoebox "
                    "room (image sources, RT60 0.15-0.8 s) instead of a corpus RIR (train split only; 0: off)")
        ->check(finite_in(0, 1))
        ->capture_default_str();
    command
        .add_option(flag("babble-prob"), choice.babble_prob,
                    "With --on-the-fly, augmentation: share of training clips whose noise is babble: 3-8 other "
                    "stretches of the training speech summed (train split only; 0: off)")
        ->check(finite_in(0, 1))
        ->capture_default_str();
  }
}

void add_snr_option(CLI::App& command, std::vector<double>& snr_db) {
  command.add_option_function<std::string>(
      flag("snr"), [&snr_db](const std::string& text) { snr_db = data::snr_list_from_string(text); },
      "SNR choices in dB, comma-separated, each in [-40, 60]; 'clean' adds clips without noise (default: "
      "-6,-3,0,3,6,9,12,15,30)");
}

}  // namespace nnse::cli
