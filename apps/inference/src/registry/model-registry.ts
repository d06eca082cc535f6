import { readFileSync } from 'node:fs';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createRouter, DEFAULT_ROUTING_POLICY, ROUTING_POLICIES, type Router, type RouterOptions, type RoutingPolicyName } from '@lemur/routing';
import { z } from 'zod';

const endpointSchema = z.url({ protocol: /^https?$/ });
const modelSchema = z.object({
  name: z.string().min(1).max(200),
  endpoints: z.array(endpointSchema),
  servedModelName: z.string().min(1).optional(),
  chat: z.boolean().default(false),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  kind: z.enum(['openai', 'sim']).default('openai'),
  /** How requests are spread over the endpoints; prefix affinity bounded by load unless the entry says otherwise. */
  routingPolicy: z.enum(ROUTING_POLICIES).default(DEFAULT_ROUTING_POLICY),
  /** Weights revision served (e.g. a Hugging Face commit); part of the response-cache key. */
  revision: z.string().max(200).default(''),
});
// A static file names its endpoints; a model from the cluster may have none ready yet (setEndpoints fills them in).
const fileSchema = z.object({
  models: z.array(modelSchema.extend({ endpoints: z.array(endpointSchema).min(1, 'a model needs at least one endpoint') })),
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
  router: Router;
}

/** Hooks and knobs of the routers the registry builds. */
export interface ModelRegistryOptions {
  /** A replica of `model` was ejected after failures (metrics, logs). */
  onEject?: (model: string, replica: string, untilMs: number) => void;
  router?: Partial<Omit<RouterOptions, 'onEject'>>;
}

function normalise(urls: readonly string[]): string[] {
  return [...new Set(urls.map((url) => url.replace(/\/+$/, '')))];
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
    const parsed = fileSchema.parse(entries);
    for (const m of parsed.models) {
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
      throw new Error(`model registry ${path}: cannot read JSON (${(err as Error).message})`, { cause: err });
    }
    const result = fileSchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(`model registry ${path}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return new ModelRegistry(result.data, secrets, options);
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
    const invalid = urls.find((url) => !endpointSchema.safeParse(url).success);
    if (invalid !== undefined) throw PlatformError.invalid('endpoints', `"${invalid}" is not an http(s) URL`);
    this.get(name).router.replaceEndpoints(normalise(urls));
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
