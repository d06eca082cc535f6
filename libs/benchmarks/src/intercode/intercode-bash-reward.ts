import { pyRound2 } from './intercode-python';

/** A file-system state: each file's content hash (and executable bit) by path, and the directories. */
export interface FsSnapshot {
  files: ReadonlyMap<string, string>;
  dirs: ReadonlySet<string>;
}

/** One line of `git status --short` as BashEnv.parse_status reads it: (path, code). */
export type FsChange = readonly [path: string, code: '??' | 'M' | 'D'];

/** The Bash reward and its three parts (BashEnv.get_reward in intercode/envs/bash/bash_env.py). */
export interface IntercodeBashReward {
  reward: number;
  fileDiff: number;
  fileChanges: number;
  answerSimilarity: number;
  diffMiss: string[];
  diffExtra: string[];
}

/**
 * What `git status --short` would list for a tree committed at `base` and now at `now`: modified and deleted files,
 * new files as untracked, a folder holding no committed file collapsed to "dir/" (git tracks no folder, only files:
 * an untracked folder is shown, not its files), and empty new folders not at all. Paths with a component among
 * `ignoredNames` (a .gitignore of bare names) are skipped.
 */
export function fsChanges(base: FsSnapshot, now: FsSnapshot, ignoredNames: ReadonlySet<string> = new Set()): FsChange[] {
  const changes: FsChange[] = [];
  const untrackedDirs = new Set<string>();
  const tracked = trackedDirs(base);
  const ignored = (path: string): boolean => ignoredNames.size > 0 && path.split('/').some((part) => ignoredNames.has(part));
  for (const [path, hash] of now.files) {
    if (ignored(path)) continue;
    const before = base.files.get(path);
    if (before === undefined) {
      const top = topUntrackedDir(path, tracked);
      if (top === null) changes.push([path, '??']);
      else untrackedDirs.add(top);
    } else if (before !== hash) changes.push([path, 'M']);
  }
  for (const path of base.files.keys()) if (!ignored(path) && !now.files.has(path)) changes.push([path, 'D']);
  for (const dir of untrackedDirs) changes.push([`${dir}/`, '??']);
  return changes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The folders git knows from a commit of `base`: those holding a file, at any depth. */
function trackedDirs(base: FsSnapshot): Set<string> {
  const dirs = new Set<string>();
  for (const path of base.files.keys()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

function topUntrackedDir(path: string, tracked: ReadonlySet<string>): string | null {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i += 1) {
    const dir = parts.slice(0, i).join('/');
    if (dir !== '' && !tracked.has(dir)) return dir;
  }
  return null;
}

const ERF_AT_INTEGER = [0, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014, 0.9999999845827421, 0.9999999999984626];

/** math.erf at a count (the only arguments the reward gives it); beyond 5 it is 1.0 in double precision. */
function erfOfCount(n: number): number {
  return ERF_AT_INTEGER[n] ?? 1;
}

/**
 * InterCode-Bash's reward: 0.01 + 0.33·(1 − erf(#changes only one side made)) + 0.33·(share of the changes both made,
 * added or untracked, whose content matches) + 0.33·(TF-IDF cosine similarity of the two outputs), each part rounded to
 * 2 places; 1 exactly when all three are full. `contentMatches(path)` says whether a change both sides made left the
 * same content (md5 of a file, of every file under a directory).
 */
export function intercodeBashReward(args: {
  agentChanges: readonly FsChange[];
  goldChanges: readonly FsChange[];
  contentMatches: (path: string) => boolean;
  agentOutput: string | null;
  goldOutput: string | null;
}): IntercodeBashReward {
  const key = (c: FsChange): string => `${c[0]}\u0000${c[1]}`;
  const agent = new Set(args.agentChanges.map(key));
  const gold = new Set(args.goldChanges.map(key));
  const diffMiss = [...gold].filter((k) => !agent.has(k));
  const diffExtra = [...agent].filter((k) => !gold.has(k));
  let reward = 0.01;
  const fileDiff = pyRound2(0.33 * (1 - erfOfCount(diffMiss.length + diffExtra.length)));
  reward += fileDiff;
  const same = args.agentChanges.filter((c) => gold.has(key(c)) && (c[1] === '??' || (c[1] as string) === 'A' || (c[1] as string) === 'C'));
  let fileChanges = 0.33;
  if (same.length > 0) {
    const correct = same.filter((c) => args.contentMatches(c[0])).length;
    fileChanges = pyRound2(0.33 * (correct / same.length));
  }
  reward += fileChanges;
  const answerSimilarity = pyRound2(0.33 * outputSimilarity(args.agentOutput, args.goldOutput));
  reward += answerSimilarity;
  const show = (k: string): string => k.replace('\u0000', ' ');
  return { reward, fileDiff, fileChanges, answerSimilarity, diffMiss: diffMiss.map(show), diffExtra: diffExtra.map(show) };
}

/**
 * sklearn's TfidfVectorizer() fitted on the two outputs, then their cosine: lower-cased tokens of 2+ word characters,
 * idf = ln(3 / (1 + df)) + 1, raw counts, rows l2-normalised. When it raises (no tokens at all, or an output is
 * missing) upstream falls back to exact equality.
 */
export function outputSimilarity(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 1 : 0;
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.length === 0 && tb.length === 0) return a === b ? 1 : 0;
  const ca = termCounts(ta);
  const cb = termCounts(tb);
  const vocab = [...new Set([...ca.keys(), ...cb.keys()])].sort();
  const idf = (t: string): number => Math.log(3 / (1 + (ca.has(t) ? 1 : 0) + (cb.has(t) ? 1 : 0))) + 1;
  const va = vocab.map((t) => (ca.get(t) ?? 0) * idf(t));
  const vb = vocab.map((t) => (cb.get(t) ?? 0) * idf(t));
  const na = Math.sqrt(va.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(vb.reduce((s, x) => s + x * x, 0));
  if (na === 0 || nb === 0) return 0;
  let dot = 0;
  for (let i = 0; i < vocab.length; i += 1) dot += (va[i]! / na) * (vb[i]! / nb);
  return dot;
}

function tokens(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

function termCounts(list: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of list) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * A bash snippet printing a snapshot of the trees at `roots` (absolute paths; missing ones are skipped): "d<TAB>path"
 * per directory, "f<TAB>md5<TAB>mode<TAB>path" per file, paths relative to / ("testbed/dir1/a.txt", as `git status`
 * at / names them). Files whose names hold a tab or newline are left out.
 */
export function fsSnapshotScript(roots: readonly string[]): string {
  const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  const starts = roots.map((r) => q(r.replace(/^\/+/, '') || '.')).join(' ');
  // A subshell, so the snapshot leaves the episode shell's working directory and variables alone.
  return [
    '( cd / || exit 0',
    `find ${starts} -xdev -type d -printf 'd\\t%p\\n' 2>/dev/null`,
    `find ${starts} -xdev -type f -printf '%m\\t%p\\n' 2>/dev/null | while IFS=$'\\t' read -r m p; do h=$(md5sum < "$p" 2>/dev/null | cut -c1-32); printf 'f\\t%s\\t%s\\t%s\\n' "$h" "$m" "$p"; done )`,
  ].join('\n');
}

/** Reads the output of `fsSnapshotScript`. */
export function parseFsSnapshot(output: string): FsSnapshot {
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  for (const line of output.split('\n')) {
    const parts = line.split('\t');
    if (parts[0] === 'd' && parts.length === 2 && parts[1] !== '') dirs.add(parts[1]!);
    // Git records only the executable bit of a mode.
    else if (parts[0] === 'f' && parts.length === 4) files.set(parts[3]!, `${parts[1]}:${/[1357]/.test(parts[2]!.slice(-3, -2)) ? 'x' : '-'}`);
  }
  return { files, dirs };
}

/** Whether a change both sides made left the same content: the file's hash, or every file's under a directory. */
export function sameContent(a: FsSnapshot, b: FsSnapshot, path: string): boolean {
  if (!path.endsWith('/')) return a.files.get(path) === b.files.get(path);
  const under = (s: FsSnapshot): string =>
    [...s.files]
      .filter(([p]) => p.startsWith(path))
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([p, h]) => `${p} ${h}`)
      .join('\n');
  return under(a) === under(b);
}
