/** Temporary directories and files for tests, removed when the process exits. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dirs: string[] = []
process.once('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

export function tmpDir(prefix = 'hops-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

export function tmpFile(name = 'meta.db'): string {
  return join(tmpDir(), name)
}
