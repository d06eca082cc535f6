import { PlatformError } from '@lemur/shared-errors';
import { parseSqlResult, workspacePathSegments, type ExecResult, type SandboxLimits } from '@lemur/sandbox-policy';
import type { ExecBackend } from '../execute/sandbox-backend';
import type { ExecRequest } from '../local';

/**
 * Runs inside the sandbox as plain Python: reads `{db, sql, maxRows, timeMs}` from stdin, opens the workspace file
 * read-only, refuses ATTACH (so only the named file is reachable), bounds the statement with a progress handler and
 * prints the result in the format of `@lemur/sandbox-policy`'s sql-query (one JSON line; errors on stderr, exit 1).
 * Integers beyond 2^53 become strings so JSON readers do not round them; blobs become hex.
 */
const SQLITE_RUNNER = String.raw`
import json, os, sqlite3, sys, time, urllib.parse

req = json.load(sys.stdin)
deadline = time.monotonic() + req["timeMs"] / 1000.0
timed_out = False

def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)

def value(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 53:
        return str(v)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return str(v)
    return v

def progress():
    global timed_out
    if time.monotonic() > deadline:
        timed_out = True
        return 1
    return 0

def authorize(action, *_):
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK

if not os.path.isfile(req["db"]):
    fail("no SQLite database at " + req["db"] + " in the workspace (put it there with files)")
try:
    con = sqlite3.connect("file:" + urllib.parse.quote(req["db"]) + "?mode=ro", uri=True)
    con.set_authorizer(authorize)
    con.set_progress_handler(progress, 1000)
    cur = con.execute(req["sql"])
    columns = [d[0] for d in cur.description] if cur.description else []
    rows = cur.fetchmany(req["maxRows"] + 1) if columns else []
except sqlite3.Error as e:
    if timed_out:
        fail("lemur-sql: statement time limit of %d ms exceeded" % req["timeMs"], 3)
    fail("Error: " + str(e))
truncated = len(rows) > req["maxRows"]
rows = [[value(v) for v in r] for r in rows[: req["maxRows"]]]
sys.stdout.write(json.dumps({"columns": columns, "rows": rows, "truncated": truncated}, separators=(",", ":"), ensure_ascii=False) + "\n")
`;

/** Exit code the runner uses when its statement deadline passed. */
const RUNNER_TIMEOUT_EXIT = 3;

/** A SQL program against a SQLite file the request placed in the workspace. */
export interface SqliteSqlRequest {
  sql: string;
  /** Workspace-relative path of the database file. */
  sqliteFile: string;
  maxRows: number;
  files: ExecRequest['files'];
  limits: Partial<SandboxLimits>;
}

/** SQLite runs in the same sandbox as any Python program: the service never opens the model's database itself. */
export class SqliteSqlService {
  constructor(private readonly backend: ExecBackend) {}

  async execute(req: SqliteSqlRequest): Promise<ExecResult> {
    const segments = workspacePathSegments(req.sqliteFile);
    if (!(req.files ?? []).some((f) => workspacePathSegments(f.path).join('/') === segments.join('/'))) {
      throw PlatformError.invalid('database.sqliteFile', `${req.sqliteFile} is not among the request's files; send the database file in files`);
    }
    const limits = this.backend.resolveLimits(req.limits);
    // The statement stops itself well before the sandbox's wall clock would kill the interpreter, so it ends cleanly.
    const timeMs = Math.max(Math.floor(limits.wallMs / 2), limits.wallMs - 1_000);
    const result = await this.backend.execute({
      language: 'python',
      code: SQLITE_RUNNER,
      stdin: JSON.stringify({ db: `/workspace/${segments.join('/')}`, sql: req.sql, maxRows: req.maxRows, timeMs }),
      ...(req.files ? { files: req.files } : {}),
      limits: req.limits,
    });
    if (result.exitCode === RUNNER_TIMEOUT_EXIT && result.limitHit === null) {
      return { ...result, exitCode: 1, timedOut: true, limitHit: 'wall_time' };
    }
    if (result.exitCode === 0 && result.limitHit === null && parseSqlResult(result.stdout)?.truncated) {
      return { ...result, limitHit: 'rows' };
    }
    return result;
  }
}
