import { type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { requireString } from '../dataset/jsonl';
import { INTERCODE_COMMIT } from './intercode-tasks';

/** What a CTF task needs beyond its statement: nothing, its files (task_assets/<id>/), a picoCTF server, or both. */
export type IntercodeCtfNeeds = 'nothing' | 'files' | 'network' | 'files+network';

/** One picoCTF task of InterCode-CTF. */
export interface IntercodeCtfItem {
  id: string;
  taskId: number;
  query: string;
  gold: string;
  /** Shell run in the task's folder before the first turn (upstream: `wget` of a disk image, `git clone`). */
  setup: string | null;
  tags: string[];
  source: string;
  needs: IntercodeCtfNeeds;
  /** The remote host the statement or set-up names, when it needs one. */
  remoteHost: string | null;
}

const TASKS_FILE = 'intercode/ctf/ic_ctf.json';

/** InterCode-CTF's 100 picoCTF tasks (the statements and flags; the task files are published separately). */
export const INTERCODE_CTF_DATASET: DatasetSpec = singleFileDataset(
  {
    file: TASKS_FILE,
    url: `https://raw.githubusercontent.com/princeton-nlp/intercode/${INTERCODE_COMMIT}/data/ctf/ic_ctf.json`,
    sha256: '7d5c29724d23719de369e31126c26ebc9a925ae21769f1c3c029abf074def126',
  },
  { license: 'MIT (InterCode); tasks adapted from picoCTF, licence not stated', items: 100 },
);

/**
 * The tasks whose statement holds everything needed (decided by reading each of the 100 statements against upstream's
 * data/ctf/task_assets/<id>/ listing): ROT13 (5 and its duplicate 90), hex/decimal/binary conversions (17, 18, 19, 40)
 * and base64 (22). Every other task names a file of its folder (a binary, a pcap, a script, "the given file") or a
 * picoCTF server.
 */
export const INTERCODE_CTF_SELF_CONTAINED: ReadonlySet<number> = new Set([5, 17, 18, 19, 22, 40, 90]);

/**
 * The tasks that name a picoCTF server and also need files of their folder (a source file, a script, an image); the
 * other server tasks need only the server (upstream's folder holds just the solution).
 */
const FILES_AND_NETWORK: ReadonlySet<number> = new Set([14, 42, 43, 62, 66, 73, 87, 88, 89, 95]);

// `nc host port`, a URL, a picoctf.net/.org host name, or a download/clone in the set-up.
const REMOTE = /\bnc\s+([\w.-]+\.\w+)\s+(\d+)|https?:\/\/([\w.-]+)|\b([\w-]+(?:\.[\w-]+)*\.picoctf\.(?:net|org))\b|git@([\w.-]+):/;

function remoteHostOf(text: string): string | null {
  const m = REMOTE.exec(text);
  if (m === null) return null;
  if (m[1] !== undefined) return `${m[1]}:${m[2]}`;
  return m[3] ?? m[4] ?? m[5] ?? null;
}

/** Where a task's files are published upstream. */
export function intercodeCtfAssetsUrl(taskId: number): string {
  return `https://github.com/princeton-nlp/intercode/tree/${INTERCODE_COMMIT}/data/ctf/task_assets/${taskId}`;
}

/** The datasets-folder directory a task's files would be read from: `ctf/task_assets/<id>/` beside ic_ctf.json. */
export function intercodeCtfAssetsDir(taskId: number): string {
  return `intercode/ctf/task_assets/${taskId}/`;
}

/**
 * Why a task cannot run here, or null when it can: its files are not in the datasets folder (and `intercode-ctf@1.0.0`
 * reads only ic_ctf.json), or it needs a picoCTF server while the sandbox reaches nothing but loopback.
 */
export function intercodeCtfUnrunnableReason(item: IntercodeCtfItem): string | null {
  const parts: string[] = [];
  if (item.needs === 'files' || item.needs === 'files+network') {
    parts.push(
      `its files are missing: ${intercodeCtfAssetsDir(item.taskId)} (beside ic_ctf.json in the datasets folder) is not there; ` +
        `they are published at ${intercodeCtfAssetsUrl(item.taskId)} (princeton-nlp/intercode data/ctf/task_assets/${item.taskId}, ` +
        `without its solution/ folder), and intercode-ctf@1.0.0 places no task files yet, so it runs only the self-contained tasks ` +
        `${[...INTERCODE_CTF_SELF_CONTAINED].join(', ')}`,
    );
  }
  if (item.needs === 'network' || item.needs === 'files+network') {
    parts.push(`it needs the picoCTF server ${item.remoteHost ?? '(unnamed)'}, and the sandbox has no network but loopback`);
  }
  return parts.length === 0 ? null : `InterCode-CTF task ${item.taskId} cannot run here: ${parts.join('; and ')}`;
}

/** The 100 tasks in file order, each with what it needs. */
export function parseIntercodeCtfItems(files: DatasetFiles): IntercodeCtfItem[] {
  let rows: unknown;
  try {
    rows = JSON.parse(datasetFile(files, TASKS_FILE).toString('utf8'));
  } catch (cause) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${TASKS_FILE} is not valid JSON`, { file: TASKS_FILE }, { cause });
  }
  if (!Array.isArray(rows)) throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${TASKS_FILE} is not a JSON array`, { file: TASKS_FILE });
  return rows.map((row: unknown, index) => {
    const r = row as Record<string, unknown>;
    const taskId = r['task_id'];
    if (typeof taskId !== 'number' || !Number.isInteger(taskId)) {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${TASKS_FILE}: row ${index + 1} has no integer "task_id"`, { file: TASKS_FILE, row: index + 1 });
    }
    const query = requireString(TASKS_FILE, row, index, 'query');
    const setup = typeof r['setup'] === 'string' ? r['setup'] : null;
    const remoteHost = remoteHostOf(`${query}\n${setup ?? ''}`);
    let needs: IntercodeCtfNeeds = INTERCODE_CTF_SELF_CONTAINED.has(taskId) ? 'nothing' : 'files';
    if (remoteHost !== null) needs = FILES_AND_NETWORK.has(taskId) ? 'files+network' : 'network';
    return {
      id: `ic-ctf-${taskId}`,
      taskId,
      query,
      gold: requireString(TASKS_FILE, row, index, 'gold'),
      setup,
      tags: Array.isArray(r['tags']) ? r['tags'].filter((t): t is string => typeof t === 'string') : [],
      source: typeof r['source'] === 'string' ? r['source'] : '',
      needs,
      remoteHost,
    };
  });
}
