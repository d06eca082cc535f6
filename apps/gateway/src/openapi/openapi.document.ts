import { z } from 'zod';
import { createRunBody, listRunsQuery, listSamplesQuery } from '../runs/run-request.schema';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const errorResponse = {
  description: 'An error: `code` is stable, `message` says what to do, `field` names the offending input, 5xx carry `errorId`.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), errorResponse]));
const ok = (description: string, ref: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const runId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const team = { name: 'x-lemur-team', in: 'header', required: false, schema: { type: 'string', default: 'local' } };

function queryParameters(schema: z.ZodObject) {
  const js = json(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

/** The gateway's OpenAPI 3.1 document, built from the same zod schemas that validate requests. */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'Lemur Platform API', version, description: 'Evaluate models on the Lemur paper suite.' },
    paths: {
      '/v1/runs': {
        post: {
          summary: 'Start a run: evaluate a model on a benchmark',
          parameters: [team],
          requestBody: { required: true, content: { 'application/json': { schema: json(createRunBody) } } },
          responses: { '201': ok('The run, queued', 'RunEnvelope'), ...errors(400, 404, 413, 422, 503) },
        },
        get: {
          summary: 'List runs, newest first',
          parameters: [team, ...queryParameters(listRunsQuery)],
          responses: { '200': ok('A page of runs', 'RunPage'), ...errors(400) },
        },
      },
      '/v1/runs/{id}': {
        get: { summary: 'A run with its live summary', parameters: [team, runId], responses: { '200': ok('The run', 'RunEnvelope'), ...errors(400, 404) } },
      },
      '/v1/runs/{id}/samples': {
        get: {
          summary: "Page through a run's samples (transcripts, scores, errors)",
          parameters: [team, runId, ...queryParameters(listSamplesQuery)],
          responses: { '200': ok('A page of samples', 'SamplePage'), ...errors(400, 404) },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: { summary: 'Cancel a run', parameters: [team, runId], responses: { '200': ok('The cancelled run', 'RunEnvelope'), ...errors(400, 404, 409) } },
      },
      '/v1/benchmarks': { get: { summary: 'Registered benchmarks', responses: { '200': { description: 'Benchmarks' } } } },
      '/v1/models': { get: { summary: 'Models the platform can route to', responses: { '200': { description: 'Models' } } } },
      '/health': { get: { summary: 'Ready when eval and inference answer', responses: { '200': { description: 'ok' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, errorId: { type: 'string' } },
            },
          },
        },
        Run: { type: 'object', description: 'id, model, benchmark, status, config, spec (what re-creates it), summary (metrics with ci, counts, tokens)' },
        RunEnvelope: { type: 'object', properties: { run: { $ref: '#/components/schemas/Run' } } },
        RunPage: {
          type: 'object',
          properties: { runs: { type: 'array', items: { $ref: '#/components/schemas/Run' } }, nextCursor: { type: ['string', 'null'] } },
        },
        SamplePage: { type: 'object', properties: { samples: { type: 'array', items: { type: 'object' } }, nextCursor: { type: ['string', 'null'] } } },
      },
    },
  };
}
