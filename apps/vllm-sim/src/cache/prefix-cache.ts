import { createHash } from 'node:crypto';
import { tokenize } from '../tokens/tokenizer';

/**
 * Chained hashes of a prompt's full token blocks, as vLLM's automatic prefix caching keys its KV blocks: block i's
 * hash covers the model and blocks 0..i, so a hit on block i means the whole prefix up to it is cached. The last,
 * partial block is never cached.
 */
export function promptBlockHashes(model: string, text: string, blockSize: number): string[] {
  const pieces = tokenize(text);
  const hashes: string[] = [];
  let parent = model;
  for (let start = 0; start + blockSize <= pieces.length; start += blockSize) {
    parent = createHash('sha256')
      .update(parent)
      .update('\u0000')
      .update(pieces.slice(start, start + blockSize).join(''))
      .digest('base64');
    hashes.push(parent);
  }
  return hashes;
}

/**
 * One replica's prefix cache: KV blocks of finished prefills, keyed by chained block hash, least recently used
 * evicted first once `capacityBlocks` is reached. A capacity of 0 disables caching.
 */
export class PrefixCache {
  private readonly blocks = new Set<string>();

  constructor(
    readonly blockSize: number,
    readonly capacityBlocks: number,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    if (!Number.isInteger(capacityBlocks) || capacityBlocks < 0) {
      throw new RangeError(`capacityBlocks must be an integer >= 0, got ${capacityBlocks}`);
    }
  }

  get size(): number {
    return this.blocks.size;
  }

  /** Number of leading blocks cached (touched, so a hit keeps them); a miss ends the match, as a chain must be whole. */
  match(hashes: readonly string[]): number {
    let n = 0;
    while (n < hashes.length && this.blocks.has(hashes[n]!)) {
      this.touch(hashes[n]!);
      n++;
    }
    return n;
  }

  /** Caches the blocks of a finished prefill. */
  insert(hashes: readonly string[]): void {
    if (this.capacityBlocks === 0) return;
    for (const hash of hashes) this.touch(hash);
    for (const oldest of this.blocks) {
      if (this.blocks.size <= this.capacityBlocks) break;
      this.blocks.delete(oldest);
    }
  }

  private touch(hash: string): void {
    this.blocks.delete(hash);
    this.blocks.add(hash);
  }
}
