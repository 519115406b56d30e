/**
 * @module
 * The internal endpoints DataNodes and writers call (`src/protocol/datanode-protocol.ts`,
 * `src/protocol/client-protocol.ts`): `POST /internal/v1/datanode/{method}` and
 * `POST /internal/v1/client/{method}`, JSON in and out, errors as WebHDFS `RemoteException`
 * bodies. Client methods run as the `user` the request names (trusted in insecure mode).
 */
import { FsError } from '../common/fs-error.js'
import type { BlockLocation, CallerContext, InodeRecord, MetaEngine } from '../meta/meta-engine.js'
import { CLIENT_ID_PATTERN } from '../protocol/client-protocol.js'
import type {
  AddBlockRequest,
  AppendFileResponse,
  CompleteFileResponse,
  CreateFileRequest,
  CreateInlineRequest,
  LocatedBlock,
  LocatedBlocks,
  SmallFileLimitResponse,
} from '../protocol/client-protocol.js'
import type {
  BadBlockRequest,
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  BlockReportHashesResponse,
  BlockKeysResponse,
  DatanodeCommand,
  DatanodeInfo,
  DatanodeRegistration,
  HeartbeatRequest,
  HeartbeatResponse,
} from '../protocol/datanode-protocol.js'
import type { BlockPlacement, DatanodeCache } from './block-placement.js'
import { fileStatusObject } from './webhdfs/json.js'

/** What the internal handlers use. */
export interface InternalServices {
  readonly engine: MetaEngine
  readonly placement: BlockPlacement
  readonly datanodes: DatanodeCache
  /** Records a DataNode's transfers in progress (from its heartbeat) for placement. */
  readonly recordLoad: (datanodeUuid: string, xceivers: number) => void
}

/** One internal method: the parsed JSON body in, a JSON-serialisable reply out. */
export type InternalHandler = (svc: InternalServices, body: unknown) => Promise<unknown>

const EMPTY = Object.freeze({})

// ---- request checks: the body is untrusted JSON -------------------------------------------------

function bad(method: string, why: string): FsError {
  return new FsError('INVALID_ARGUMENT', `Invalid ${method} request: ${why}`)
}

function obj(method: string, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad(method, 'the body must be a JSON object')
  }
  return body as Record<string, unknown>
}

function str(method: string, b: Record<string, unknown>, key: string): string {
  const v = b[key]
  if (typeof v !== 'string' || v === '') throw bad(method, `"${key}" must be a non-empty string`)
  return v
}

function num(method: string, b: Record<string, unknown>, key: string): number {
  const v = b[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw bad(method, `"${key}" must be a non-negative integer`)
  }
  return v
}

function optNum(method: string, b: Record<string, unknown>, key: string): number | undefined {
  return b[key] === undefined || b[key] === null ? undefined : num(method, b, key)
}

function bytes(method: string, b: Record<string, unknown>, key: string): Uint8Array {
  const v = b[key]
  if (typeof v !== 'string') throw bad(method, `"${key}" must be a base64 string`)
  return Buffer.from(v, 'base64')
}

function blockRef(
  method: string,
  b: Record<string, unknown>,
  key: string,
): { blockId: number; numBytes: number } | undefined {
  const v = b[key]
  if (v === undefined || v === null) return undefined
  const ref = obj(method, v)
  return { blockId: num(method, ref, 'blockId'), numBytes: num(method, ref, 'numBytes') }
}

/** The acting user and, when the caller sent them, the exactly-once ids of the call. */
function caller(method: string, b: Record<string, unknown>): CallerContext {
  const user = str(method, b, 'user')
  if (b.clientId === undefined && b.callId === undefined) return { user }
  const clientId = str(method, b, 'clientId')
  if (!CLIENT_ID_PATTERN.test(clientId)) {
    throw bad(method, `"clientId" must match ${String(CLIENT_ID_PATTERN)}`)
  }
  return { user, clientId, callId: num(method, b, 'callId') }
}

function datanodeUuid(method: string, body: unknown): string {
  return str(method, obj(method, body), 'datanodeUuid')
}

/** The engine's `FileStatus` JSON object of a file (WebHDFS shape, `pathSuffix` ""). */
function fileStatus(r: InodeRecord): Record<string, unknown> {
  return fileStatusObject(r, '')
}

// ---- DataNode protocol ------------------------------------------------------------------------------

