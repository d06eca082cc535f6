import { parseEngineLoad } from '@lemur/routing';
import { type ReplicaLoad } from '@lemur/model-serving';
import { Agent, request } from 'undici';

/**
 * Reads one replica's engine load from its vLLM `/metrics` for the autoscaler. A replica that does not answer in
 * time counts as not reporting (undefined): the autoscaler then decides on the replicas that did.
 */
export class ReplicaLoadReader {
  private readonly agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });

  constructor(private readonly timeoutMs: number) {}

  async read(url: string, servedModelName: string): Promise<ReplicaLoad | undefined> {
    try {
      const response = await request(`${url}/metrics`, { dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await response.body.text();
      return response.statusCode === 200 ? parseEngineLoad(text, servedModelName) : undefined;
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
