import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.document';

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument('1.2.3');

  it('resolves every $ref inside the document', () => {
    const names = new Set(Object.keys(doc.components.schemas));
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const ref of all) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(names, ref).toContain(ref.slice('#/components/schemas/'.length));
    }
  });

  it('describes the create-run body from the validation schema, strictly', () => {
    const schema = doc.paths['/v1/runs'].post.requestBody.content['application/json'].schema as Record<string, unknown>;
    expect(schema).toMatchObject({
      type: 'object',
      required: ['model', 'benchmark'],
      additionalProperties: false,
      properties: { samples: { type: 'integer', minimum: 1, maximum: 200 }, topP: { exclusiveMinimum: 0, maximum: 1 } },
    });
  });

  it('shares the Run schema between envelopes and pages', () => {
    expect(doc.components.schemas.RunEnvelope).toMatchObject({ properties: { run: { $ref: '#/components/schemas/Run' } } });
    expect(doc.components.schemas.Run).toMatchObject({ properties: { status: { enum: expect.arrayContaining(['running']) as unknown } } });
    expect(JSON.stringify(doc.components.schemas)).not.toMatch(/"\$schema"|"\$id"/);
  });

  it('gives path and query parameters their types', () => {
    const params = doc.paths['/v1/runs/{id}/samples'].get.parameters as { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
    expect(params.find((p) => p.name === 'id')).toMatchObject({ in: 'path', required: true, schema: { format: 'uuid' } });
    expect(params.find((p) => p.name === 'status')).toMatchObject({ in: 'query', required: false, schema: { enum: ['pending', 'scored', 'errored', 'cancelled'] } });
    expect(params.find((p) => p.name === 'limit')).toMatchObject({ in: 'query', required: false });
  });

  it('documents run deletion for admins: 204 with no body, 409 while the run is active or depended on', () => {
    const op = doc.paths['/v1/runs/{id}'].delete;
    expect(op['x-lemur-role']).toBe('admin');
    expect(op.responses['204']).not.toHaveProperty('content');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['404', '409']));
  });

  it('declares the API key scheme, and for each operation its role; only operational endpoints are public', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, { security: unknown[]; 'x-lemur-role': string }>).map(([method, op]) => ({ path, method, op })),
    );
    expect(ops.length).toBeGreaterThan(15);
    for (const { path, method, op } of ops) {
      const isPublic = ['/health', '/metrics', '/openapi.json', '/', '/ui', '/ui/{path}'].includes(path);
      expect(op['x-lemur-role'], `${method} ${path}`).toMatch(isPublic ? /^public$/ : /^(viewer|runner|admin)$/);
      expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : [{ apiKey: [] }]);
    }
  });
});
