import { hash53 } from './hash';
import { type RoutingRequest } from './router';

/** How prompts are cut into blocks for prefix matching. */
export interface PrefixBlockOptions {
  /** Characters per block; ~4 characters a token makes 64 characters about one 16-token vLLM block. Default 64. */
  blockChars: number;
  /** Only the leading blocks are hashed: the long shared part of a prompt is at its start. Default 256. */
  maxBlocks: number;
}

export const DEFAULT_PREFIX_BLOCK_OPTIONS: PrefixBlockOptions = { blockChars: 64, maxBlocks: 256 };

/** The text whose prefix is cached: the prompt, or the chat messages rendered with their roles. */
export function promptText(request: RoutingRequest): string {
  if (request.messages && request.messages.length > 0) {
    return request.messages.map((m) => `<|${m.role}|>\n${m.content}\n`).join('');
  }
  return request.prompt ?? '';
}

/**
 * Chained hashes of the prompt's full leading blocks, like vLLM's automatic prefix caching: block i's hash covers
 * blocks 0..i, so equal hashes at position i mean equal prefixes up to there.
 */
export function prefixBlockHashes(text: string, options: PrefixBlockOptions = DEFAULT_PREFIX_BLOCK_OPTIONS): number[] {
  const count = Math.min(options.maxBlocks, Math.floor(text.length / options.blockChars));
  const hashes: number[] = [];
  let parent = 0;
  for (let i = 0; i < count; i++) {
    parent = hash53(`${parent}|${text.slice(i * options.blockChars, (i + 1) * options.blockChars)}`);
    hashes.push(parent);
  }
  return hashes;
}

/**
 * An approximate picture of one replica's prefix cache, built from the router's own routing history: the blocks of
 * the prompts sent there, least recently used dropped first once `capacity` is reached (as the engine evicts).
 */
export class BlockLru {
  private readonly blocks = new Map<number, true>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.blocks.size;
  }

  /** Leading blocks of `hashes` present, i.e. the length of the longest cached prefix in blocks. */
  matchLength(hashes: readonly number[]): number {
    let n = 0;
    while (n < hashes.length && this.blocks.has(hashes[n]!)) n++;
    return n;
  }

  record(hashes: readonly number[]): void {
    for (const h of hashes) {
      this.blocks.delete(h);
      this.blocks.set(h, true);
    }
    for (const oldest of this.blocks.keys()) {
      if (this.blocks.size <= this.capacity) break;
      this.blocks.delete(oldest);
    }
  }
}
