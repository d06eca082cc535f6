import { BlockLru, DEFAULT_PREFIX_BLOCK_OPTIONS, prefixBlockHashes, promptText, type PrefixBlockOptions } from './prefix-index';
import { BaseRouter, type RouterOptions, type RoutableEndpoint, type RoutingPolicyName, type RoutingRequest } from './router';

/** Prefix-affinity knobs. */
export interface PrefixAffinityOptions extends PrefixBlockOptions {
  /** Blocks remembered per replica (about its prefix-cache size). Default 16384 (~260k tokens). */
  cacheBlocksPerReplica: number;
  /**
   * Load bound, in requests: a replica more loaded than the least loaded one by more than this is not chosen for its
   * cached prefix, so a hot prefix spreads instead of piling onto one replica. Default 8 (AIBrix's imbalance guard
   * uses the same spread); much tighter, and ordinary load noise scatters prefixes over replicas whose caches cannot
   * hold them all.
   */
  maxLoadImbalance: number;
}

export const DEFAULT_PREFIX_AFFINITY_OPTIONS: PrefixAffinityOptions = {
  ...DEFAULT_PREFIX_BLOCK_OPTIONS,
  cacheBlocksPerReplica: 16_384,
  maxLoadImbalance: 8,
};

/**
 * Prefix-affinity bounded by load: among replicas within `maxLoadImbalance` of the least loaded, the one most likely
 * to hold the longest cached prefix of the prompt (from this router's routing history), least loaded among equals.
 */
export class PrefixAffinityRouter extends BaseRouter {
  readonly policy: RoutingPolicyName = 'prefix-affinity';
  private readonly prefix: PrefixAffinityOptions;
  private readonly caches = new Map<string, BlockLru>();

  constructor(urls: readonly string[], options: Partial<RouterOptions & PrefixAffinityOptions> = {}) {
    super(urls, options);
    this.prefix = { ...DEFAULT_PREFIX_AFFINITY_OPTIONS, ...options };
  }

  protected choose(candidates: RoutableEndpoint[], request: RoutingRequest, now: number): RoutableEndpoint {
    const hashes = prefixBlockHashes(promptText(request), this.prefix);
    if (hashes.length === 0) return this.leastLoaded(candidates, now);
    const loads = new Map(candidates.map((e) => [e, this.loadOf(e, now)]));
    const least = Math.min(...loads.values());
    const eligible = candidates.filter((e) => loads.get(e)! <= least + this.prefix.maxLoadImbalance);
    const matches = eligible.map((e) => this.cacheOf(e.url).matchLength(hashes));
    const best = Math.max(...matches);
    let pool = eligible.filter((_, i) => matches[i] === best);
    if (best === 0) {
      // A prefix nobody holds goes where it evicts least: the replica holding the fewest blocks. Spreading new
      // prefixes by cache content, not only by momentary load, keeps each replica's share of them within its cache.
      const fewest = Math.min(...pool.map((e) => this.cacheOf(e.url).size));
      pool = pool.filter((e) => this.cacheOf(e.url).size === fewest);
    }
    const chosen = this.leastLoaded(pool, now, (e) => loads.get(e)!);
    this.cacheOf(chosen.url).record(hashes);
    return chosen;
  }

  /** Longest prefix (in blocks) this router believes `url` has cached for `request`; for tests and debugging. */
  cachedPrefixBlocks(url: string, request: RoutingRequest): number {
    return this.caches.get(url)?.matchLength(prefixBlockHashes(promptText(request), this.prefix)) ?? 0;
  }

  protected override forget(url: string): void {
    this.caches.delete(url);
  }

  private cacheOf(url: string): BlockLru {
    let cache = this.caches.get(url);
    if (!cache) {
      cache = new BlockLru(this.prefix.cacheBlocksPerReplica);
      this.caches.set(url, cache);
    }
    return cache;
  }
}
