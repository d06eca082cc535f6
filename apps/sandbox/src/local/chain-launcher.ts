import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable, Writable, Duplex } from 'node:stream';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { ChainSetup } from '@lemur/sandbox-policy';

/** The interpreter the launcher runs on (the sandbox needs it anyway: it runs the programs and the warm runners). */
export const LAUNCHER_PYTHON = '/usr/bin/python3';

const SPAWN_TIMEOUT_MS = 15_000;

/** How one chain is started: argv, descriptors, and the uid/gid the chain is spawned with. */
export interface ChainSpawnSpec {
  file: string;
  args: readonly string[];
  /** fd 0 is a pipe from the service (else /dev/null). */
  stdin: boolean;
  /** Descriptor number (3 to 15) of a bidirectional control pipe, if any. */
  controlFd?: number;
  /** Descriptor number that carries the seccomp filter (a memory file holding the launcher's copy), if any. */
  seccompFd?: number;
  /** Descriptor number and content of a memory file holding the program, if any. */
  code?: { fd: number; data: Buffer };
  /** A bwrap chain's hand-off: cgroups and rlimits the launcher applies to the sandbox before its program starts. */
  setup?: ChainSetup;
}

/** The part of a spawned process the sandbox backend uses: its pid, pipes, and 'error' / 'close' events. */
export interface ChainProcess {
  readonly pid: number | undefined;
  /** Exit code once exited (null before, or when a signal ended it). */
  readonly exitCode: number | null;
  /** Signal that ended it, once exited. */
  readonly signalCode: NodeJS.Signals | null;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Pipes by descriptor number in the chain (the control pipe sits at its number). */
  readonly stdio: readonly (Duplex | null | undefined)[];
  /** How it ended, once 'close' has been emitted (null before). */
  readonly closeStatus: { code: number | null; signal: NodeJS.Signals | null } | null;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

// The launcher: one small, long-lived python process that starts every chain, so the service's big heap is never
// forked (copying and tearing down its page tables costs milliseconds per spawn, and the event loop waits for the
// exec). It starts them with posix_spawn (vfork-like: nothing of its own memory is copied either), which is why a
// root-run service starts it already as the sandbox user: the chains it starts need no uid change of their own.
// Requests arrive as JSON lines on Node's IPC channel; each pipe the service needs goes back as a handle (SCM_RIGHTS,
// Node's NODE_HANDLE message), then `spawned` with the pid, later `exit` with the status. The chain gets what a Node
// spawn gave it: the listed descriptors and nothing else (every other descriptor here is close-on-exec), default
// signal dispositions and an empty signal mask, a new session, an empty environment. When the channel closes (the
// service is gone) the launcher kills every chain's process group and exits; it also dies with the service
// (PDEATHSIG), and it is not dumpable, so a process of the same uid cannot trace it or read its memory.
const LAUNCHER_SOURCE = String.raw`
import base64, ctypes, fcntl, json, os, resource, selectors, signal, socket, sys
try:
    libc = ctypes.CDLL(None)
    libc.prctl(1, signal.SIGKILL)
    libc.prctl(4, 0)
except Exception:
    pass
if os.getppid() == 1:
    os._exit(0)
chan_fd = fcntl.fcntl(int(os.environ.pop("NODE_CHANNEL_FD")), fcntl.F_DUPFD_CLOEXEC, 64)
os.environ.clear()
# Whatever else this process inherited (a leaky launcher of the service) must not reach a chain.
for name in os.listdir("/proc/self/fd"):
    try:
        if int(name) > 2:
            os.set_inheritable(int(name), False)
    except OSError:
        pass
null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
null_in = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
# Descriptors 3..15 stay taken (close-on-exec) so that no pipe of ours gets a number a chain's descriptor is moved to.
for fd in range(3, 16):
    if fd not in (null, null_in):
        os.dup2(null, fd, inheritable=False)
chan = socket.socket(fileno=chan_fd)
chan.setblocking(True)
seccomp = base64.b64decode(sys.argv[1]) if len(sys.argv) > 1 else b""
defaults = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
sel = selectors.DefaultSelector()
sel.register(chan, selectors.EVENT_READ, None)
running = {}
# Chains whose sandbox bwrap still holds (--block-fd): pid -> [request id, setup, info read end, block write end, info].
holding = {}
RLIMITS = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
           "nofile": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE, "nproc": resource.RLIMIT_NPROC}

def send(msg, fd=None):
    data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
    if fd is None:
        chan.sendall(data)
    else:
        sent = socket.send_fds(chan, [data], [fd])
        if sent < len(data):
            chan.sendall(data[sent:])

def memfile(data):
    fd = os.memfd_create("lemur", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd

def launch(req):
    rid = req["id"]
    setup = req.get("setup")
    targets = {}
    ours = []
    mine = []
    hold = []
    try:
        def pipe(target):
            a, b = socket.socketpair()
            ours.append((target, a.detach()))
            targets[target] = b.detach()
            mine.append(targets[target])
        if req["stdin"]:
            pipe(0)
        else:
            targets[0] = null_in
        pipe(1)
        pipe(2)
        if req.get("control") is not None:
            pipe(req["control"])
        if req.get("seccomp") is not None:
            targets[req["seccomp"]] = memfile(seccomp)
            mine.append(targets[req["seccomp"]])
        if req.get("code") is not None:
            targets[req["code"]["fd"]] = memfile(base64.b64decode(req["code"]["data"]))
            mine.append(targets[req["code"]["fd"]])
        if setup is not None:
            info_r, info_w = os.pipe()
            block_r, block_w = os.pipe()
            hold += [info_r, block_w]
            targets[setup["infoFd"]] = info_w
            targets[setup["blockFd"]] = block_r
            mine += [info_w, block_r]
        pid = os.posix_spawn(
            req["file"],
            [req["file"]] + req["args"],
            {},
            file_actions=[(os.POSIX_SPAWN_DUP2, f, t) for t, f in targets.items()],
            setsid=True,
            setsigdef=defaults,
            setsigmask=[],
        )
    except OSError as e:
        for _, fd in ours:
            os.close(fd)
        for fd in hold:
            os.close(fd)
        send({"t": "error", "id": rid, "errno": e.errno or 0})
        return
    finally:
        for fd in mine:
            os.close(fd)
    for target, fd in ours:
        try:
            send({"cmd": "NODE_HANDLE", "type": "net.Socket", "msg": {"t": "fd", "id": rid, "fd": target}}, fd)
        finally:
            os.close(fd)
    pidfd = os.pidfd_open(pid)
    running[pid] = (rid, pidfd, len(ours))
    sel.register(pidfd, selectors.EVENT_READ, pid)
    if setup is None:
        send({"t": "spawned", "id": rid, "pid": pid, "fds": len(ours)})
    else:
        holding[pid] = [rid, setup, hold[0], hold[1], b""]
        sel.register(hold[0], selectors.EVENT_READ, -pid)

def on_info(pid):
    h = holding[pid]
    data = os.read(h[2], 4096)
    if data:
        h[4] += data
    else:
        release(pid)

def apply_setup(child, setup):
    for path in setup["cgroupProcsFiles"]:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, str(child).encode())
            finally:
                os.close(fd)
        except OSError as e:
            return "cannot join cgroup " + path + ": " + (e.strerror or str(e.errno))
    for r in setup["rlimits"]:
        try:
            resource.prlimit(child, RLIMITS[r["resource"]], (r["soft"], r["hard"]))
        except OSError as e:
            return "cannot set the " + r["resource"] + " limit: " + (e.strerror or str(e.errno))
    return None

# bwrap has closed its info descriptor: its sandbox is held at --block-fd, or bwrap failed first (and says why on
# stderr, then exits). Move the held sandbox into its cgroups, set its rlimits and release it; only then is the chain
# reported spawned. If that fails the chain is killed before any of its code ran, and the spawn fails.
def release(pid):
    rid, setup, info_r, block_w, info = holding.pop(pid)
    sel.unregister(info_r)
    os.close(info_r)
    try:
        child = int(json.loads(info)["child-pid"]) if info.strip() else None
    except (ValueError, KeyError, TypeError):
        child = None
    failure = apply_setup(child, setup) if child is not None else None
    if failure is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.close(block_w)
        send({"t": "error", "id": rid, "errno": 0, "reason": failure})
        return
    if child is not None:
        try:
            os.write(block_w, b"g")
        except OSError:
            pass
    os.close(block_w)
    send({"t": "spawned", "id": rid, "pid": pid, "fds": running[pid][2]})

def reap(pid):
    # A chain that exits while held still gets its spawn answered first (bwrap has closed the info pipe by then).
    if pid in holding:
        h = holding[pid]
        os.set_blocking(h[2], True)
        while True:
            data = os.read(h[2], 4096)
            if not data:
                break
            h[4] += data
        release(pid)
    rid, pidfd, _ = running.pop(pid)
    sel.unregister(pidfd)
    os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        send({"t": "exit", "id": rid, "code": None, "signal": os.WTERMSIG(status)})
    else:
        send({"t": "exit", "id": rid, "code": os.waitstatus_to_exitcode(status), "signal": None})

def shutdown():
    for pid in list(running):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)

buf = b""
while True:
    for key, _ in sel.select():
        if key.data is not None:
            if key.data < 0:
                if -key.data in holding:
                    on_info(-key.data)
            elif key.data in running:
                reap(key.data)
            continue
        try:
            data = chan.recv(1 << 20)
        except OSError:
            data = b""
        if not data:
            shutdown()
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if not line:
                continue
            req = json.loads(line)
            if req.get("cmd") is not None:
                continue
            try:
                launch(req)
            except Exception as e:
                send({"t": "error", "id": req.get("id"), "errno": getattr(e, "errno", None) or 0})
`;

function signalName(num: number | null): NodeJS.Signals | null {
  if (num === null) return null;
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === num) return name as NodeJS.Signals;
  return null;
}

