import { createHash } from 'node:crypto';

const HEX_KEY = /^[0-9a-f]{64}$/;
// A sha256 holds eight independent 32-bit words: each is one of the filter's hash functions.
const MAX_HASHES = 8;

/**
 * A Bloom filter of cache keys: `mightContain` answers false only for a key never added (it may answer true for one
 * that was not). Sized once for `capacity` keys at `falsePositiveRate`: about 1.2 MB for a million keys at 1 %, where a
 * Set of the keys would take well over 100 MB. Cache keys are sha256 hex already, so their words are the hash functions;
 * any other string is hashed first.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private readonly hashes: number;
  private distinct = 0;

  constructor(
    readonly capacity: number,
    falsePositiveRate = 0.01,
  ) {
    const n = Math.max(1, capacity);
    this.size = Math.max(64, Math.ceil((-n * Math.log(falsePositiveRate)) / Math.LN2 ** 2));
    this.hashes = Math.min(MAX_HASHES, Math.max(1, Math.round((this.size / n) * Math.LN2)));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(key: string): void {
    const hex = digestOf(key);
    let changed = false;
    for (let i = 0; i < this.hashes; i++) {
      const bit = wordOf(hex, i) % this.size;
      const mask = 1 << (bit & 31);
      const word = bit >>> 5;
      if ((this.bits[word]! & mask) === 0) {
        this.bits[word]! |= mask;
        changed = true;
      }
    }
    // A key that set no new bit was (almost surely) added before: this counts distinct keys, not calls.
    if (changed) this.distinct += 1;
  }

  mightContain(key: string): boolean {
    const hex = digestOf(key);
    for (let i = 0; i < this.hashes; i++) {
      const bit = wordOf(hex, i) % this.size;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** Whether more distinct keys went in than it was sized for (its false positives grow beyond the rate asked for). */
  get full(): boolean {
    return this.distinct > this.capacity;
  }
}

function digestOf(key: string): string {
  return HEX_KEY.test(key) ? key : createHash('sha256').update(key).digest('hex');
}

function wordOf(hex: string, i: number): number {
  return Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
}
