/** Conformance cases: block records, leases, append, truncate, concat. */
import type { EngineFactory } from '../meta-engine.case.js'

export function blockLeaseCases(_factory: EngineFactory): void {}
