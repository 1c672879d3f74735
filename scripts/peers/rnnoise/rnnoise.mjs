#!/usr/bin/env node
// RNNoise as an external peer for `nnse eval --peer-cmd`:
//
//   node scripts/peers/rnnoise/rnnoise.mjs IN.wav OUT.wav
//
// IN: 16 kHz mono 16-bit WAV. OUT: the same, with exactly as many samples, sample-aligned with IN.
// RNNoise runs at 48 kHz on 480-sample frames of floats in the int16 range; the signal goes up by 3 and back down
// with resample.mjs, and RNNoise's own delay of one frame (480 samples at 48 kHz = 10 ms, measured by
// check-alignment.mjs) is removed by feeding one extra frame of zeros and dropping the first 480 output samples.
//
// The RNNoise build is @jitsi/rnnoise-wasm's asynchronous one (dist/rnnoise.wasm), which that package builds from
// RNNoise release 0.1, the original 2017 network and weights; its other file (rnnoise-sync.js) is release 0.2,
// a different model. Install with `bash scripts/peers/rnnoise/setup.sh`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { downsample3, upsample3 } from './resample.mjs';
import { WavError, readWav16Mono, writeWav16Mono } from './wav.mjs';

const RATE = 16000;
const FRAME = 480;          // RNNoise's frame at 48 kHz
export const RNNOISE_DELAY = 480;  // samples at 48 kHz between a sample going in and coming out

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, 'node_modules', '@jitsi', 'rnnoise-wasm', 'dist');

class UsageError extends Error {}

export async function loadRnnoise() {
  const glue = path.join(packageDir, 'rnnoise.js');
  const wasm = path.join(packageDir, 'rnnoise.wasm');
  if (!fs.existsSync(glue) || !fs.existsSync(wasm)) {
    throw new UsageError(
      `${path.join(here, 'node_modules')}: RNNoise is not installed (no @jitsi/rnnoise-wasm there): ` +
        `run bash ${path.relative(process.cwd(), path.join(here, 'setup.sh'))}`);
  }
  const { default: createModule } = await import(pathToFileURL(glue).href);
  // Handing over the bytes keeps the web-only loader (fetch / XMLHttpRequest) out of it.
  return createModule({ wasmBinary: fs.readFileSync(wasm) });
}

// The whole signal through a fresh RNNoise state; returns the output at 48 kHz, of the input's length, with the
// first `delay` output samples dropped (check-alignment.mjs passes 0 to measure the delay).
export function denoise48k(rnnoise, x, delay = RNNOISE_DELAY) {
  const state = rnnoise._rnnoise_create();
  const buffer = rnnoise._malloc(FRAME * 4);
  if (!state || !buffer) throw new Error('RNNoise: out of WebAssembly memory');
  try {
    const frames = Math.ceil((x.length + delay) / FRAME);
    const out = new Float64Array(frames * FRAME);
    for (let f = 0; f < frames; ++f) {
      // The heap can move when WebAssembly memory grows: take the view afresh for every frame.
      let view = new Float32Array(rnnoise.HEAPF32.buffer, buffer, FRAME);
      for (let i = 0; i < FRAME; ++i) {
        const at = f * FRAME + i;
        view[i] = at < x.length ? x[at] : 0;
      }
      rnnoise._rnnoise_process_frame(state, buffer, buffer);
      view = new Float32Array(rnnoise.HEAPF32.buffer, buffer, FRAME);
      out.set(view, f * FRAME);
    }
    return out.subarray(delay, delay + x.length);
  } finally {
    rnnoise._free(buffer);
    rnnoise._rnnoise_destroy(state);
  }
}

async function main(args) {
  if (args.length !== 2) throw new UsageError('usage: node rnnoise.mjs IN.wav OUT.wav (16 kHz mono 16-bit WAV)');
  const [input, output] = args;
  const rnnoise = await loadRnnoise();
  const x = readWav16Mono(input, RATE);
  const y = downsample3(denoise48k(rnnoise, upsample3(x)));
  const clipped = writeWav16Mono(output, y, RATE);
  if (clipped > 0) process.stderr.write(`rnnoise.mjs: ${output}: ${clipped} samples clipped to 16 bits\n`);
}

// Run as a command; imported (check-alignment.mjs), it only lends its functions.
function invokedAsCommand() {
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedAsCommand()) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`rnnoise.mjs: ${e instanceof UsageError || e instanceof WavError ? e.message : e.stack || e}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
