import { readFileSync } from 'node:fs';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { LeastOutstandingRouter } from '@lemur/routing';
import { z } from 'zod';

const modelSchema = z.object({
  name: z.string().min(1).max(200),
  endpoints: z.array(z.url({ protocol: /^https?$/ })).min(1, 'a model needs at least one endpoint'),
  servedModelName: z.string().min(1).optional(),
  chat: z.boolean().default(false),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  kind: z.enum(['openai', 'sim']).default('openai'),
});
const fileSchema = z.object({ models: z.array(modelSchema) });

/** A model as the router sees it: where it is served and how to call it. */
export interface RegisteredModel {
  name: string;
  servedModelName: string;
  chat: boolean;
  kind: 'openai' | 'sim';
  apiKey: string | undefined;
  router: LeastOutstandingRouter;
}

/** The static model registry: model name -> OpenAI-compatible endpoints (local mode; the cluster mode watches LemurModels). */
export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();

  constructor(entries: z.input<typeof fileSchema>, secrets: Record<string, string | undefined>) {
    const parsed = fileSchema.parse(entries);
    for (const m of parsed.models) {
      if (this.models.has(m.name)) throw new Error(`model registry: duplicate model name "${m.name}"`);
      this.models.set(m.name, {
        name: m.name,
        servedModelName: m.servedModelName ?? m.name,
        chat: m.chat,
        kind: m.kind,
        apiKey: m.apiKeyEnv ? secrets[m.apiKeyEnv] : undefined,
        router: new LeastOutstandingRouter(m.endpoints.map((url) => url.replace(/\/+$/, ''))),
      });
    }
  }

  /** Reads and validates a registry file; errors name the file and the bad field. */
  static fromFile(path: string, secrets: Record<string, string | undefined>): ModelRegistry {
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
    return new ModelRegistry(result.data, secrets);
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