interface LauncherMessage {
  t?: 'fd' | 'spawned' | 'error' | 'exit';
  id?: number;
  fd?: number;
  pid?: number;
  fds?: number;
  errno?: number;
  /** Why a held chain could not be set up (it was killed before its program ran). */
  reason?: string;
  code?: number | null;
  signal?: number | null;
}

/** A chain the launcher started: its pipes as sockets, 'close' once it has exited and its output pipes are closed. */
export class LaunchedChain extends EventEmitter implements ChainProcess {
  pid: number | undefined = undefined;
  readonly stdio: (Socket | null | undefined)[] = [];
  closeStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private openPipes = 0;

  get exitCode(): number | null {
    return this.exit?.code ?? null;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.exit?.signal ?? null;
  }

  get stdin(): Socket | null {
    return this.stdio[0] ?? null;
  }

  get stdout(): Socket | null {
    return this.stdio[1] ?? null;
  }

  get stderr(): Socket | null {
    return this.stdio[2] ?? null;
  }

  /** @internal */
  attach(fd: number, socket: Socket): void {
    this.stdio[fd] = socket;
    // As for a Node child: every pipe but stdin must close before 'close'.
    if (fd === 0) return;
    this.openPipes += 1;
    socket.once('close', () => {
      this.openPipes -= 1;
      this.maybeClose();
    });
  }

