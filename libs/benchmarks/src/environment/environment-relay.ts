import { type EnvironmentTool } from './environment-protocol';

// The sandbox has no network, so the session's tool functions cannot call the environment server themselves. Instead
// the agent's cell runs in a thread of the session; each tool call hands its command to the session's main thread,
// which ends the current sandbox cell with a marker line. The host sends the command to the environment server and
// starts the next cell with the observation, which the tool call returns. The agent's own output is buffered across
// these cells and printed by the last one, so the observation the model sees is exactly the cell's output.

/** The most commands one `<execute>` cell may send (a runaway loop is cut off with a RuntimeError in the agent's code). */
export const MAX_ENVIRONMENT_CALLS_PER_CELL = 500;

const PY_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function pyString(text: string): string {
  return `__import__('base64').b64decode('${Buffer.from(text, 'utf8').toString('base64')}').decode('utf-8')`;
}

/**
 * Python set-up code for a session whose tool functions act on an environment server: defines each tool and the relay
 * object `_lemur_env`. `nonce` marks the relay's own lines, so agent code cannot forge a command.
 */
export function renderEnvironmentRelaySetup(tools: readonly EnvironmentTool[], nonce: string): string {
  if (!/^[A-Za-z0-9]{16,64}$/.test(nonce)) throw new Error('relay nonce must be 16-64 letters or digits');
  const defs = tools.map((t) => {
    if (!PY_IDENT.test(t.name) || !t.params.every((p) => PY_IDENT.test(p))) throw new Error(`tool ${t.name}: names must be Python identifiers`);
    const args = t.params.map((p) => `${p}=${p}`).join(', ');
    return `def ${t.name}(${t.params.join(', ')}):\n    return _lemur_env.step(${pyString(t.action)}.format(${args}))\n`;
  });
  return `${RELAY_SOURCE.replace('__NONCE__', nonce).replaceAll('__MAX_CALLS__', String(MAX_ENVIRONMENT_CALLS_PER_CELL))}\n${defs.join('\n')}`;
}

/** The first cell of an `<execute>` action: starts the agent's code in the relay. */
export function relayBeginCell(code: string): string {
  return `_lemur_env.begin(${pyString(code)})`;
}

/** The cell that answers the pending tool call with the environment's observation (or an error the call raises). */
export function relayResumeCell(answer: { observation: string } | { error: string }): string {
  return 'observation' in answer ? `_lemur_env.resume(${pyString(answer.observation)}, False)` : `_lemur_env.resume(${pyString(answer.error)}, True)`;
}

/** What a relay cell's stdout means: a command for the environment, or the agent code's finished output. */
export type RelayCellOutput = { kind: 'step'; action: string } | { kind: 'finished' };

/** Reads a relay cell's stdout: a single marker line (with this session's nonce) asks for a step. */
export function parseRelayCellOutput(stdout: string, nonce: string): RelayCellOutput {
  const prefix = `\u001e${nonce}:step `;
  if (!stdout.startsWith(prefix) || !stdout.endsWith('\n') || stdout.indexOf('\n') !== stdout.length - 1) return { kind: 'finished' };
  const body = JSON.parse(stdout.slice(prefix.length, -1)) as { action?: unknown };
  if (typeof body.action !== 'string') return { kind: 'finished' };
  return { kind: 'step', action: body.action };
}

const RELAY_SOURCE = String.raw`def _lemur_env_install():
    import ast, base64, builtins, ctypes, io, json, linecache, pprint, queue, sys, threading, traceback
    ns = globals()
    st = {'thread': None, 'req': None, 'rep': None, 'out': None, 'err': None, 'real': None, 'calls': 0, 'n': 0}
    class Relay:
        def step(self, action):
            if threading.current_thread() is not st['thread']:
                raise RuntimeError('environment tools can only be called from the code of an <execute> action')
            st['calls'] += 1
            if st['calls'] > __MAX_CALLS__:
                raise RuntimeError('too many environment actions in one cell (at most __MAX_CALLS__)')
            st['req'].put(('step', str(action)))
            kind, value = st['rep'].get()
            if kind == 'error':
                raise RuntimeError(value)
            return value
        def _run(self, source, name):
            try:
                linecache.cache[name] = (len(source), None, source.splitlines(True), name)
                tree = ast.parse(source, name, 'exec')
                shown = tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(';')
                last = tree.body.pop() if shown else None
                exec(compile(tree, name, 'exec'), ns)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), name, 'eval'), ns)
                    if value is not None:
                        builtins._ = value
                        print(pprint.pformat(value, width=79, sort_dicts=False))
            except BaseException as e:
                tb = e.__traceback__
                traceback.print_exception(type(e), e, None if isinstance(e, SyntaxError) or tb is None else tb.tb_next)
            finally:
                st['req'].put(('done', None))
        def _finish(self):
            sys.stdout, sys.stderr = st['real']
            st['thread'] = None
            sys.stdout.write(st['out'].getvalue())
            sys.stderr.write(st['err'].getvalue())
        def _wait(self):
            try:
                # A timeout lets the main thread run the runner's SIGINT handler even when the kernel delivered the
                # signal to the agent's thread.
                while True:
                    try:
                        kind, value = st['req'].get(timeout=0.05)
                        break
                    except queue.Empty:
                        pass
            except KeyboardInterrupt:
                # The cell's time limit interrupted the wait: stop the agent's thread, whose traceback is the cell's
                # output, as for a cell without the relay (the sandbox reports the time-out itself).
                t = st['thread']
                if t is not None:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(t.ident), ctypes.py_object(KeyboardInterrupt))
                    t.join(1)
                self._finish()
                return
            if kind == 'step':
                st['real'][0].write('\u001e__NONCE__:step ' + json.dumps({'action': value}) + '\n')
                st['real'][0].flush()
                return
            self._finish()
        def begin(self, source):
            if st['thread'] is not None:
                raise RuntimeError('an <execute> action is already running')
            st['n'] += 1
            st['req'], st['rep'], st['calls'] = queue.Queue(), queue.Queue(), 0
            st['out'], st['err'] = io.StringIO(), io.StringIO()
            st['real'] = (sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = st['out'], st['err']
            st['thread'] = threading.Thread(target=self._run, args=(source, '<cell-%d>' % st['n']), daemon=True)
            st['thread'].start()
            self._wait()
        def resume(self, value, failed):
            if st['thread'] is None:
                raise RuntimeError('no environment action is waiting')
            st['rep'].put(('error' if failed else 'obs', value))
            self._wait()
    return Relay()
_lemur_env = _lemur_env_install()
del _lemur_env_install
`;
