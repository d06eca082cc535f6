import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where reservations live: one file per port, shared by every process on the machine. */
const RESERVATIONS = join(tmpdir(), 'lemur-ports');
/** A reservation older than this is stale: its owner bound the port long ago, or died. */
const HOLD_MS = 120_000;
const LOWEST = 10_000;

/**
 * The kernel's ephemeral range (source ports of outgoing connections and of `listen(0)`). A port handed out from
 * inside it can be taken by any outgoing connection between our check and the service's bind; below it, it cannot.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Claims `port` for this process unless another process claimed it within HOLD_MS. */
function reserve(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < HOLD_MS) return false;
    writeFileSync(file, String(process.pid));
    return true;
  } catch {
    return false;
  }
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)));
  });
}

/**
 * A TCP port on `host` that is free and that no other process on this machine was handed in the last two minutes, for
 * a child process to bind. It is chosen below the ephemeral range so no outgoing connection takes it meanwhile, and
 * reserved in a file under the temp dir so two test files starting services at once never get the same port.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  mkdirSync(RESERVATIONS, { recursive: true });
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = randomInt(LOWEST, high + 1);
    if (reserve(port) && (await canBind(port, host))) return port;
  }
  throw new Error(`no free port on ${host} in ${LOWEST}-${high} after 500 tries (reservations in ${RESERVATIONS})`);
}