/** `POST /internal/v1/datanode/{method}` handlers. */
export const DATANODE_METHODS: Readonly<Record<string, InternalHandler>> = {
  async register(svc, body) {
    const b = obj('register', body)
    const reg: DatanodeRegistration = {
      datanodeUuid: str('register', b, 'datanodeUuid'),
      httpAddress: str('register', b, 'httpAddress'),
      hostname: str('register', b, 'hostname'),
      capacityBytes: num('register', b, 'capacityBytes'),
    }
    await svc.engine.registerDatanode(reg)
    svc.datanodes.invalidate()
    return { blockKeys: await svc.engine.blockKeys() } satisfies BlockKeysResponse
  },
  async heartbeat(svc, body): Promise<HeartbeatResponse> {
    const uuid = datanodeUuid('heartbeat', body)
    const req = body as HeartbeatRequest
    const queued = await svc.engine.datanodeHeartbeat(req)
    if (typeof req.xceivers === 'number') svc.recordLoad(req.datanodeUuid, req.xceivers)
    // Tokens are signed on delivery: a command may wait in the queue longer than one lives.
    const commands: DatanodeCommand[] = []
    for (const c of queued) {
      commands.push(
        c.type === 'REPLICATE'
          ? {
              ...c,
              blockToken: await svc.engine.blockToken(`dn:${uuid}`, c.block.blockId, 'WRITE'),
            }
          : c,
      )
    }
    return { commands, blockKeys: await svc.engine.blockKeys() }
  },
  async blockKeys(svc, body): Promise<BlockKeysResponse> {
    datanodeUuid('blockKeys', body)
    return { blockKeys: await svc.engine.blockKeys() }
  },
  async blockReceived(svc, body) {
    datanodeUuid('blockReceived', body)
    const b = body as BlockReceivedRequest
    await svc.engine.blockReceived({
      datanodeUuid: b.datanodeUuid,
      received: Array.isArray(b.received) ? b.received : [],
      deleted: Array.isArray(b.deleted) ? b.deleted : [],
    })
    return EMPTY
  },
  async blockReportHashes(svc, body): Promise<BlockReportHashesResponse> {
    datanodeUuid('blockReportHashes', body)
    const b = body as BlockReportHashesRequest
    return {
      mismatchedBuckets: await svc.engine.blockReportHashes({
        datanodeUuid: b.datanodeUuid,
        hashes: b.hashes ?? {},
      }),
    }
  },
  async blockReportBuckets(svc, body) {
    datanodeUuid('blockReportBuckets', body)
    const b = body as BlockReportBucketsRequest
    await svc.engine.blockReportBuckets({ datanodeUuid: b.datanodeUuid, buckets: b.buckets ?? {} })
    return EMPTY
  },
  async reportBadBlock(svc, body) {
    datanodeUuid('reportBadBlock', body)
    await svc.engine.reportBadBlock(body as BadBlockRequest)
    return EMPTY
  },
}

// ---- client protocol ----------------------------------------------------------------------------------

/**
 * A block to read, with its offset, the DataNodes (joined from the registry) of its replicas and
 * a READ token for `user`.
 */
async function locatedBlock(
  svc: InternalServices,
  b: BlockLocation,
  user: string,
): Promise<LocatedBlock> {
  return {
    blockId: b.blockId,
    genStamp: b.genStamp,
    numBytes: b.numBytes,
    offset: b.offset,
    locations: await svc.datanodes.byUuids(b.datanodes),
    blockToken: await svc.engine.blockToken(user, b.blockId, 'READ'),
  }
}

/** Mode and umask for a requested permission: an explicit one is kept as is (WebHDFS: no umask). */
function modeOf(permission: number | undefined): { permission?: number; umask?: number } {
  return permission === undefined ? {} : { permission, umask: 0 }
}

