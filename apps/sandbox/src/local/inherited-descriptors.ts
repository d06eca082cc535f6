import { closeSync, readFileSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/**
 * Closes the descriptors this process inherited without close-on-exec (a launcher's leak: a shell's pipe, a test
 * runner's channel). Every sandbox chain is spawned from this process, so anything left open here would reach the
 * sandbox (bwrap's init keeps it even if the program's own process closed it). Node opens its own descriptors with
 * O_CLOEXEC, so those are never touched; `keep` names any that must survive (Node's IPC channel). Returns what it closed.
 */
export function closeInheritedDescriptors(keep: readonly number[] = []): number[] {
  const closed: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return closed;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2 || keep.includes(fd)) continue;
    let flags: number;
    try {
      const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (!m) continue;
      flags = parseInt(m[1]!, 8);
    } catch {
      continue; // the directory listing's own descriptor, already gone
    }
    if ((flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return closed;
}
