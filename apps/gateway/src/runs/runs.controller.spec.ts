import { create } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import * as runAdmission from '@lemur/shared-run-admission';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { setPrincipal } from '../auth/principal';
import type { RunQuotas } from '../quotas/run-quotas.service';
import { RunsController, type EvalClient, type InferenceClient } from './runs.controller';

// The real function, watched: the daily quota must be charged by the count the eval service's scheduler uses too.
vi.mock('@lemur/shared-run-admission', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@lemur/shared-run-admission')>();
  return { ...actual, plannedSamples: vi.fn(actual.plannedSamples) };
});

const BENCHMARKS = [
  create(evalV1.BenchmarkInfoSchema, { name: 'humaneval', version: '1.0.0', items: 164 }),
  create(evalV1.BenchmarkInfoSchema, { name: 'gsm8k', version: '1.0.0', items: 1319 }),
];

/** A controller over fakes: the eval service lists BENCHMARKS and creates a run; quotas and audit record what they are given. */
function controller() {
  const admitted: number[] = [];
  const audited: unknown[] = [];
  const evalClient = {
    listBenchmarks: async () => create(evalV1.ListBenchmarksResponseSchema, { benchmarks: BENCHMARKS }),
    createRun: async () => create(evalV1.CreateRunResponseSchema, { run: create(evalV1.RunSchema, { id: 'run-1', model: 'm', benchmark: 'humaneval' }) }),
  } as unknown as EvalClient;
  const quotas = {
    admit: async <T>(_team: unknown, samples: number, start: () => Promise<T>) => {
      admitted.push(samples);
      return start();
    },
  } as unknown as RunQuotas;
  const audit = { record: async (entry: unknown) => void audited.push(entry) } as unknown as AuditLogRepository;
  return { runs: new RunsController(evalClient, {} as InferenceClient, quotas, audit), admitted, audited };
}

function request(): FastifyRequest {
  const req = { method: 'POST', url: '/v1/runs' } as FastifyRequest;
  setPrincipal(req, { keyId: 'k1', actor: 'lmr_k1', teamId: 't1', teamName: 'team-one', role: 'runner' });
  return req;
}

describe('RunsController.createRun', () => {
  it("charges the daily quota with the shared plannedSamples count (items within the limit × samples per item)", async () => {
    const { runs, admitted, audited } = controller();
    await runs.createRun(request(), { model: 'm', benchmark: 'humaneval@1.0.0', limit: 10, samples: 5 });
    await runs.createRun(request(), { model: 'm', benchmark: 'gsm8k' });
    expect(vi.mocked(runAdmission.plannedSamples).mock.calls).toEqual([
      [BENCHMARKS, 'humaneval@1.0.0', 10, 5],
      [BENCHMARKS, 'gsm8k', 0, 1],
    ]);
    expect(admitted).toEqual([50, 1319]);
    expect(audited[0]).toMatchObject({ action: 'run.start', target: 'run-1', detail: { samples: 50 } });
  });
});
