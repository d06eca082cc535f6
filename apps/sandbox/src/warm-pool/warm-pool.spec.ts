import { DEFAULT_SANDBOX_LIMITS, type SandboxLanguage, type SandboxLimits } from '@lemur/sandbox-policy';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IdleGate } from './idle-gate';
import { WarmPool, type WarmPoolItem } from './warm-pool';

class FakeItem implements WarmPoolItem {
  ended = false;
  closed = false;
  private readonly listeners: (() => void)[] = [];
  constructor(readonly language: SandboxLanguage, readonly id: number) {}
  onEnded(l: () => void): void {
    if (this.ended) l();
    else this.listeners.push(l);
  }
  die(): void {
    this.ended = true;
    for (const l of this.listeners.splice(0)) l();
  }
  async close(): Promise<void> {
    this.closed = true;
    this.ended = true;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));
let pools: WarmPool<FakeItem>[] = [];

afterEach(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
  pools = [];
});

function pool(opts: { size?: number; parallelStarts?: number; fail?: () => boolean; gate?: Promise<void>; idle?: IdleGate } = {}) {
  const registry = new Registry();
  const ready = new Gauge({ name: 'ready', help: 'h', labelNames: ['language'], registers: [registry] });
  const started: FakeItem[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const p = new WarmPool<FakeItem>({
    size: opts.size ?? 2,
    languages: ['python'],
    limits: DEFAULT_SANDBOX_LIMITS,
    fixed: ['memoryBytes', 'cpuMs'],
    start: async (language) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await (opts.gate ?? tick());
      inFlight -= 1;
      if (opts.fail?.()) throw new Error('start failed');
      const item = new FakeItem(language, started.length);
      started.push(item);
      return item;
    },
    ready,
    logger: pino({ level: 'silent' }),
    what: 'fake',
    retryMs: 20,
    ...(opts.parallelStarts !== undefined ? { parallelStarts: opts.parallelStarts } : {}),
    ...(opts.idle !== undefined ? { gate: opts.idle } : {}),
  });
  pools.push(p);
  const readyCount = async () => (await registry.getSingleMetric('ready')?.get())?.values.find((v) => v.labels['language'] === 'python')?.value;
  return { p, started, readyCount, maxInFlight: () => maxInFlight };
}

const limits = (over: Partial<SandboxLimits> = {}): SandboxLimits => ({ ...DEFAULT_SANDBOX_LIMITS, ...over });