  /** @internal */
  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit !== null) return;
    this.exit = { code, signal };
    this.emit('exit', code, signal);
    this.maybeClose();
  }

  /** @internal The launcher died: the chain died with it (bwrap --die-with-parent). */
  lost(): void {
    for (const s of this.stdio) s?.destroy();
    this.exited(null, 'SIGKILL');
  }

  private maybeClose(): void {
    if (this.closeStatus !== null || this.exit === null || this.openPipes > 0) return;
    this.closeStatus = this.exit;
    this.emit('close', this.exit.code, this.exit.signal);
  }
}

interface Pending {
  chain: LaunchedChain;
  expected: number | null;
  received: number;
  resolve(chain: LaunchedChain): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Starts sandbox chains from one long-lived launcher process (restarted on the next spawn if it dies). */
export class ChainLauncher {
  private proc: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, LaunchedChain>();

  constructor(
    private readonly seccomp: Buffer | null,
    /** uid/gid the launcher, and so every chain, runs as (supplementary groups cleared), or null for this process's. */
    private readonly runAs: { uid: number; gid: number } | null,
    private readonly logger: Logger,
    private readonly python = LAUNCHER_PYTHON,
  ) {}

  /** Starts the chain; rejects with an errno-coded error (ENOENT ...) when it cannot be executed. */
  spawn(spec: ChainSpawnSpec): Promise<LaunchedChain> {
    const proc = this.ensure();
    const id = this.nextId++;
    const chain = new LaunchedChain();
    return new Promise<LaunchedChain>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'the sandbox launcher did not answer')), SPAWN_TIMEOUT_MS);
      this.pending.set(id, { chain, expected: null, received: 0, resolve, reject, timer });
      proc.channel?.ref();
      proc.send({
        id,
        file: spec.file,
        args: spec.args,
        stdin: spec.stdin,
        control: spec.controlFd ?? null,
        seccomp: spec.seccompFd ?? null,
        code: spec.code ? { fd: spec.code.fd, data: spec.code.data.toString('base64') } : null,
        setup: spec.setup ?? null,
      });
    });
  }

  /** Closes the launcher's channel: it kills the chains still running and exits. */
  close(): void {
    const proc = this.proc;
    this.proc = null;
    if (proc?.connected) proc.disconnect();
  }

  private ensure(): ChildProcess {
    if (this.proc !== null && this.proc.connected) return this.proc;
    const args = ['-I', '-c', LAUNCHER_SOURCE, ...(this.seccomp !== null ? [this.seccomp.toString('base64')] : [])];
    const proc = spawn(this.python, args, {
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
      // libuv clears supplementary groups, then sets the gid and uid, before exec.
      ...(this.runAs !== null ? { uid: this.runAs.uid, gid: this.runAs.gid } : {}),
    });
    proc.unref();
    proc.channel?.unref();
    proc.on('message', (msg: LauncherMessage, handle?: Socket) => this.onMessage(msg, handle));
    proc.on('error', (err) => {
      this.logger.error({ err }, 'the sandbox launcher failed');
      this.onLauncherExit(proc, null, null);
    });
    proc.on('exit', (code, signal) => this.onLauncherExit(proc, code, signal));
    this.proc = proc;
    return proc;
  }

  private onMessage(msg: LauncherMessage, handle?: Socket): void {
    if (msg.id === undefined) return;
    if (msg.t === 'exit') {
      const chain = this.running.get(msg.id);
      this.running.delete(msg.id);
      chain?.exited(msg.code ?? null, signalName(msg.signal ?? null));
      this.idle();
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined) {
      handle?.destroy();
      return;
    }
    if (msg.t === 'fd' && handle !== undefined && msg.fd !== undefined) {
      p.chain.attach(msg.fd, handle);
      p.received += 1;
    } else if (msg.t === 'spawned') {
      p.chain.pid = msg.pid;
      p.expected = msg.fds ?? 0;
    } else if (msg.t === 'error' && msg.reason !== undefined) {
      this.fail(msg.id, new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `cannot start the sandbox: ${msg.reason}`));
      return;
    } else if (msg.t === 'error') {
      const code = Object.entries(osConstants.errno).find(([, v]) => v === msg.errno)?.[0] ?? 'EUNKNOWN';
      const err = Object.assign(new Error(`cannot start the sandbox chain: ${code}`), { code, errno: msg.errno });
      this.fail(msg.id, err);
      return;
    }
    if (p.expected !== null && p.received >= p.expected) {
      clearTimeout(p.timer);
      this.pending.delete(msg.id);
      this.running.set(msg.id, p.chain);
      p.resolve(p.chain);
      this.idle();
    }
  }

  private fail(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    // A chain that did start (its pid is known) is killed; its exit then comes as usual and is dropped.
    if (p.chain.pid !== undefined) {
      try {
        process.kill(-p.chain.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const s of p.chain.stdio) s?.destroy();
    p.reject(err);
    this.idle();
  }

  // The channel keeps the event loop alive only while a chain is starting or running (its exit still to come).
  private idle(): void {
    if (this.pending.size === 0 && this.running.size === 0) this.proc?.channel?.unref();
  }

  private onLauncherExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc === proc) this.proc = null;
    if (this.pending.size === 0 && this.running.size === 0) return;
    this.logger.error({ code, signal, running: this.running.size }, 'the sandbox launcher exited; its chains died with it');
    for (const id of [...this.pending.keys()]) this.fail(id, new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'the sandbox launcher exited'));
    for (const chain of this.running.values()) chain.lost();
    this.running.clear();
  }
}
