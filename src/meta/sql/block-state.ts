/** `blocks.state` values. */
export const BLOCK_UNDER_CONSTRUCTION = 0
export const BLOCK_COMMITTED = 1
export const BLOCK_COMPLETE = 2
