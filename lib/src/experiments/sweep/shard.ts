/** Job-array sharding: `--shard i/n` keeps the runs whose id hashes to i mod n (disjoint, covering). */
import { ConfigError } from "../../errors";

export interface Shard {
  index: number;
  count: number;
}

export const ALL: Shard = Object.freeze({ index: 0, count: 1 });

/** Parses `i/n` with 0 ≤ i < n. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`--shard ${text} must look like i/n (e.g. 3/8)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new ConfigError(`--shard ${text}: need 0 ≤ i < n and n ≥ 1`);
  return { index, count };
}

/** Whether a run id belongs to a shard (stable: depends on the id only). */
export function inShard(id: string, shard: Shard): boolean {
  return shard.count === 1 || parseInt(id.slice(0, 8), 16) % shard.count === shard.index;
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