describe('WarmPool', () => {
  it('fills to its size, hands each item out once and refills behind it', async () => {
    const { p, started, readyCount } = pool({ size: 2 });
    p.start();
    await p.whenFull();
    expect(started).toHaveLength(2);
    expect(await readyCount()).toBe(2);
    const a = p.take('python', limits());
    const b = p.take('python', limits());
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(a).not.toBe(b);
    expect(p.take('python', limits())).toBeNull();
    await p.whenFull();
    expect(started).toHaveLength(4);
    const c = p.take('python', limits());
    expect([a, b]).not.toContain(c);
  });

  it('serves only requests whose fixed limits and language match, whatever the other limits', async () => {
    const { p } = pool();
    p.start();
    await p.whenFull();
    expect(p.fits('python', limits({ wallMs: 100, outputBytes: 5 }))).toBe(true);
    expect(p.fits('python', limits({ memoryBytes: 64 << 20 }))).toBe(false);
    expect(p.fits('bash', limits())).toBe(false);
    expect(p.take('python', limits({ cpuMs: 1_000 }))).toBeNull();
    expect(p.take('bash', limits())).toBeNull();
  });

  it('never hands out an item that died while waiting, and replaces it', async () => {
    const { p, started } = pool({ size: 1 });
    p.start();
    await p.whenFull();
    started[0]?.die();
    expect(started[0]?.closed).toBe(true);
    await p.whenFull();
    const got = p.take('python', limits());
    expect(got).toBe(started[1]);
  });

  it('keeps at most parallelStarts starts in flight', async () => {
    const one = pool({ size: 4, parallelStarts: 1 });
    one.p.start();
    await one.p.whenFull();
    expect(one.maxInFlight()).toBe(1);
    const two = pool({ size: 4, parallelStarts: 2 });
    two.p.start();
    await two.p.whenFull();
    expect(two.maxInFlight()).toBe(2);
    expect(two.started).toHaveLength(4);
  });

  it('retries failed starts after a pause', async () => {
    let failures = 2;
    const { p, started } = pool({ size: 1, fail: () => failures-- > 0 });
    p.start();
    await p.whenFull();
    expect(failures).toBe(-1);
    expect(started).toHaveLength(1);
  });

  it('does nothing at size 0', async () => {
    const { p, started } = pool({ size: 0 });
    p.start();
    await p.whenFull();
    expect(started).toHaveLength(0);
    expect(p.fits('python', limits())).toBe(false);
  });

  it('closes waiting items and items that finish starting after dispose', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const { p, started } = pool({ size: 2, parallelStarts: 2, gate });
    p.start();
    const disposed = p.dispose();
    open();
    await disposed;
    expect(started).toHaveLength(2);
    expect(started.every((s) => s.closed)).toBe(true);
    expect(p.take('python', limits())).toBeNull();
  });

  it('starts only in the slots the runs leave idle, and refills as runs end', async () => {
    const idle = new IdleGate(2);
    idle.runStarted();
    idle.runStarted();
    const { p, started, maxInFlight } = pool({ size: 3, parallelStarts: 3, idle });
    p.start();
    await tick();
    await tick();
    // Both slots are running programs: nothing starts beside them.
    expect(started).toHaveLength(0);
    idle.runEnded();
    await p.whenFull();
    // One slot idle: the three items started one after another, never two at once.
    expect(started).toHaveLength(3);
    expect(maxInFlight()).toBe(1);
    // A run that takes the last idle slot stops the refill until it ends.
    idle.runStarted();
    expect(p.take('python', limits())).not.toBeNull();
    await tick();
    await tick();
    expect(started).toHaveLength(3);
    idle.runEnded();
    await p.whenFull();
    expect(started).toHaveLength(4);
    expect(idle.tryStart()).toBe(true); // every pre-start gave its slot back
  });

  it('starts only once no run has started or ended for the quiet period', async () => {
    let now = 0;
    const idle = new IdleGate(1, 40, () => now);
    idle.runStarted();
    const { p, started } = pool({ size: 1, idle });
    p.start();
    // The run ends and the client's next request takes the slot back a moment later: that moment is not idle time.
    idle.runEnded();
    now = 1;
    idle.runStarted();
    await new Promise((r) => setTimeout(r, 60));
    expect(started).toHaveLength(0);
    now = 30;
    idle.runEnded();
    // 39 ms after the last run ended: the wake-ups come and go, and still nothing starts.
    now = 69;
    await new Promise((r) => setTimeout(r, 60));
    expect(started).toHaveLength(0);
    now = 70;
    await p.whenFull();
    expect(started).toHaveLength(1);
    idle.dispose();
  });

  it('refuses a negative quiet period', () => {
    expect(() => new IdleGate(1, -1)).toThrow(/quiet period/);
  });

  it('waits out the pause after a failed start even when a slot frees meanwhile', async () => {
    const idle = new IdleGate(1);
    let failures = 1;
    const { p, started } = pool({ size: 1, idle, fail: () => failures-- > 0 });
    p.start();
    await tick();
    await tick();
    expect(failures).toBe(0);
    // A run ending frees the slot, but the pool is in its 20 ms pause: no immediate retry.
    idle.runStarted();
    idle.runEnded();
    expect(started).toHaveLength(0);
    await p.whenFull();
    expect(started).toHaveLength(1);
  });
});
