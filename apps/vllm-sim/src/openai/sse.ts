/** One server-sent event carrying a JSON payload, the framing vLLM uses for streamed responses. */
export function sseEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** The terminal event of every OpenAI-style stream. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** Response headers for an event stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/** Splits an event-stream body into its `data:` payloads (for clients and tests); `[DONE]` is returned as is. */
export function parseSseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((event) =>
      event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '');
}
