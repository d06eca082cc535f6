import type { evalV1 } from '@lemur/proto';
import type { SampleJson } from '../run-response.schema';
import { sampleJson } from '../run-json.mapper';

/** Export formats of GET /v1/runs/:id/export. */
export type ExportFormat = 'jsonl' | 'csv';

/** The CSV columns, in order; nested values (the scorer's detail and transcript) are one JSON-encoded cell. */
export const CSV_COLUMNS = [
  'id',
  'itemId',
  'itemIndex',
  'sampleIndex',
  'status',
  'score',
  'passed',
  'error',
  'promptTokens',
  'completionTokens',
  'latencyMs',
  'prompt',
  'completion',
  'detail',
] as const satisfies readonly (keyof SampleJson)[];

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF (quotes doubled inside); empty for null.
 * Fields starting with = + - @ (spreadsheet formulas) are left as they are: the file is data, not for Excel to run.
 */
export function csvField(value: string | number | boolean | null | object): string {
  if (value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF terminator (RFC 4180). */
export function csvRecord(values: readonly (string | number | boolean | null | object)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The content type, file extension and header of a format. */
export function exportHead(format: ExportFormat): { contentType: string; extension: string; header: string } {
  return format === 'csv'
    ? { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv', header: csvRecord(CSV_COLUMNS) }
    : { contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl', header: '' };
}

/**
 * A batch of samples as one chunk of the export body. `detailsJson[i]`, when given, is sample i's detail as JSON text
 * (how the eval service streams it): spliced in as is, never parsed.
 */
export function encodeSamples(format: ExportFormat, samples: readonly evalV1.Sample[], detailsJson: readonly string[] = []): string {
  let out = '';
  for (const [i, sample] of samples.entries()) {
    const json = sampleJson(sample);
    const detail = detailsJson[i];
    if (format === 'csv') {
      out += csvRecord(CSV_COLUMNS.map((c) => (c === 'detail' && detail !== undefined ? detail : json[c])));
    } else if (detail !== undefined) {
      // `detail` is the last key of a sample: the object's closing brace is replaced by it.
      const { detail: _none, ...rest } = json;
      out += `${JSON.stringify(rest).slice(0, -1)},"detail":${detail}}\n`;
    } else {
      out += `${JSON.stringify(json)}\n`;
    }
  }
  return out;
}
