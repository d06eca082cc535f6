import type { CreateSuiteBody, GatewayClient, SuiteRunJson } from '../api/gateway-client';
import { followRuns } from '../runs/follow-runs';

/** Starts a suite, says at once which members were not run and why, follows the started runs, and reads it back. */
export async function runSuite(
  client: GatewayClient,
  body: CreateSuiteBody,
  opts: { follow: boolean; log: (message: string) => void },
): Promise<SuiteRunJson> {
  const created = await client.createSuite(body);
  const started = created.members.flatMap((m) => (m.run ? [m.run.id] : []));
  opts.log(`suite run ${created.id} (${created.suite} on ${created.model}): ${started.length} run(s) started, ${created.members.length - started.length} not run`);
  for (const m of created.members) if (m.state !== 'started') opts.log(`  ${m.key} ${m.state}: ${m.reason ?? ''}`);
  if (!opts.follow || started.length === 0) return created;
  await followRuns(client, started);
  return client.getSuite(created.id);
}
