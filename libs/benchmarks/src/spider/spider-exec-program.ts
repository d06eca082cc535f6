import { type SpiderSqliteDatabase } from './spider-sqlite-dump';
import { type SpiderRow } from './spider-exec-match';

/** A query's outcome in the sandbox: its rows as typed tokens, or the SQLite error (exec_on_db's 'exception'). */
export type SpiderQueryOutcome = { rows: SpiderRow[]; truncated: boolean } | { error: string };

/** What one sandbox run reports: the gold's result first, then the prediction's (never more rows than gold + 1). */
export interface SpiderExecution {
  gold: SpiderQueryOutcome;
  pred: SpiderQueryOutcome;
}

/** A statement's time limit inside the program (the official evaluation's 60 s would block a worker too long). */
export const SPIDER_STATEMENT_MS = 20_000;
/**
 * A statement's CPU-time limit: two statements and the database build must stay inside the sandbox's default 10 s of
 * CPU, or a runaway query ends the whole program with SIGXCPU instead of being reported as the prediction's timeout.
 */
export const SPIDER_STATEMENT_CPU_MS = 4_000;

/**
 * The program the sandbox runs: it builds the item's database in memory from the converted dump, runs the gold query
 * and then the (untrusted) prediction read-only (an authorizer denies every write, ATTACH and PRAGMA), each bounded by
 * a progress-handler deadline, and prints one JSON line. Text is decoded with errors ignored, as exec_eval.py does.
 * Cells become tokens whose equality is Python's `==`: ints and integral floats as `i:<int>`, other floats `f:<repr>`.
 */
const PROGRAM = String.raw`
import json, sqlite3, sys, time
req = json.loads(REQUEST)
con = sqlite3.connect(":memory:")
con.text_factory = lambda b: b.decode(errors="ignore")
for stmt in req["creates"]:
    con.execute(stmt)
for table in req["tables"]:
    if table["rows"]:
        marks = ",".join("?" * len(table["rows"][0]))
        con.executemany('INSERT INTO "%s" VALUES (%s)' % (table["name"].replace('"', '""'), marks), table["rows"])
con.commit()
READ = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
con.set_authorizer(lambda action, *_: sqlite3.SQLITE_OK if action in READ else sqlite3.SQLITE_DENY)
deadline = [0.0, 0.0]

def over():
    return time.monotonic() > deadline[0] or time.process_time() > deadline[1]

con.set_progress_handler(lambda: 1 if over() else 0, 1000)

def token(v):
    if v is None:
        return "N"
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return "i:%d" % v
    if isinstance(v, float):
        if v == v and v not in (float("inf"), float("-inf")) and v.is_integer():
            return "i:%d" % int(v)
        return "f:" + repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "b:" + bytes(v).hex()
    return "s:" + str(v)

def run(sql, limit):
    deadline[0] = time.monotonic() + req["statementMs"] / 1000.0
    deadline[1] = time.process_time() + req["statementCpuMs"] / 1000.0
    try:
        cur = con.execute(sql)
        rows = cur.fetchall() if limit is None else cur.fetchmany(limit + 1)
    except Exception as e:
        if over():
            return {"error": "statement time limit of %d ms (%d ms of CPU) exceeded" % (req["statementMs"], req["statementCpuMs"])}
        return {"error": "%s: %s" % (type(e).__name__, e)}
    truncated = limit is not None and len(rows) > limit
    kept = rows if limit is None else rows[:limit]
    return {"rows": [[token(v) for v in r] for r in kept], "truncated": truncated}

gold = run(req["gold"], None)
pred = run(req["pred"], len(gold.get("rows", [])))
sys.stdout.write(json.dumps({"gold": gold, "pred": pred}, ensure_ascii=False) + "\n")
`;

/** The Python program that executes `pred` and `gold` on `database`, with the request inlined as a JSON string literal. */
export function spiderExecutionProgram(database: SpiderSqliteDatabase, gold: string, pred: string): string {
  const tables = database.tables.map((t) => ({ name: t.name, rows: t.rows }));
  const request = JSON.stringify({ creates: database.creates, tables, gold, pred, statementMs: SPIDER_STATEMENT_MS, statementCpuMs: SPIDER_STATEMENT_CPU_MS });
  return `REQUEST = ${JSON.stringify(request)}\n${PROGRAM}`;
}

/** Reads the program's JSON line; undefined when the output is not the program's (it crashed or was cut). */
export function parseSpiderExecution(stdout: string): SpiderExecution | undefined {
  const line = stdout.trim().split('\n').pop();
  if (line === undefined || line === '') return undefined;
  try {
    const parsed = JSON.parse(line) as SpiderExecution;
    return isOutcome(parsed.gold) && isOutcome(parsed.pred) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isOutcome(o: unknown): o is SpiderQueryOutcome {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  if (typeof r['error'] === 'string') return true;
  return Array.isArray(r['rows']) && r['rows'].every((row) => Array.isArray(row) && row.every((c) => typeof c === 'string'));
}
