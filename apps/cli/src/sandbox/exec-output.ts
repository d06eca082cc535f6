import { sandboxV1 } from '@lemur/proto';
import { parseSqlResult, renderSqlTable } from '@lemur/sandbox-policy';

/** What `lemur sandbox exec --json` prints: one object, stable field names. */
export interface ExecJson {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  oomKilled: boolean;
  /** The limit that ended the run (wall_time, cpu_time, memory, output, processes, file_size, workspace, rows) or null. */
  limitHit: string | null;
  wallMs: number;
}

/** `LIMIT_HIT_WALL_TIME` → `wall_time`; NONE and UNSPECIFIED → null. */
export function limitHitName(hit: sandboxV1.LimitHit): string | null {
  if (hit === sandboxV1.LimitHit.NONE || hit === sandboxV1.LimitHit.UNSPECIFIED) return null;
  return (sandboxV1.LimitHit[hit] ?? String(hit)).toLowerCase();
}

export function execJson(r: sandboxV1.ExecuteResponse): ExecJson {
  return {
    exitCode: r.exitCode ?? null,
    signal: r.signal || null,
    stdout: r.stdout,
    stderr: r.stderr,
    stdoutTruncated: r.stdoutTruncated,
    stderrTruncated: r.stderrTruncated,
    timedOut: r.timedOut,
    oomKilled: r.memoryExceeded,
    limitHit: limitHitName(r.limitHit),
    wallMs: r.wallMs,
  };
}

/** One line for stderr after the program's own output: how it ended. */
export function execSummary(r: sandboxV1.ExecuteResponse): string {
  const parts = [r.exitCode !== undefined ? `exit ${r.exitCode}` : `killed${r.signal ? ` by ${r.signal}` : ''}`];
  const hit = limitHitName(r.limitHit);
  if (hit) parts.push(`limit hit: ${hit}`);
  if (r.stdoutTruncated || r.stderrTruncated) parts.push('output truncated');
  parts.push(`${r.wallMs} ms`);
  return parts.join(' · ');
}

/** The process exit status of the CLI for a run: the program's own, else 124 for a timeout (like timeout(1)), else 137. */
export function cliExitCode(r: sandboxV1.ExecuteResponse): number {
  if (r.exitCode !== undefined) return r.exitCode;
  return r.timedOut ? 124 : 137;
}

/** The program's stdout for people: a SQL result set as a table, anything else as it is. */
export function humanStdout(r: sandboxV1.ExecuteResponse, sql: boolean): string {
  if (!sql) return r.stdout;
  const result = parseSqlResult(r.stdout);
  return result ? `${renderSqlTable(result)}\n` : r.stdout;
}

/**
 * Groups REPL input lines into cells. Python: a line ending in `:` (or an indented continuation) opens a block that
 * an empty line closes, as in the Python prompt. Bash: a trailing backslash continues the line.
 */
export class CellAssembler {
  private lines: string[] = [];

  constructor(private readonly language: 'python' | 'bash') {}

  /** True while a cell is open (the prompt should show a continuation). */
  get pending(): boolean {
    return this.lines.length > 0;
  }

  /** Adds a line; returns the finished cell, or null when more lines are needed. */
  push(line: string): string | null {
    if (this.language === 'bash') {
      if (line.endsWith('\\')) {
        // bash itself joins backslash-newline, so the cell keeps both.
        this.lines.push(line);
        return null;
      }
      return this.take(line);
    }
    if (this.lines.length === 0) {
      if (line.trimEnd().endsWith(':')) {
        this.lines.push(line);
        return null;
      }
      return this.take(line);
    }
    if (line.trim() === '') return this.take(null);
    this.lines.push(line);
    return null;
  }

  private take(last: string | null): string {
    const cell = [...this.lines, ...(last !== null ? [last] : [])].join('\n');
    this.lines = [];
    return cell;
  }
}
