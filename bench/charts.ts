/**
 * @module
 * Line charts as standalone SVG, written by hand (no dependency: a few axes, polylines and a
 * legend are all the report needs, and the files stay small enough to commit and diff).
 *
 * ```ts
 * const svg = lineChart({
 *   title: 'Throughput vs clients', xLabel: 'clients', yLabel: 'ops/s', xLog: true,
 *   series: [{ name: 'Spotify mix', points: [[1, 900], [16, 4000]] }],
 * })
 * ```
 */

/** One line of a chart. */
export interface Series {
  readonly name: string
  /** [x, y] pairs; points with a non-finite or (on a log axis) non-positive value are skipped. */
  readonly points: readonly (readonly [number, number])[]
  /** Draw a marker at each point (default true when there are at most 12 points). */
  readonly markers?: boolean
  readonly dashed?: boolean
}

/** What to draw. */
export interface ChartSpec {
  readonly title: string
  readonly subtitle?: string
  readonly xLabel: string
  readonly yLabel: string
  readonly xLog?: boolean
  readonly yLog?: boolean
  /** Fixed y range (default: from 0, or the data's decades on a log axis, to the maximum). */
  readonly yMin?: number
  readonly yMax?: number
  readonly series: readonly Series[]
  /** Pixels (default 760 × 460). */
  readonly width?: number
  readonly height?: number
}

/** Colour-blind-safe palette (Okabe–Ito, then Tol's muted). */
const COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#882255',
  '#44AA99',
  '#999933',
  '#AA4499',
  '#332288',
  '#661100',
  '#6699CC',
]

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A tick label: 1 500 → 1.5k, 0.05 → 0.05. */
export function tickLabel(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`
  if (a === 0) return '0'
  return `${+v.toPrecision(3)}`
}

/** Ticks of a linear axis: about `count` round steps from lo to hi. */
function linearTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1
  const raw = span / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? mag * 10
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(+v.toPrecision(12))
  return out
}

/** Ticks of a log axis: 1, 2, 5 per decade (only powers of ten when the range is wide). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  const decades = Math.log10(hi / lo)
  const mults = decades > 4 ? [1] : [1, 2, 5]
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of mults) {
      const v = m * 10 ** e
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(+v.toPrecision(6))
    }
  return out
}

/** The chart as an SVG document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760
  const height = spec.height ?? 460
  const legendWidth = 230
  const m = { left: 70, right: legendWidth + 20, top: spec.subtitle ? 58 : 42, bottom: 52 }
  const plotW = width - m.left - m.right
  const plotH = height - m.top - m.bottom
  const ok = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!spec.xLog || x > 0) && (!spec.yLog || y > 0)
  const series = spec.series
    .map((s) => ({ ...s, points: s.points.filter(([x, y]) => ok(x, y)) }))
    .filter((s) => s.points.length > 0)
  const xs = series.flatMap((s) => s.points.map((p) => p[0]))
  const ys = series.flatMap((s) => s.points.map((p) => p[1]))
  let xLo = xs.length ? Math.min(...xs) : 1
  let xHi = xs.length ? Math.max(...xs) : 10
  let yLo = spec.yMin ?? (spec.yLog ? (ys.length ? Math.min(...ys) : 1) : 0)
  let yHi = spec.yMax ?? (ys.length ? Math.max(...ys) * (spec.yLog ? 1 : 1.08) : 1)
  if (spec.xLog) {
    xLo = 10 ** Math.floor(Math.log10(xLo))
    xHi = 10 ** Math.ceil(Math.log10(xHi))
  } else if (xLo === xHi) {
    xLo -= 1
    xHi += 1
  }
  if (spec.yLog) {
    yLo = 10 ** Math.floor(Math.log10(yLo))
    yHi = 10 ** Math.ceil(Math.log10(yHi))
  } else if (yLo === yHi) yHi = yLo + 1
  const sx = (x: number): number =>
    m.left +
    (spec.xLog
      ? (Math.log10(x / xLo) / Math.log10(xHi / xLo)) * plotW
      : ((x - xLo) / (xHi - xLo)) * plotW)
  const sy = (y: number): number =>
    m.top +
    plotH -
    (spec.yLog
      ? (Math.log10(y / yLo) / Math.log10(yHi / yLo)) * plotH
      : ((y - yLo) / (yHi - yLo)) * plotH)
  const f = (v: number): string => v.toFixed(1)

  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  )
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  parts.push(
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  )
  if (spec.subtitle)
    parts.push(`<text x="${m.left}" y="40" fill="#555555">${esc(spec.subtitle)}</text>`)
  // Grid and ticks.
  const xt = spec.xLog ? logTicks(xLo, xHi) : linearTicks(xLo, xHi, 8)
  const yt = spec.yLog ? logTicks(yLo, yHi) : linearTicks(yLo, yHi, 6)
  for (const v of xt) {
    const x = f(sx(v))
    parts.push(
      `<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#333333">${tickLabel(v)}</text>`,
    )
  }
  for (const v of yt) {
    const y = f(sy(v))
    parts.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${y}" dy="4" text-anchor="end" fill="#333333">${tickLabel(v)}</text>`,
    )
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  )
  // Lines, markers, legend.
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const pts = s.points.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ')
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="6 4"' : ''
      }/>`,
    )
    if (s.markers ?? s.points.length <= 12)
      for (const [x, y] of s.points)
        parts.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="3" fill="${colour}"/>`)
    const ly = m.top + 8 + i * 18
    const lx = m.left + plotW + 14
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${colour}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="6 4"' : ''
      }/>`,
      `<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`,
    )
  })
  if (series.length === 0)
    parts.push(
      `<text x="${m.left + plotW / 2}" y="${m.top + plotH / 2}" text-anchor="middle" fill="#999999">no data in this run</text>`,
    )
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
