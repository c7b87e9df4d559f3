/**
 * Model partitions (PAPER.md §2, "Model partition and Assumption 1"): the L frozen layers are
 * split into L̄ consecutive blocks; block P_i imitates target layer i. Blocks hold 0-based layer
 * indices (messages count layers from 1, as the paper does).
 */
import { DepthError, PartitionError } from "../errors";

/** Consecutive blocks of 0-based frozen-layer indices, one block per target layer. */
export type Partition = number[][];

/** Throws DepthError unless `1 ≤ L̄ ≤ L`. */
export function checkDepths(frozenDepth: number, targetDepth: number): void {
  if (!Number.isInteger(targetDepth) || targetDepth < 1) throw new DepthError(`target depth ${targetDepth} must be a positive integer`);
  if (!Number.isInteger(frozenDepth) || frozenDepth < 1) throw new DepthError(`frozen depth ${frozenDepth} must be a positive integer`);
  if (frozenDepth < targetDepth) {
    throw new DepthError(`frozen depth ${frozenDepth} is below target depth ${targetDepth}: LoRA needs L ≥ L̄ (add frozen layers or use a shallower target)`);
  }
}

/** Uniform partition: `M = ⌊L/L̄⌋`, `P_i = {(i−1)M+1 .. iM}` (1-based), the last block takes the remainder. */
export function uniformPartition(frozenDepth: number, targetDepth: number): Partition {
  checkDepths(frozenDepth, targetDepth);
  const M = Math.floor(frozenDepth / targetDepth);
  const blocks: Partition = [];
  for (let i = 0; i < targetDepth; i++) {
    const end = i < targetDepth - 1 ? (i + 1) * M : frozenDepth;
    blocks.push(Array.from({ length: end - i * M }, (_, k) => i * M + k));
  }
  return blocks;
}

/** Throws PartitionError unless `partition` splits layers 0..L−1 into L̄ non-empty consecutive blocks, in order. */
export function validatePartition(partition: Partition, frozenDepth: number, targetDepth?: number): void {
  if (targetDepth !== undefined) {
    checkDepths(frozenDepth, targetDepth);
    if (partition.length !== targetDepth) {
      throw new PartitionError(`partition has ${partition.length} blocks but the target has ${targetDepth} layers: give one block per target layer`);
    }
  }
  let next = 0;
  partition.forEach((block, i) => {
    if (block.length === 0) throw new PartitionError(`partition block ${i + 1} is empty: every target layer needs at least one frozen layer`);
    block.forEach((l, k) => {
      if (!Number.isInteger(l)) throw new PartitionError(`partition block ${i + 1} holds ${l}, not a layer index`);
      if (l !== next + k) {
        throw new PartitionError(
          `partition block ${i + 1} [${block.join(", ")}] is not consecutive from layer index ${next}: blocks must be consecutive, in order, and cover layers 0..${frozenDepth - 1} (0-based) exactly once`,
        );
      }
    });
    next += block.length;
  });
  if (next !== frozenDepth) {
    throw new PartitionError(`partition covers ${next} of ${frozenDepth} frozen layers: blocks must cover layers 0..${frozenDepth - 1} exactly once`);
  }
}

/** Partition from block sizes, e.g. `[1, 3]` → `[[0], [1, 2, 3]]`. */
export function partitionFromSizes(sizes: readonly number[]): Partition {
  let start = 0;
  return sizes.map((n) => {
    const block = Array.from({ length: n }, (_, k) => start + k);
    start += n;
    return block;
  });
}
