/** Conformance cases: extended attributes and ACLs. */
import type { EngineFactory } from '../meta-engine.case.js'

export function xattrAclCases(_factory: EngineFactory): void {}
