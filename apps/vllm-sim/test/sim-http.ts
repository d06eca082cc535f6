import { parseSseData } from '../src/openai/sse';

/** A choice as either endpoint returns it, whole or as a chunk. */
export interface ChoiceBody {
  index: number;
  text?: string;
  message?: { role: string; content: string };
  delta?: { role?: string; content?: string };
  finish_reason: string | null;
  stop_reason?: string | null;
}

/** Usage numbers. */
export interface UsageBody {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Any JSON body the simulator answers with: a completion, a chunk or an error. */
export interface ApiBody {
  id: string;
  object: string;
  choices: ChoiceBody[];
  // Absent on most chunks; typed as present so tests read it directly.
  usage: UsageBody;
  error: { message: string; type: string; param: string | null; code: number };
}

/** One SSE payload: a chunk, or the terminal `[DONE]`. */
export type SseEvent = ApiBody | '[DONE]';

/** The chunks of a stream, without `[DONE]`. */
export function chunksOf(events: SseEvent[]): ApiBody[] {
  return events.filter((event): event is ApiBody => event !== '[DONE]');
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<{ status: number; body: ApiBody }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as ApiBody };
}

/** POSTs a streaming request and returns every SSE data payload (JSON parsed, `[DONE]` kept as a string). */
export async function postStream(url: string, body: unknown): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...(body as object), stream: true }),
  });
  const text = await response.text();
  const events = parseSseData(text).map((data): SseEvent => (data === '[DONE]' ? data : (JSON.parse(data) as ApiBody)));
  return { status: response.status, contentType: response.headers.get('content-type'), events };
}

/** Reads one sample of a metric from the simulator's /metrics, e.g. metric(url, 'vllm:num_requests_waiting', { model_name: 'm' }). */
export async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([^\s{]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** Polls until `check` returns true (condition-based waiting, not a timing assertion). */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
