#!/usr/bin/env node
// Measures what rnnoise.mjs relies on and checks its result:
//   1. RNNoise's own delay at 48 kHz (no compensation): must be RNNOISE_DELAY;
//   2. the resampler's round trip 16 -> 48 -> 16 kHz: same length, no lag, and how close to the input;
//   3. the command itself (`node rnnoise.mjs IN OUT` on a written WAV): same length as IN, no lag.
// Test signals: a synthetic noisy voice (a harmonic series with a gliding pitch and syllable-rate bursts, plus
// white noise at 10 dB SNR), and any 16 kHz mono 16-bit WAV files named on the command line.
//
//   node scripts/peers/rnnoise/check-alignment.mjs [FILE.wav ...]      (exit 0: aligned, 1: not)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { downsample3, upsample3 } from './resample.mjs';
import { RNNOISE_DELAY, denoise48k, loadRnnoise } from './rnnoise.mjs';
import { readWav16Mono, writeWav16Mono } from './wav.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// A small deterministic generator, so the check gives the same numbers every run.
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function syntheticNoisyVoice(seconds, rate) {
  const n = Math.round(seconds * rate);
  const voice = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; ++i) {
    const t = i / rate;
    const pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * pitch) / rate;
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 3.3 * t)) ** 2;
    let v = 0;
    for (let h = 1; h * pitch < 3800; ++h) v += Math.sin(h * phase) / h;
    voice[i] = 6000 * syllable * v;
  }
  let power = 0;
  for (const v of voice) power += v * v;
  const noiseRms = Math.sqrt(power / n / 10);  // 10 dB SNR
  const random = lcg(7);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ++i) out[i] = voice[i] + noiseRms * Math.sqrt(3) * (2 * random() - 1);
  return out;
}

// The lag (in samples, positive: b is late) that best correlates b with a, searched in [-maxLag, maxLag], with
// a parabolic fraction around the peak.
function bestLag(a, b, maxLag) {
  const n = Math.min(a.length, b.length);
  const score = (lag) => {
    let s = 0;
    for (let i = Math.max(0, -lag); i < n && i + lag < n; ++i) s += a[i] * b[i + lag];
    return s;
  };
  let best = -maxLag;
  let bestScore = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; ++lag) {
    const s = score(lag);
    if (s > bestScore) {
      bestScore = s;
      best = lag;
    }
  }
  const l = score(best - 1), c = bestScore, r = score(best + 1);
  const fraction = l - 2 * c + r < 0 ? (0.5 * (l - r)) / (l - 2 * c + r) : 0;
  return { lag: best, fine: best + fraction };
}

function snrDb(reference, test) {
  let signal = 0;
  let error = 0;
  for (let i = 0; i < reference.length; ++i) {
    signal += reference[i] * reference[i];
    error += (reference[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(signal / error);
}

const rnnoise = await loadRnnoise();
const signals = [{ name: 'synthetic noisy voice, 10 s', samples: syntheticNoisyVoice(10, 16000) }];
for (const file of process.argv.slice(2)) signals.push({ name: file, samples: readWav16Mono(file, 16000) });

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nnse-rnnoise-check-'));
let ok = true;
const expect = (condition, what) => {
  if (!condition) ok = false;
  console.log(`  ${condition ? 'ok  ' : 'FAIL'} ${what}`);
};
try {
  for (const { name, samples } of signals) {
    console.log(name);
    const x48 = upsample3(samples);
    // The first 4 s are plenty for the delay, and keep the search over two frames of lags quick.
    const head = x48.subarray(0, Math.min(x48.length, 4 * 48000));
    const raw = denoise48k(rnnoise, head, 0);
    const delay = bestLag(head, raw, 2 * 480);
    // RNNoise's input high-pass advances low frequencies a little: the peak sits a fraction of a sample before
    // the frame delay, which is the delay proper.
    expect(Math.abs(delay.fine - RNNOISE_DELAY) < 1,
           `RNNoise's own delay at 48 kHz: ${delay.fine.toFixed(2)} samples (compensated: ${RNNOISE_DELAY})`);

    const back = downsample3(x48);
    const edge = 200;  // the round trip's first and last samples see the zero padding beyond the signal
    const inner = (s) => s.subarray(edge, s.length - edge);
    const trip = bestLag(samples, back, 50);
    expect(back.length === samples.length && trip.lag === 0,
           `resampler round trip: ${back.length} of ${samples.length} samples, lag ${trip.fine.toFixed(3)}, ` +
               `${snrDb(inner(samples), inner(back)).toFixed(1)} dB SNR to the input`);

    const input = path.join(scratch, 'in.wav');
    const output = path.join(scratch, 'out.wav');
    // The very samples the command will read (int16) are the reference.
    writeWav16Mono(input, samples, 16000);
    execFileSync(process.execPath, [path.join(here, 'rnnoise.mjs'), input, output], { stdio: 'inherit' });
    const written = readWav16Mono(input, 16000);
    const enhanced = readWav16Mono(output, 16000);
    const lag = bestLag(written, enhanced, 240);
    expect(enhanced.length === written.length && Math.abs(lag.fine) < 0.5,
           `rnnoise.mjs: ${enhanced.length} of ${written.length} samples, lag ${lag.fine.toFixed(3)} samples at 16 kHz`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
