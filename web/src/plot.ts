/**
 * The live energy plot: E(t) of each solver on one canvas, linear axes with "nice" ticks
 * (1, 2 or 5 × 10^k steps), a legend, redrawn from the records after every step.
 */

export interface Series {
  label: string;
  color: string;
  /** t and E of each record, in step order. */
  t: readonly number[];
  energy: readonly number[];
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function ticks(lo: number, hi: number, count: number): number[] {
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(4)).toString();
}

export function drawEnergyPlot(canvas: HTMLCanvasElement, series: readonly Series[]): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const left = 64;
  const right = 28;
  const top = 12;
  const bottom = 36;
  let tMax = 0;
  let eMin = Infinity;
  let eMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.t.length; i++) {
      if (!Number.isFinite(s.energy[i])) continue;
      tMax = Math.max(tMax, s.t[i]);
      eMin = Math.min(eMin, s.energy[i]);
      eMax = Math.max(eMax, s.energy[i]);
    }
  }
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#333';
  if (!Number.isFinite(eMin)) {
    ctx.fillText('E(t) appears here once the solvers have started', left, H / 2);
    return;
  }
  if (tMax === 0) tMax = 1e-12;
  if (eMax - eMin < 1e-12 * Math.max(1, Math.abs(eMax))) {
    const pad = Math.max(1e-6, Math.abs(eMax) * 1e-3);
    eMin -= pad;
    eMax += pad;
  }
  const pad = 0.05 * (eMax - eMin);
  eMin -= pad;
  eMax += pad;
  const x = (t: number) => left + ((W - left - right) * t) / tMax;
  const y = (e: number) => top + ((H - top - bottom) * (eMax - e)) / (eMax - eMin);
  ctx.strokeStyle = '#ddd';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of ticks(eMin, eMax, 5)) {
    ctx.beginPath();
    ctx.moveTo(left, y(v));
    ctx.lineTo(W - right, y(v));
    ctx.stroke();
    ctx.fillText(label(v), left - 6, y(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of ticks(0, tMax, 6)) {
    ctx.beginPath();
    ctx.moveTo(x(v), top);
    ctx.lineTo(x(v), H - bottom);
    ctx.stroke();
    ctx.fillText(label(v), x(v), H - bottom + 4);
  }
  ctx.fillText('t', (left + W - right) / 2, H - 14);
  ctx.save();
  ctx.translate(14, (top + H - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('E(u)', 0, -6);
  ctx.restore();
  ctx.strokeStyle = '#888';
  ctx.strokeRect(left, top, W - left - right, H - top - bottom);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let i = 0; i < s.t.length; i++) {
      if (i === 0) ctx.moveTo(x(s.t[i]), y(s.energy[i]));
      else ctx.lineTo(x(s.t[i]), y(s.energy[i]));
    }
    ctx.stroke();
    if (s.t.length === 1) ctx.fillRect(x(s.t[0]) - 2, y(s.energy[0]) - 2, 4, 4);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillRect(W - right - 150, top + 8 + 18 * k, 14, 3);
    ctx.fillStyle = '#222';
    ctx.fillText(s.label, W - right - 130, top + 2 + 18 * k);
  });
}