/** `POST /internal/v1/client/{method}` handlers. */
export const CLIENT_METHODS: Readonly<Record<string, InternalHandler>> = {
  async create(svc, body) {
    const b = obj('create', body)
    const req = body as CreateFileRequest
    const r = await svc.engine.create(
      {
        path: str('create', b, 'path'),
        clientName: str('create', b, 'clientName'),
        overwrite: req.overwrite === true,
        createParent: req.createParent !== false,
        replication: optNum('create', b, 'replication'),
        blockSize: optNum('create', b, 'blockSize'),
        ...modeOf(optNum('create', b, 'permission')),
      },
      caller('create', b),
    )
    return fileStatus(r)
  },

  async createInline(svc, body) {
    const b = obj('createInline', body)
    const req = body as CreateInlineRequest
    const r = await svc.engine.createInline(
      {
        path: str('createInline', b, 'path'),
        overwrite: req.overwrite === true,
        createParent: req.createParent !== false,
        replication: optNum('createInline', b, 'replication'),
        blockSize: optNum('createInline', b, 'blockSize'),
        ...modeOf(optNum('createInline', b, 'permission')),
        data: bytes('createInline', b, 'data'),
      },
      caller('createInline', b),
    )
    return fileStatus(r)
  },

  async addBlock(svc, body): Promise<LocatedBlock> {
    const b = obj('addBlock', body)
    const req = body as AddBlockRequest
    const path = str('addBlock', b, 'path')
    const ctx = caller('addBlock', b)
    const file = await svc.engine.getFileInfo(path, ctx)
    const exclude = Array.isArray(req.excludeDatanodes) ? req.excludeDatanodes : []
    // Choose the pipeline first: a block without DataNodes would only have to be abandoned.
    const targets = await svc.placement.chooseTargets({
      replication: file.replication,
      blockSize: file.blockSize,
      exclude,
    })
    const block = await svc.engine.addBlock(
      {
        path,
        clientName: str('addBlock', b, 'clientName'),
        previous: blockRef('addBlock', b, 'previous'),
      },
      ctx,
    )
    const blocks = await svc.engine.getBlocks(path, ctx)
    let offset = 0
    for (const x of blocks) if (x.index < block.index) offset += x.numBytes
    return {
      blockId: block.blockId,
      genStamp: block.genStamp,
      numBytes: block.numBytes,
      offset,
      locations: targets,
      blockToken: await svc.engine.blockToken(ctx.user, block.blockId, 'WRITE'),
    }
  },

  async complete(svc, body): Promise<CompleteFileResponse> {
    const b = obj('complete', body)
    const complete = await svc.engine.complete(
      {
        path: str('complete', b, 'path'),
        clientName: str('complete', b, 'clientName'),
        last: blockRef('complete', b, 'last'),
      },
      caller('complete', b),
    )
    return { complete }
  },

  async abandonBlock(svc, body) {
    const b = obj('abandonBlock', body)
    await svc.engine.abandonBlock(
      {
        path: str('abandonBlock', b, 'path'),
        clientName: str('abandonBlock', b, 'clientName'),
        blockId: num('abandonBlock', b, 'blockId'),
      },
      caller('abandonBlock', b),
    )
    return EMPTY
  },

  async getBlockLocations(svc, body): Promise<LocatedBlocks> {
    const b = obj('getBlockLocations', body)
    const ctx = caller('getBlockLocations', b)
    const locs = await svc.engine.getBlockLocations(
      {
        path: str('getBlockLocations', b, 'path'),
        offset: optNum('getBlockLocations', b, 'offset') ?? 0,
        length: optNum('getBlockLocations', b, 'length') ?? Number.MAX_SAFE_INTEGER,
      },
      ctx,
    )
    const blocks: LocatedBlock[] = []
    for (const x of locs.blocks) blocks.push(await locatedBlock(svc, x, ctx.user))
    return {
      fileLength: locs.file.length,
      underConstruction: locs.file.underConstruction,
      inlineData:
        locs.inlineData === undefined ? undefined : Buffer.from(locs.inlineData).toString('base64'),
      blocks,
    }
  },

  async append(svc, body): Promise<AppendFileResponse> {
    const b = obj('append', body)
    const path = str('append', b, 'path')
    const ctx = caller('append', b)
    const { file, lastBlock } = await svc.engine.append(path, str('append', b, 'clientName'), ctx)
    const out = {
      fileLength: file.length,
      blockSize: file.blockSize,
      replication: file.replication,
    }
    if (file.inline) {
      const locs = await svc.engine.getBlockLocations({ path, offset: 0, length: file.length }, ctx)
      const data = locs.inlineData ?? new Uint8Array(0)
      return { ...out, inlineData: Buffer.from(data).toString('base64') }
    }
    if (lastBlock === undefined) return out
    // While the last block is reopened, the file's length leaves it out (as HDFS's status does):
    // the block starts at that length and the whole file is that plus the block.
    const lastOffset = file.length
    const locs = await svc.engine.getBlockLocations({ path, offset: lastOffset, length: 1 }, ctx)
    const held = locs.blocks.find((x) => x.blockId === lastBlock.blockId)
    const locations: DatanodeInfo[] =
      held === undefined ? [] : await svc.datanodes.byUuids(held.datanodes)
    return {
      ...out,
      fileLength: file.length + lastBlock.numBytes,
      lastBlock: {
        blockId: lastBlock.blockId,
        genStamp: lastBlock.genStamp,
        numBytes: lastBlock.numBytes,
        offset: lastOffset,
        locations,
        blockToken: await svc.engine.blockToken(ctx.user, lastBlock.blockId, 'WRITE'),
      },
    }
  },

  async completeInline(svc, body) {
    const b = obj('completeInline', body)
    const r = await svc.engine.completeInline(
      {
        path: str('completeInline', b, 'path'),
        clientName: str('completeInline', b, 'clientName'),
        data: bytes('completeInline', b, 'data'),
      },
      caller('completeInline', b),
    )
    return fileStatus(r)
  },

  async smallFileLimit(svc, body): Promise<SmallFileLimitResponse> {
    const b = obj('smallFileLimit', body)
    const smallFileMaxBytes = await svc.engine.smallFileLimit(
      str('smallFileLimit', b, 'path'),
      caller('smallFileLimit', b),
    )
    return { smallFileMaxBytes }
  },

  async renewLease(svc, body) {
    const b = obj('renewLease', body)
    await svc.engine.renewLease(str('renewLease', b, 'clientName'), caller('renewLease', b))
    return EMPTY
  },
}
