#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner and the tsx loader.
// (Node 20's --test does not expand glob patterns itself.) Extra arguments are passed on,
// e.g. `npm test -- --test-name-pattern=rename`; file arguments narrow the run.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
const fileArgs = args.filter((a) => a.endsWith('.ts'))
const flags = args.filter((a) => !a.endsWith('.ts'))
const files =
  fileArgs.length > 0
    ? fileArgs
    : ['src', 'test']
        .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=600000',
    ...flags,
    ...files,
  ],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
