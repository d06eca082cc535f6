import { readFileSync } from 'node:fs';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createRouter, DEFAULT_ROUTING_POLICY, ROUTING_POLICIES, type Router, type RouterOptions, type RoutingPolicyName } from '@lemur/routing';
import { z } from 'zod';
import { endpointUrlProblem, redactEndpoint } from './endpoint-url';

const modelFields = z.object({
  name: z.string().min(1).max(200),
  endpoints: z.array(z.string()),
  servedModelName: z.string().min(1).optional(),
  chat: z.boolean().default(false),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  kind: z.enum(['openai', 'sim']).default('openai'),
  /** How requests are spread over the endpoints; prefix affinity bounded by load unless the entry says otherwise. */
  routingPolicy: z.enum(ROUTING_POLICIES).default(DEFAULT_ROUTING_POLICY),
  /**
   * Weights revision served (e.g. a Hugging Face commit); part of the response-cache key. A LemurModel's is its serving
   * identity, which names its PVC path (up to 1024 characters).
   */
  revision: z.string().max(2000).default(''),
  /** Why this model's answers are never cached: set by the controller for a LemurModel whose revision can move. */
  cacheOff: z.string().min(1).optional(),
});

/** Why the `index`th endpoint of `model` is refused, naming both; the URL only in its redacted form. */
function endpointProblem(model: string, urls: readonly string[]): { index: number; message: string } | undefined {
  for (const [index, url] of urls.entries()) {
    const problem = endpointUrlProblem(url);
    if (problem === undefined) continue;
    const shown = /^https?:\/\//i.test(url) && URL.canParse(url) ? ` (${redactEndpoint(url)})` : '';
    return { index, message: `model "${model}": endpoints[${index}]${shown} ${problem}` };
  }
  return undefined;
}

function checkEndpoints(m: { name: string; endpoints: string[] }, ctx: z.RefinementCtx): void {
  const problem = endpointProblem(m.name, m.endpoints);
  if (problem) ctx.addIssue({ code: 'custom', path: ['endpoints', problem.index], message: problem.message });
}

const modelSchema = modelFields.superRefine(checkEndpoints);
// A static file names its endpoints; a model from the cluster may have none ready yet (setEndpoints fills them in).
// The file's entries are cached as their revision says: cacheOff is the controller's alone.
const fileSchema = z.object({
  models: z.array(
    modelFields.omit({ cacheOff: true }).extend({ endpoints: z.array(z.string()).min(1, 'a model needs at least one endpoint') }).superRefine(checkEndpoints),
  ),
});

/** A model entry: the registry file's schema, also what the Kubernetes controller upserts. */
export type ModelSpec = z.input<typeof modelSchema>;

/** A model as the router sees it: where it is served and how to call it. */
export interface RegisteredModel {
  name: string;
  servedModelName: string;
  chat: boolean;
  kind: 'openai' | 'sim';
  apiKey: string | undefined;
  routingPolicy: RoutingPolicyName;
  revision: string;
  /** Why answers are never cached (a revision that can move); undefined when the cache may serve them. */
  cacheOff: string | undefined;
  router: Router;
}

/** Hooks and knobs of the routers the registry builds. */
export interface ModelRegistryOptions {
  /** A replica of `model` was ejected after failures (metrics, logs). */
  onEject?: (model: string, replica: string, untilMs: number) => void;
  router?: Partial<Omit<RouterOptions, 'onEject'>>;
}

/** The validated registry entries; the first problem is thrown, prefixed with `where` and the field's path. */
function parseEntries(raw: unknown, where: string): z.output<typeof fileSchema> {
  const result = fileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`${where}: ${issue.path.join('.')}: ${issue.message}`);
}

// Valid endpoints (no credentials, query or fragment) in their redacted form, which is also canonical: what routing,
// logs, metric labels and responses name a replica by is then the same string, and never carries a secret.
function normalise(urls: readonly string[]): string[] {
  return [...new Set(urls.map(redactEndpoint))];
}

/**
 * Model name -> OpenAI-compatible endpoints and the router that spreads requests over them. Loaded from a file in
 * local mode; in a cluster the controller keeps it current with `upsert`, `remove` and `setEndpoints`.
 */
export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();

  constructor(
    entries: z.input<typeof fileSchema>,
    private readonly secrets: Record<string, string | undefined>,
    private readonly options: ModelRegistryOptions = {},
  ) {
    for (const m of parseEntries(entries, 'model registry').models) {
      if (this.models.has(m.name)) throw new Error(`model registry: duplicate model name "${m.name}"`);
      this.upsert(m);
    }
  }

  /** Reads and validates a registry file; errors name the file and the bad field. */
  static fromFile(path: string, secrets: Record<string, string | undefined>, options: ModelRegistryOptions = {}): ModelRegistry {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      // V8 quotes the text around a syntax error, which could be a credential: only the position is repeated.
      if (err instanceof SyntaxError) {
        throw new Error(`model registry ${path}: cannot read JSON (not valid JSON${/ at position \d+/.exec(err.message)?.[0] ?? ''})`);
      }
      throw new Error(`model registry ${path}: cannot read JSON (${(err as Error).message})`, { cause: err });
    }
    return new ModelRegistry(parseEntries(raw, `model registry ${path}`), secrets, options);
  }

  /**
   * Adds a model or updates it in place. The router (in-flight counts, ejections, prefix history) survives an update
   * unless the routing policy changes; replicas present before and after keep their state.
   */
  upsert(spec: ModelSpec): RegisteredModel {
    const result = modelSchema.safeParse(spec);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw PlatformError.invalid(issue.path.join('.') || 'model', issue.message);
    }
    const m = result.data;
    const endpoints = normalise(m.endpoints);
    const existing = this.models.get(m.name);
    let router: Router;
    if (existing && existing.routingPolicy === m.routingPolicy) {
      router = existing.router;
      router.replaceEndpoints(endpoints);
    } else {
      router = createRouter(m.routingPolicy, endpoints, {
        ...this.options.router,
        ...(this.options.onEject ? { onEject: (url: string, until: number) => this.options.onEject?.(m.name, url, until) } : {}),
      });
    }
    const model: RegisteredModel = {
      name: m.name,
      servedModelName: m.servedModelName ?? m.name,
      chat: m.chat,
      kind: m.kind,
      apiKey: m.apiKeyEnv ? this.secrets[m.apiKeyEnv] : undefined,
      routingPolicy: m.routingPolicy,
      revision: m.revision,
      cacheOff: m.cacheOff,
      router,
    };
    // Replaced in place: requests already holding the old entry keep a consistent view of it.
    this.models.set(m.name, model);
    return model;
  }

  /** Removes a model; requests in flight finish on the replicas they were sent to. False when it was not registered. */
  remove(name: string): boolean {
    return this.models.delete(name);
  }

  /** Replaces the ready endpoints of a model (endpoint discovery); surviving replicas keep their routing state. */
  setEndpoints(name: string, urls: readonly string[]): void {
    const model = this.get(name);
    const problem = endpointProblem(name, urls);
    if (problem) throw PlatformError.invalid('endpoints', problem.message);
    model.router.replaceEndpoints(normalise(urls));
  }

  get(name: string): RegisteredModel {
    const model = this.models.get(name);
    if (!model) {
      throw new PlatformError(
        PlatformErrorCode.MODEL_NOT_FOUND,
        `unknown model "${name}"; known models: ${[...this.models.keys()].join(', ') || '(none)'}`,
        { field: 'model' },
      );
    }
    return model;
  }

  list(): RegisteredModel[] {
    return [...this.models.values()];
  }
}
