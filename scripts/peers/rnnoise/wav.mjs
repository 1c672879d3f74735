// 16-bit PCM WAV in and out, for the RNNoise peer: exactly the format `nnse eval --peer-cmd` hands over and
// expects back (16 kHz, mono, 16-bit). Anything else is refused with the file name and the problem, rather than
// converted, so a wrong setup cannot silently score a different signal.
import fs from 'node:fs';

export class WavError extends Error {}

function fail(file, problem) {
  throw new WavError(`${file}: ${problem}`);
}

// Samples as numbers in the int16 range (RNNoise's own scale), one per frame.
export function readWav16Mono(file, expectedRate) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    fail(file, `cannot read (${e.code || e.message})`);
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    fail(file, 'not a RIFF/WAVE file');
  }
  let format = null;
  let data = null;
  // Chunks are walked rather than assuming a 44-byte header: writers add LIST, fact or PEAK chunks.
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    const end = Math.min(body + size, bytes.length);
    if (id === 'fmt ') {
      if (size < 16) fail(file, 'fmt chunk too short');
      format = {
        tag: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        rate: bytes.readUInt32LE(body + 4),
        bits: bytes.readUInt16LE(body + 14),
      };
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format.tag === 0xfffe && size >= 26) format.tag = bytes.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (body + size > bytes.length) fail(file, `data chunk claims ${size} bytes, the file holds ${bytes.length - body}`);
      data = bytes.subarray(body, end);
    }
    at = body + size + (size & 1);  // chunks are padded to an even size
  }
  if (!format) fail(file, 'no fmt chunk');
  if (!data) fail(file, 'no data chunk');
  if (format.tag !== 1 || format.bits !== 16) fail(file, `must be 16-bit PCM, is format ${format.tag} with ${format.bits} bits`);
  if (format.channels !== 1) fail(file, `must be mono, has ${format.channels} channels`);
  if (format.rate !== expectedRate) fail(file, `must be ${expectedRate} Hz, is ${format.rate} Hz`);
  const n = Math.floor(data.length / 2);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; ++i) samples[i] = data.readInt16LE(2 * i);
  return samples;
}

// Rounds and saturates to int16; returns how many samples had to be clipped.
export function writeWav16Mono(file, samples, rate) {
  const n = samples.length;
  const bytes = Buffer.alloc(44 + 2 * n);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(36 + 2 * n, 4);
  bytes.write('WAVE', 8, 'latin1');
  bytes.write('fmt ', 12, 'latin1');
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20);         // PCM
  bytes.writeUInt16LE(1, 22);         // mono
  bytes.writeUInt32LE(rate, 24);
  bytes.writeUInt32LE(rate * 2, 28);  // bytes per second
  bytes.writeUInt16LE(2, 32);         // bytes per frame
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36, 'latin1');
  bytes.writeUInt32LE(2 * n, 40);
  let clipped = 0;
  for (let i = 0; i < n; ++i) {
    let v = Math.round(samples[i]);
    if (v > 32767 || v < -32768) {
      v = Math.max(-32768, Math.min(32767, v));
      ++clipped;
    }
    bytes.writeInt16LE(v, 44 + 2 * i);
  }
  try {
    fs.writeFileSync(file, bytes);
  } catch (e) {
    fail(file, `cannot write (${e.code || e.message})`);
  }
  return clipped;
}
