import { z } from 'zod';
import type { AccessRule } from '../auth/access.decorator';
import { addMemberBody, auditQuery, authResponseSchemas, createKeyBody, keyPathParams, memberPathParams, setQuotasBody } from '../auth/auth.schema';
import { compareQuery, createRunBody, createScheduleBody, exportQuery, listRunsQuery, listSamplesQuery, runPathParams, samplePathParams, schedulePathParams } from '../runs/run-request.schema';
import { responseSchemas } from '../runs/run-response.schema';
import { createSuiteBody, suitePathParams } from '../suites/suite-request.schema';
import { suiteResponseSchemas } from '../suites/suite-response.schema';

type JsonSchema = Record<string, unknown>;
const allResponseSchemas = { ...responseSchemas, ...authResponseSchemas, ...suiteResponseSchemas };
type ResponseName = keyof typeof allResponseSchemas;

const json = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** Every response body schema as an OpenAPI component, shared parts referenced rather than repeated. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(allResponseSchemas)) registry.add(schema, { id });
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
/** Who may call an operation: public ones need no key; the others a key of at least this role (401/403 otherwise). */
const access = (rule: AccessRule) =>
  rule === 'public'
    ? { security: [], 'x-lemur-role': rule }
    : { security: [{ apiKey: [] }], 'x-lemur-role': rule };
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema) } } });

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
    security: [{ apiKey: [] }],
    paths: {
      '/v1/runs': {
        post: {
          summary: 'Start a run: evaluate a model on a benchmark (counts against the team quotas)',
          ...access('runner'),
          requestBody: body(createRunBody),
          responses: { '201': ok('The run, queued', 'RunEnvelope'), ...errors(400, 401, 403, 404, 413, 422, 429, 500, 503) },
        },
        get: {
          summary: "List the team's runs, newest first (optionally only one model, benchmark, status or schedule)",
          ...access('viewer'),
          parameters: parameters(listRunsQuery, 'query'),
          responses: { '200': ok('A page of runs', 'RunPage'), ...errors(400, 401, 503) },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'A run with its live summary',
          ...access('viewer'),
          parameters: runId,
          responses: { '200': ok('The run', 'RunEnvelope'), ...errors(400, 401, 404, 503) },
        },
        delete: {
          summary:
            "Delete a finished or cancelled run with all its samples, in one transaction (audited as run.delete). 409 for a queued or running run (cancel it first), a schedule's fixed baseline (the error names the schedule) or a run being re-scored",
          ...access('admin'),
          parameters: runId,
          responses: { '204': { description: 'Deleted; re-scoring runs made from it are kept' }, ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      '/v1/runs/{id}/samples': {
        get: {
          summary: "Page through a run's samples (transcripts, scores, errors)",
          ...access('viewer'),
          parameters: [...runId, ...parameters(listSamplesQuery, 'query')],
          responses: { '200': ok('A page of samples', 'SamplePage'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/runs/{id}/samples/{sampleId}': {
        get: {
          summary: 'One sample with its full transcript (every turn, action and observation) and the score with its reasons',
          ...access('viewer'),
          parameters: parameters(samplePathParams, 'path'),
          responses: { '200': ok('The sample', 'SampleEnvelope'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/runs/{id}/export': {
        get: {
          summary: "Every sample of a run, streamed as JSON lines or CSV (RFC 4180), in item order",
          ...access('viewer'),
          parameters: [...runId, ...parameters(exportQuery, 'query')],
          responses: {
            '200': {
              description: 'The samples: one JSON object per line (as in SamplePage), or CSV with a header row',
              content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
            },
            ...errors(400, 401, 404, 503),
          },
        },
      },
      '/v1/suites': {
        post: {
          summary: 'Start a suite (e.g. lemur-paper): one run per member; members whose benchmark, data or environment is missing are listed as skipped with the reason',
          ...access('runner'),
          requestBody: body(createSuiteBody),
          responses: { '201': ok('The suite run', 'SuiteRunEnvelope'), ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      '/v1/suites/{id}': {
        get: {
          summary: "A suite run: each member's state and run, and the suite's aggregate axes (instance-weighted)",
          ...access('viewer'),
          parameters: parameters(suitePathParams, 'path'),
          responses: { '200': ok('The suite run', 'SuiteRunEnvelope'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/schedules': {
        post: {
          summary: 'Create a schedule of regression runs (cron in a time zone; each run is compared to its baseline)',
          ...access('admin'),
          requestBody: body(createScheduleBody),
          responses: { '201': ok('The schedule and its webhook signing secret (shown only here)', 'CreatedScheduleEnvelope'), ...errors(400, 401, 403, 404, 409, 503) },
        },
        get: {
          summary: "The team's schedules, by name",
          ...access('viewer'),
          responses: { '200': ok('Schedules', 'ScheduleList'), ...errors(401, 503) },
        },
      },
      '/v1/schedules/{id}': {
        delete: {
          summary: 'Delete a schedule; the runs it created are kept',
          ...access('admin'),
          parameters: parameters(schedulePathParams, 'path'),
          responses: { '200': ok('The deleted schedule', 'ScheduleEnvelope'), ...errors(400, 401, 403, 404, 503) },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          summary: 'Cancel a run: pending samples are cancelled, finished ones kept',
          ...access('runner'),
          parameters: runId,
          responses: { '200': ok('The cancelled run', 'RunEnvelope'), ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      '/v1/runs/{id}/rescore': {
        post: {
          summary: "Re-score a finished run's stored outputs with its benchmark's current scorer, as a new run linked to it (no model calls; code runs in the sandbox again)",
          ...access('runner'),
          parameters: runId,
          responses: { '201': ok('The re-scoring run, queued', 'RunEnvelope'), ...errors(400, 401, 403, 404, 409, 422, 429, 503) },
        },
      },
      '/v1/runs/{id}/retry-errors': {
        post: {
          summary: "Retry a finished run's errored samples (endpoint or sandbox failures); scored samples are untouched",
          ...access('runner'),
          parameters: runId,
          responses: { '200': ok('The run, running again, and how many samples were retried', 'RetriedRunEnvelope'), ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      '/v1/compare': {
        get: {
          summary: 'Compare two runs of one benchmark on their shared items: paired bootstrap, McNemar, flipped items, what differs',
          ...access('viewer'),
          parameters: parameters(compareQuery, 'query'),
          responses: { '200': ok('The comparison', 'ComparisonEnvelope'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/benchmarks': { get: { summary: 'Registered benchmarks', ...access('viewer'), responses: { '200': ok('Benchmarks', 'BenchmarkList'), ...errors(401, 503) } } },
      '/v1/models': { get: { summary: 'Models the platform can route to', ...access('viewer'), responses: { '200': ok('Models', 'ModelList'), ...errors(401, 503) } } },
      '/v1/chat/completions': {
        post: {
          summary: 'OpenAI-compatible chat completion (stream: true for server-sent events)',
          ...access('runner'),
          responses: { '200': { description: "OpenAI's chat completion, or its event stream" }, ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      '/v1/completions': {
        post: {
          summary: 'OpenAI-compatible text completion (stream: true for server-sent events)',
          ...access('runner'),
          responses: { '200': { description: "OpenAI's completion, or its event stream" }, ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      '/v1/keys': {
        post: {
          summary: 'Create an API key; its secret is in this answer only',
          ...access('admin'),
          requestBody: body(createKeyBody),
          responses: { '201': ok('The key and its secret', 'CreatedApiKey'), ...errors(400, 401, 403, 404) },
        },
        get: {
          summary: "The team's API keys (never their secrets)",
          ...access('admin'),
          responses: { '200': ok('Keys', 'ApiKeyList'), ...errors(401, 403) },
        },
      },
      '/v1/keys/{id}': {
        delete: {
          summary: 'Revoke a key: it stops working at once on this gateway, within seconds on the others',
          ...access('admin'),
          parameters: parameters(keyPathParams, 'path'),
          responses: { '200': ok('The revoked key', 'ApiKeyEnvelope'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/members': {
        post: {
          summary: 'Add a member to the team (or change its role)',
          ...access('admin'),
          requestBody: body(addMemberBody),
          responses: { '201': ok('The member', 'MemberEnvelope'), ...errors(400, 401, 403) },
        },
        get: { summary: "The team's members", ...access('admin'), responses: { '200': ok('Members', 'MemberList'), ...errors(401, 403) } },
      },
      '/v1/members/{id}': {
        delete: {
          summary: 'Remove a member: every key it holds is revoked in the same transaction',
          ...access('admin'),
          parameters: parameters(memberPathParams, 'path'),
          responses: { '200': ok('The removed member and its revoked keys', 'RemovedMember'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/me': {
        get: {
          summary: "The caller's key, its team and its role (any key): what a client may offer it",
          ...access('viewer'),
          responses: { '200': ok('The key, team and role', 'Me'), ...errors(401) },
        },
      },
      '/v1/audit': {
        get: {
          summary: 'Who started, cancelled, deleted or revoked what, newest first',
          ...access('admin'),
          parameters: parameters(auditQuery, 'query'),
          responses: { '200': ok('A page of audit entries', 'AuditPage'), ...errors(400, 401, 403) },
        },
      },
      '/v1/quotas': {
        get: {
          summary: "The team's run quotas and what it uses of them, and its inference tokens per minute with their source",
          ...access('viewer'),
          responses: { '200': ok('Quotas', 'Quotas'), ...errors(401, 503) },
        },
        put: {
          summary: "Set the team's run quotas and inference tokens per minute (null restores the platform default)",
          ...access('admin'),
          requestBody: body(setQuotasBody),
          responses: { '200': ok('Quotas', 'Quotas'), ...errors(400, 401, 403, 503) },
        },
      },
      '/health': {
        get: {
          summary: 'Ready when the eval and inference services answer',
          ...access('public'),
          responses: { '200': ok('Ready', 'Health'), '503': ok('Not ready: the failing service is false', 'Health') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          ...access('public'),
          responses: { '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', ...access('public'), responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
      '/': { get: { summary: 'Redirects to the web UI', ...access('public'), responses: { '302': { description: 'To /ui' } } } },
      '/ui': {
        get: {
          summary: 'The web UI (its files need no key; it asks for an API key and sends it with every API call)',
          ...access('public'),
          responses: { '200': { description: 'The UI page', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/ui/{path}': {
        get: {
          summary: "The web UI's scripts and styles (`/ui/` is the UI page too)",
          ...access('public'),
          parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'A static file' }, ...errors(404) },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, `lmr_<id>_<secret>`; `lemur up` prints the local admin key' },
      },
    },
  };
}
