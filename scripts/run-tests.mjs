#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner and the tsx loader.
// (Node 20's --test does not expand glob patterns itself.) Extra arguments are passed on,
// e.g. `npm test -- --test-name-pattern=rename`; file arguments narrow the run.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

// Tests whose file name contains `galera` start a private 3-node Galera cluster (about 10 s
// each, several processes): they run only with `--galera` (`npm run test:galera`), which runs
// nothing else, one file at a time, or when named.
const args = process.argv.slice(2)
const galera = args.includes('--galera')
const fileArgs = args.filter((a) => a.endsWith('.ts'))
const flags = args.filter((a) => !a.endsWith('.ts') && a !== '--galera')
const files =
  fileArgs.length > 0
    ? fileArgs
    : ['src', 'test']
        .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
        .filter((f) => f.endsWith('.test.ts') && f.includes('galera') === galera)
        .sort()
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    galera ? '--test-concurrency=1' : '--test-concurrency=2',
    '--test-timeout=600000',
    ...flags,
    ...files,
  ],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
