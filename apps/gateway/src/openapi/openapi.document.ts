import { z } from 'zod';
import { createRunBody, listRunsQuery, listSamplesQuery, runPathParams } from '../runs/run-request.schema';
import { responseSchemas } from '../runs/run-response.schema';

type JsonSchema = Record<string, unknown>;
type ResponseName = keyof typeof responseSchemas;

const json = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** Every response body schema as an OpenAPI component, shared parts referenced rather than repeated. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(responseSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}` });
  // Components live inside the document: none may claim to be a standalone JSON Schema document or rebase URIs.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema as JsonSchema]));
}

const ref = (name: ResponseName) => ({ $ref: `#/components/schemas/${name}` });
const ok = (description: string, name: ResponseName) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const errorAnswer = {
  description: 'An error: `code` is stable, `message` says what to do, `field` names the offending input, 5xx carry `errorId`.',
  content: { 'application/json': { schema: ref('Error') } },
};
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), errorAnswer]));
const team = {
  name: 'x-lemur-team',
  in: 'header',
  required: false,
  description: 'The team the request acts for (until API keys replace it)',
  schema: { type: 'string', default: 'local', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
};

function parameters(schema: z.ZodObject, where: 'query' | 'path') {
  const js = json(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

/** The gateway's OpenAPI 3.1 document, built from the same zod schemas that validate requests and shape responses. */
export function openApiDocument(version: string) {
  const runId = parameters(runPathParams, 'path');
  return {
    openapi: '3.1.0',
    info: { title: 'Lemur Platform API', version, description: 'Evaluate models on benchmarks; every error has one shape.' },
    paths: {
      '/v1/runs': {
        post: {
          summary: 'Start a run: evaluate a model on a benchmark',
          parameters: [team],
          requestBody: { required: true, content: { 'application/json': { schema: json(createRunBody) } } },
          responses: { '201': ok('The run, queued', 'RunEnvelope'), ...errors(400, 404, 413, 422, 429, 500, 503) },
        },
        get: {
          summary: 'List runs, newest first',
          parameters: [team, ...parameters(listRunsQuery, 'query')],
          responses: { '200': ok('A page of runs', 'RunPage'), ...errors(400, 503) },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'A run with its live summary',
          parameters: [team, ...runId],
          responses: { '200': ok('The run', 'RunEnvelope'), ...errors(400, 404, 503) },
        },
      },
      '/v1/runs/{id}/samples': {
        get: {
          summary: "Page through a run's samples (transcripts, scores, errors)",
          parameters: [team, ...runId, ...parameters(listSamplesQuery, 'query')],
          responses: { '200': ok('A page of samples', 'SamplePage'), ...errors(400, 404, 503) },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          summary: 'Cancel a run: pending samples are cancelled, finished ones kept',
          parameters: [team, ...runId],
          responses: { '200': ok('The cancelled run', 'RunEnvelope'), ...errors(400, 404, 409, 503) },
        },
      },
      '/v1/benchmarks': { get: { summary: 'Registered benchmarks', responses: { '200': ok('Benchmarks', 'BenchmarkList'), ...errors(503) } } },
      '/v1/models': { get: { summary: 'Models the platform can route to', responses: { '200': ok('Models', 'ModelList'), ...errors(503) } } },
      '/health': {
        get: {
          summary: 'Ready when the eval and inference services answer',
          responses: { '200': ok('Ready', 'Health'), '503': ok('Not ready: the failing service is false', 'Health') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
    },
    components: { schemas: componentSchemas() },
  };
}
