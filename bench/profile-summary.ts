/**
 * @module
 * Summarises a V8 `.cpuprofile` (e.g. the cluster process of
 * `npm run bench -- --suite data --profile-server DIR`): the functions with the most self time,
 * and the project's own functions (`src/`) with the most inclusive time, each as
 * `file:line function`.
 *
 * Usage: `npx tsx bench/profile-summary.ts FILE.cpuprofile|DIR [--top N]` (for a directory, its
 * largest `.cpuprofile`: the main thread's, not tsx's loader thread's).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: readonly number[]
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** `file:line function`, with paths shortened to the repository (or node_modules package). */
function label(frame: ProfileNode['callFrame']): string {
  let url = frame.url.replace(/^file:\/\//, '')
  const src = url.search(/\/(src|bench|test)\//)
  const mod = url.lastIndexOf('/node_modules/')
  if (mod >= 0) url = url.slice(mod + 1)
  else if (src >= 0) url = url.slice(src + 1)
  const fn = frame.functionName || '(anonymous)'
  return url === '' ? fn : `${url}:${frame.lineNumber + 1} ${fn}`
}

/** Self and inclusive ms per label. */
export function summarize(profile: CpuProfile): {
  totalMs: number
  self: Map<string, number>
  inclusive: Map<string, number>
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfById = new Map<number, number>()
  let totalMs = 0
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    totalMs += ms
    selfById.set(id, (selfById.get(id) ?? 0) + ms)
  })
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, ms] of selfById) {
    const node = byId.get(id)!
    const key = label(node.callFrame)
    self.set(key, (self.get(key) ?? 0) + ms)
    // Each label counts once per stack (recursion is not double-counted).
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms)
    }
  }
  return { totalMs, self, inclusive }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' } },
  })
  let file = positionals[0]
  if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile|DIR [--top N]')
  if (statSync(file).isDirectory()) {
    const dir = file
    const biggest = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0]
    if (biggest === undefined) throw new Error(`no .cpuprofile in ${dir}`)
    file = biggest
  }
  const top = Number(values.top)
  const { totalMs, self, inclusive } = summarize(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
  )
  const pct = (ms: number): string => `${((ms / totalMs) * 100).toFixed(1)}%`
  const rows = (m: Map<string, number>, keep: (k: string) => boolean): string[] =>
    [...m]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `| ${pct(ms)} | ${ms.toFixed(0)} | ${k} |`)
  const out = [
    `Profile ${file}: ${(totalMs / 1000).toFixed(1)} s sampled`,
    '',
    '### Self time',
    '',
    '| % | ms | function |',
    '|---:|---:|---|',
    ...rows(self, () => true),
    '',
    '### Inclusive time, src/ functions',
    '',
    '| % | ms | function |',
    '|---:|---:|---|',
    ...rows(inclusive, (k) => k.startsWith('src/')),
    '',
  ]
  process.stdout.write(out.join('\n'))
}

main()
