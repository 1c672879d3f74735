// 16 kHz <-> 48 kHz by an integer factor of 3, with one windowed-sinc low-pass.
//
// Why not sox: the factor is an integer, so a short symmetric FIR does it exactly: the 48 kHz signal has exactly
// three times as many samples, the way back gives the original count, and a kernel centred on each output sample
// adds no delay at all. The peer's alignment then rests on this file's arithmetic alone (no external process, no
// package, no filter delay to trust or subtract).
//
// The filter: cutoff 8 kHz (the 16 kHz Nyquist), Kaiser window with beta 8 over +-150 taps at 48 kHz. Measured
// with sines: the images of 0-7.6 kHz are at least 73 dB down, and a round trip returns 0-7.6 kHz with its error
// at least 67 dB below the signal; 7.6-8 kHz is the transition band (speech at 16 kHz has little there).

const FACTOR = 3;
const HALF = 150;         // taps on each side of the centre, at 48 kHz (a multiple of FACTOR)
const BETA = 8.0;
const CUTOFF = 1 / (2 * FACTOR);  // 8 kHz as a fraction of 48 kHz

function besselI0(x) {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

// h[n + HALF] for n = -HALF..HALF.
function makeKernel() {
  const h = new Float64Array(2 * HALF + 1);
  const norm = besselI0(BETA);
  for (let n = -HALF; n <= HALF; ++n) {
    const t = 2 * CUTOFF * n;
    const sinc = n === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const r = n / HALF;
    h[n + HALF] = 2 * CUTOFF * sinc * (besselI0(BETA * Math.sqrt(Math.max(0, 1 - r * r))) / norm);
  }
  return h;
}

const KERNEL = makeKernel();

// x at 16 kHz -> exactly 3 * x.length samples at 48 kHz (zero-stuffing, then the low-pass with gain 3). Each
// of the three phases is normalised to a gain of exactly one at DC, so a constant stays that constant.
export function upsample3(x) {
  const y = new Float64Array(FACTOR * x.length);
  const phaseGain = new Float64Array(FACTOR);
  for (let n = -HALF; n <= HALF; ++n) phaseGain[((n % FACTOR) + FACTOR) % FACTOR] += KERNEL[n + HALF];
  for (let m = 0; m < y.length; ++m) {
    const phase = m % FACTOR;
    // y[m] = sum_k x[k] h[m - 3k] over |m - 3k| <= HALF
    const kFirst = Math.max(0, Math.ceil((m - HALF) / FACTOR));
    const kLast = Math.min(x.length - 1, Math.floor((m + HALF) / FACTOR));
    let acc = 0;
    for (let k = kFirst; k <= kLast; ++k) acc += x[k] * KERNEL[m - FACTOR * k + HALF];
    y[m] = acc / phaseGain[phase];
  }
  return y;
}

// y at 48 kHz -> floor(y.length / 3) samples at 16 kHz (the low-pass, then every third sample, sample 0 kept).
export function downsample3(y) {
  const x = new Float64Array(Math.floor(y.length / FACTOR));
  let gain = 0;
  for (let n = 0; n < KERNEL.length; ++n) gain += KERNEL[n];
  for (let j = 0; j < x.length; ++j) {
    const centre = FACTOR * j;
    const mFirst = Math.max(0, centre - HALF);
    const mLast = Math.min(y.length - 1, centre + HALF);
    let acc = 0;
    for (let m = mFirst; m <= mLast; ++m) acc += y[m] * KERNEL[centre - m + HALF];
    x[j] = acc / gain;
  }
  return x;
}
