import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';

/** Why an address is no place for a webhook: it belongs to the platform's own host or network. */
export type ForbiddenAddressKind = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

type V4Rule = [base: number, bits: number, kind: ForbiddenAddressKind];

// 100.64/10 (carrier-grade NAT) is what several clouds number their internal networks from, so it counts as private.
const V4_RULES: V4Rule[] = [
  [0x00000000, 8, 'unspecified'],
  [0x0a000000, 8, 'private'],
  [0x64400000, 10, 'private'],
  [0x7f000000, 8, 'loopback'],
  [0xa9fe0000, 16, 'link-local'],
  [0xac100000, 12, 'private'],
  [0xc0a80000, 16, 'private'],
  [0xe0000000, 4, 'multicast'],
  [0xf0000000, 4, 'reserved'],
];

function v4Number(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function classifyV4(n: number): ForbiddenAddressKind | null {
  for (const [base, bits, kind] of V4_RULES) {
    if (Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits))) return kind;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part and a zone id allowed); null if malformed. */
function v6Groups(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const n = v4Number(dotted[1]!);
    if (n === null) return null;
    text = `${text.slice(0, dotted.index)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * What kind of forbidden address `address` is (an IP literal, v4 or v6), or null for a public one a webhook may reach.
 * IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`)
 * are judged by that IPv4 address; anything that is not an IP address at all is refused as `reserved`.
 */
export function classifyWebhookAddress(address: string): ForbiddenAddressKind | null {
  const v4 = v4Number(address);
  if (v4 !== null) return classifyV4(v4);
  const g = v6Groups(address);
  if (!g) return 'reserved';
  const embeddedV4 = g[6]! * 65536 + g[7]!;
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(embeddedV4);
  if (zeroUpTo(6)) return classifyV4(embeddedV4);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(embeddedV4);
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  return null;
}

/** A webhook destination refused because it is on the platform's own network. */
export class WebhookAddressRefusedError extends Error {
  readonly code = 'LEMUR_WEBHOOK_ADDRESS_REFUSED';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: ForbiddenAddressKind,
  ) {
    super(`webhook host ${host} resolves to ${address} (${kind}); webhooks may only reach public addresses (EVAL_WEBHOOK_ALLOW_PRIVATE=true lifts this)`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolver = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/**
 * A `lookup` for net/tls connect that resolves the host and hands on only public addresses, so the address checked is
 * the address connected to: a DNS answer that changes between a check and the connection (rebinding) cannot slip by.
 */
export function guardedLookup(resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => classifyWebhookAddress(a.address) === null);
      const first = allowed[0];
      if (!first) {
        const refused = addresses[0];
        return callback(new WebhookAddressRefusedError(hostname, refused?.address ?? '', refused ? classifyWebhookAddress(refused.address)! : 'reserved'), []);
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * The connection pool webhooks are delivered through: with `allowPrivate` false every connection goes to a public
 * address (IP literals are checked here, since net skips `lookup` for them; names through guardedLookup).
 */
export function webhookDispatcher(allowPrivate: boolean, resolve?: Resolver): Agent {
  if (allowPrivate) return new Agent();
  const connector = buildConnector({ lookup: guardedLookup(resolve) as never });
  return new Agent({
    connect: (opts, callback) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      const kind = isIP(host) ? classifyWebhookAddress(host) : null;
      if (kind) return callback(new WebhookAddressRefusedError(host, host, kind), null);
      return connector(opts, callback);
    },
  });
}

/** The refusal behind a failed request, if the guard refused it (undici may wrap the connector's error). */
export function addressRefusalOf(err: unknown): WebhookAddressRefusedError | null {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof WebhookAddressRefusedError) return e;
  }
  return null;
}
