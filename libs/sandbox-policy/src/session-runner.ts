import { PlatformError } from '@lemur/shared-errors';
import { type SandboxLanguage } from './sandbox-command';

/**
 * The Python session runner, run as the sandbox's main program. It takes the command pipe off fd 0 (cells then read
 * /dev/null), reads framed cells (`<token> <bytes>\n<source>`), runs each in one persistent globals dict, shows the
 * value of a final expression the way IPython does (pretty-printed, `_` set, hidden by a trailing `;`), prints tracebacks without its own frames,
 * and ends each cell with `<token>:<status>\n` on fd 1 and `<token>\n` on fd 2. SIGINT raises KeyboardInterrupt once
 * per cell (status 130) and is a no-op between cells, so the host may repeat it safely; SystemExit ends the session.
 */
export const PYTHON_SESSION_RUNNER = String.raw`import ast, builtins, linecache, os, pprint, signal, sys, traceback
def _main(write=os.write, sig=signal.signal, SIGINT=signal.SIGINT):
    ctl = os.fdopen(os.dup(0), 'rb')
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    ns = {'__name__': '__main__', '__builtins__': builtins}
    armed = [False]
    def on_interrupt(signum, frame):
        # Disarms itself: a second SIGINT while the first unwinds, or one between cells, does nothing.
        if armed[0]:
            armed[0] = False
            raise KeyboardInterrupt
    sig(SIGINT, on_interrupt)
    n = 0
    while True:
        header = ctl.readline()
        if not header:
            return
        token, size = header.decode('ascii').split()
        source = ctl.read(int(size)).decode('utf-8', 'replace')
        n += 1
        name = '<cell-%d>' % n
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        status = 0
        try:
            sig(SIGINT, on_interrupt)
            armed[0] = True
            try:
                tree = ast.parse(source, name, 'exec')
                # As in IPython, a trailing semicolon hides the value.
                shown = tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(';')
                last = tree.body.pop() if shown else None
                exec(compile(tree, name, 'exec'), ns)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), name, 'eval'), ns)
                    if value is not None:
                        builtins._ = value
                        print(pprint.pformat(value, width=79, sort_dicts=False))
            finally:
                armed[0] = False
        except SystemExit:
            raise
        except BaseException as e:
            armed[0] = False
            status = 130 if isinstance(e, KeyboardInterrupt) else 1
            tb = e.__traceback__
            # Leave out this runner's own frame; a SyntaxError has no cell frame to show.
            traceback.print_exception(type(e), e, None if isinstance(e, SyntaxError) or tb is None else tb.tb_next)
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except BaseException:
                pass
        write(1, ('%s:%d\n' % (token, status)).encode())
        write(2, ('%s\n' % token).encode())
_main()
`;

/**
 * The bash session runner: one shell that keeps its cwd, variables and functions between cells. Cells arrive on the
 * command pipe (moved to fd 3; cells read /dev/null) as `<token>\0<source>\0`; each is eval'ed in the shell itself and
 * ends with `<token>:<exit code>\n` on stdout and `<token>\n` on stderr. The INT trap lets SIGINT stop the cell's
 * foreground command without ending the shell (children get the default action back at exec).
 */
export const BASH_SESSION_RUNNER = `exec 3<&0 </dev/null
trap : INT
while IFS= read -r -d '' -u 3 __lemur_token && IFS= read -r -d '' -u 3 __lemur_cell; do
  eval "$__lemur_cell"
  __lemur_status=$?
  printf '%s:%d\\n' "$__lemur_token" "$__lemur_status"
  printf '%s\\n' "$__lemur_token" >&2
done
`;

/** The runner program for a session language. */
export function sessionRunnerSource(language: SandboxLanguage): string {
  switch (language) {
    case 'python':
      return PYTHON_SESSION_RUNNER;
    case 'bash':
      return BASH_SESSION_RUNNER;
  }
}

/** Encodes one cell for the runner's command pipe; the token ends the cell's output (see CellSentinelScanner). */
export function encodeCellFrame(language: SandboxLanguage, token: string, code: string): Buffer {
  if (!/^[A-Za-z0-9_]{16,64}$/.test(token)) throw new Error('cell token must be 16-64 word characters');
  switch (language) {
    case 'python': {
      const body = Buffer.from(code, 'utf8');
      return Buffer.concat([Buffer.from(`${token} ${body.length}\n`), body]);
    }
    case 'bash':
      // A shell variable cannot hold NUL, so NUL can delimit the frame.
      if (code.includes('\0')) throw PlatformError.invalid('code', 'a bash cell cannot contain NUL bytes');
      return Buffer.from(`${token}\0${code}\0`, 'utf8');
  }
}

/** What the scanner has for the caller after a chunk: output bytes, and the status once the sentinel has passed. */
export interface ScanStep {
  /** Cell output that is certainly not part of the sentinel. */
  output: Buffer;
  done: boolean;
  /** The status after `<token>:` (stdout sentinel), or null for a status-less sentinel. */
  status: number | null;
}

const MAX_STATUS_DIGITS = 12;

/**
 * Splits one output stream of a session at the runner's end-of-cell sentinel. Bytes that might be the start of a
 * sentinel split across chunks are held back until the next chunk decides; bytes after the sentinel (from background
 * processes) are kept as the start of the next cell's output.
 */
export class CellSentinelScanner {
  private pending = Buffer.alloc(0);
  private token: Buffer | null = null;

  constructor(
    private readonly withStatus: boolean,
    /** Most bytes kept while no cell runs; older ones are dropped. */
    private readonly idleCap = 64 * 1024,
  ) {}

  /** Starts scanning for a new cell's sentinel; returns output that arrived between cells. */
  begin(token: string): Buffer {
    this.token = Buffer.from(token);
    const early = this.pending;
    this.pending = Buffer.alloc(0);
    return early;
  }

  push(chunk: Buffer): ScanStep {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.token === null) {
      if (this.pending.length > this.idleCap) this.pending = this.pending.subarray(this.pending.length - this.idleCap);
      return { output: Buffer.alloc(0), done: false, status: null };
    }
    const at = this.pending.indexOf(this.token);
    if (at >= 0) {
      const after = at + this.token.length;
      if (!this.withStatus) {
        return this.finish(at, this.pending[after] === 0x0a ? after + 1 : after, null);
      }
      const nl = this.pending.indexOf(0x0a, after);
      if (nl >= 0) {
        const m = /^:(-?\d+)$/.exec(this.pending.subarray(after, nl).toString('latin1'));
        return this.finish(at, nl + 1, m ? Number(m[1]) : null);
      }
      if (this.pending.length - after <= MAX_STATUS_DIGITS + 2) {
        const output = this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at);
        return { output, done: false, status: null };
      }
    }
    // Hold back a tail that could be the beginning of the token.
    const keep = Math.min(this.pending.length, this.token.length - 1 + (this.withStatus ? MAX_STATUS_DIGITS + 2 : 1));
    const output = this.pending.subarray(0, this.pending.length - keep);
    this.pending = this.pending.subarray(this.pending.length - keep);
    return { output, done: false, status: null };
  }

  /** Output held back when the stream ends without a sentinel (the interpreter died mid-cell). */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }

  private finish(at: number, end: number, status: number | null): ScanStep {
    const output = this.pending.subarray(0, at);
    this.pending = Buffer.from(this.pending.subarray(end));
    this.token = null;
    return { output, done: true, status };
  }
}
