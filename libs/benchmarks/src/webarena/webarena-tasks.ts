import { type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';

/** The upstream commit of web-arena-x/webarena the task file is named at. */
export const WEBARENA_COMMIT = 'f086fe2200ca79c2816ff2c345acbb0faa058223';
/** The task file's path in a datasets folder. */
export const WEBARENA_TASK_FILE = 'webarena/config_files/test.raw.json';
/** Where the task file is published. */
export const WEBARENA_TASK_URL = `https://raw.githubusercontent.com/web-arena-x/webarena/${WEBARENA_COMMIT}/config_files/test.raw.json`;

/** The six self-hosted sites WebArena's tasks need, as its environment_docker/README.md publishes them. */
export const WEBARENA_SITES: readonly { env: string; site: string; image: string }[] = [
  { env: 'SHOPPING', site: 'OneStopShop (Magento storefront, port 7770)', image: 'shopping_final_0712.tar' },
  { env: 'SHOPPING_ADMIN', site: 'Magento admin (port 7780)', image: 'shopping_admin_final_0719.tar' },
  { env: 'REDDIT', site: 'Postmill forum (port 9999)', image: 'postmill-populated-exposed-withimg.tar' },
  { env: 'GITLAB', site: 'GitLab (port 8023)', image: 'gitlab-populated-final-port8023.tar' },
  { env: 'MAP', site: 'OpenStreetMap (port 3000)', image: 'openstreetmap-website-db.tar.gz + openstreetmap-website-web.tar.gz' },
  { env: 'WIKIPEDIA', site: 'Kiwix Wikipedia (port 8888)', image: 'wikipedia_en_all_maxi_2022-05.zim served by ghcr.io/kiwix/kiwix-serve:3.3.0' },
];

/** What a WebArena run needs and where it is published; the loader's error says all of it. */
export function webarenaRequirements(): string {
  return (
    `WebArena needs ${WEBARENA_TASK_FILE} (812 tasks; published at ${WEBARENA_TASK_URL}, Apache-2.0) in the datasets folder, ` +
    `and a WebArena environment server speaking docs/environment-protocol.md in front of the six self-hosted sites: ` +
    `${WEBARENA_SITES.map((s) => `${s.env}=${s.site} from ${s.image}`).join('; ')} ` +
    `(images: https://github.com/web-arena-x/webarena/blob/${WEBARENA_COMMIT}/environment_docker/README.md)`
  );
}

/** The task file as runs record it; its sha256 is not pinned until a verified copy is in the datasets folder. */
export const WEBARENA_DATASET: DatasetSpec = {
  name: WEBARENA_TASK_FILE,
  files: [],
  license: 'Apache-2.0',
  items: 812,
};

/** One WebArena task: the environment server resets `taskId` (the config's task_id); `intent` is the OBJECTIVE. */
export interface WebarenaItem {
  id: string;
  taskId: string;
  intent: string;
  /** The sites the task uses (`shopping_admin`, `map`, ...). */
  sites: string[];
  /** How the environment server's evaluators judge it (`string_match`, `url_match`, `program_html`). */
  evalTypes: string[];
}

/** Reads test.raw.json: an array of task configs (`task_id`, `intent`, `sites`, `eval.eval_types`, ...). */
export function parseWebarenaTasks(files: DatasetFiles): WebarenaItem[] {
  const bytes = files.get(WEBARENA_TASK_FILE);
  if (bytes === undefined) throw invalid(`${WEBARENA_TASK_FILE} is not among the dataset's files`);
  let configs: unknown;
  try {
    configs = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`${WEBARENA_TASK_FILE} is not JSON`, err);
  }
  if (!Array.isArray(configs)) throw invalid(`${WEBARENA_TASK_FILE} must be a JSON array of task configs`);
  return configs.map((config: unknown, i) => {
    const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
    const taskId = c['task_id'];
    const intent = c['intent'];
    const evalTypes = (c['eval'] as { eval_types?: unknown } | undefined)?.eval_types;
    if ((typeof taskId !== 'number' && typeof taskId !== 'string') || typeof intent !== 'string' || !isStrings(c['sites']) || !isStrings(evalTypes)) {
      throw invalid(`${WEBARENA_TASK_FILE} entry ${i} lacks task_id, intent, sites or eval.eval_types`);
    }
    return { id: `webarena/${taskId}`, taskId: String(taskId), intent, sites: c['sites'], evalTypes };
  });
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function invalid(message: string, cause?: unknown): BenchmarkException {
  return new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, message, { file: WEBARENA_TASK_FILE }, cause === undefined ? {} : { cause });
}
