import { type AgentProtocol, type DatasetSpec } from '../benchmark';
import { MissingDatasetBenchmark } from '../dataset/missing-dataset.benchmark';
import { sha256Hex } from '../hash';
import { type EnvironmentTool } from './environment-protocol';

/** The upstream commit of web-arena-x/webarena the task file is named at. */
export const WEBARENA_COMMIT = 'f086fe2200ca79c2816ff2c345acbb0faa058223';
const TASK_FILE = 'webarena/config_files/test.raw.json';
const TASK_URL = `https://raw.githubusercontent.com/web-arena-x/webarena/${WEBARENA_COMMIT}/config_files/test.raw.json`;

/** The six self-hosted sites WebArena's tasks need, as its environment_docker/README.md publishes them. */
export const WEBARENA_SITES: readonly { env: string; site: string; image: string }[] = [
  { env: 'SHOPPING', site: 'OneStopShop (Magento storefront, port 7770)', image: 'shopping_final_0712.tar' },
  { env: 'SHOPPING_ADMIN', site: 'Magento admin (port 7780)', image: 'shopping_admin_final_0719.tar' },
  { env: 'REDDIT', site: 'Postmill forum (port 9999)', image: 'postmill-populated-exposed-withimg.tar' },
  { env: 'GITLAB', site: 'GitLab (port 8023)', image: 'gitlab-populated-final-port8023.tar' },
  { env: 'MAP', site: 'OpenStreetMap (port 3000)', image: 'openstreetmap-website-db.tar.gz + openstreetmap-website-web.tar.gz' },
  { env: 'WIKIPEDIA', site: 'Kiwix Wikipedia (port 8888)', image: 'wikipedia_en_all_maxi_2022-05.zim served by ghcr.io/kiwix/kiwix-serve:3.3.0' },
];

/** The agent's browser commands (the `--setting codegen` action space of OpenLemur/webarena), sent to /step as text. */
export const WEBARENA_TOOLS: readonly EnvironmentTool[] = [
  { name: 'click', params: ['element_id'], action: 'click [{element_id}]' },
  { name: 'type', params: ['element_id', 'text', 'press_enter'], action: 'type [{element_id}] [{text}] [{press_enter}]' },
  { name: 'hover', params: ['element_id'], action: 'hover [{element_id}]' },
  { name: 'press', params: ['key_comb'], action: 'press [{key_comb}]' },
  { name: 'scroll', params: ['direction'], action: 'scroll [{direction}]' },
  { name: 'goto', params: ['url'], action: 'goto [{url}]' },
  { name: 'go_back', params: [], action: 'go_back' },
  { name: 'stop', params: ['answer'], action: 'stop [{answer}]' },
];

/** What a WebArena run needs and where it is published; the loader's error says all of it. */
export function webarenaRequirements(): string {
  return (
    `WebArena needs ${TASK_FILE} (812 tasks; published at ${TASK_URL}, Apache-2.0) in the datasets folder, ` +
    `and a WebArena environment server speaking docs/environment-protocol.md in front of the six self-hosted sites: ` +
    `${WEBARENA_SITES.map((s) => `${s.env}=${s.site} from ${s.image}`).join('; ')} ` +
    `(images: https://github.com/web-arena-x/webarena/blob/${WEBARENA_COMMIT}/environment_docker/README.md)`
  );
}

const DATASET: DatasetSpec = {
  name: TASK_FILE,
  // The task file's sha256 is not pinned until a verified copy is in the datasets folder, so nothing is resolved.
  files: [],
  license: 'Apache-2.0',
  items: 812,
};

/**
 * WebArena (`webarena@1.0.0`): registered with its agent side and protocol only. Its dataset and sites are not in
 * the datasets directory, so loading it fails with DATASET_NOT_FOUND naming each file and site it needs.
 */
export class WebarenaBenchmark extends MissingDatasetBenchmark {
  readonly agent: AgentProtocol<{ id: string }> = {
    protocol: 'webarena',
    scoringRules: 'functional',
    // run.py's --max_steps 30; the agent proposes by calling stop(answer).
    budget: { maxSteps: 30, maxProposeSolution: 1 },
    cellTimeoutMs: 60_000,
    environment: 'python',
    tools: [],
    environmentServer: { tools: WEBARENA_TOOLS, taskId: (item) => item.id.replace(/^webarena\//, '') },
    feedbackSampling: { maxTokens: 1024, temperature: 0, topP: 1, stop: [] },
    startEpisode: () => {
      throw this.missing();
    },
    formatExecution: (r) => `${r.stdout}${r.stderr}`,
    judge: () => Promise.reject(this.missing()),
  };

  constructor() {
    super({
      name: 'webarena',
      version: '1.0.0',
      metric: 'accuracy',
      dataset: DATASET,
      sampling: { maxTokens: 384, temperature: 0, topP: 1, stop: [] },
      requirements: webarenaRequirements(),
      details: { file: TASK_FILE, url: TASK_URL, sites: WEBARENA_SITES.map((s) => s.env) },
      promptTemplateHash: sha256Hex(JSON.stringify({ tools: WEBARENA_TOOLS, maxSteps: 30 })),
    });
  }
}

/** The registered WebArena benchmark (agent side and protocol only). */
export const webarenaBenchmark = new WebarenaBenchmark();
