import { z } from 'zod';
import { runJsonSchema } from '../runs/run-response.schema';

const memberJsonSchema = z.object({
  key: z.string().describe('The benchmark id, or `<id>+feedback` for its run with natural-language feedback'),
  benchmark: z.string(),
  feedback: z.boolean(),
  state: z.enum(['started', 'skipped', 'unavailable', 'unspecified']).describe('skipped: data or environment missing; unavailable: not registered in this version'),
  reason: z.string().nullable().describe('Why there is no run: e.g. the loader\'s message naming the missing file and where it is published'),
  run: runJsonSchema.nullable(),
});

const axisJsonSchema = z.object({
  name: z.string(),
  label: z.string(),
  value: z.number().nullable().describe('Instance-weighted mean of the finished members; null while none has a score'),
  n: z.int().min(0).describe('Items pooled'),
  members: z.array(z.string()),
  missing: z.array(z.string()).describe('Members without a score yet: while any is listed the value is partial'),
});

/** A suite run in REST responses. */
export const suiteRunJsonSchema = z.object({
  id: z.uuid(),
  team: z.string(),
  suite: z.string(),
  model: z.string(),
  feedbackModel: z.string().nullable(),
  limit: z.int().min(0),
  members: z.array(memberJsonSchema),
  axes: z.array(axisJsonSchema),
  createdAt: z.iso.datetime().nullable(),
});
export type SuiteRunJson = z.infer<typeof suiteRunJsonSchema>;

/** Response bodies of the suite routes, by name, for the OpenAPI document. */
export const suiteResponseSchemas = {
  SuiteRun: suiteRunJsonSchema,
  SuiteRunEnvelope: z.object({ suiteRun: suiteRunJsonSchema }),
};
