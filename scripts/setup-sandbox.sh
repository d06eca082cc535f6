#!/usr/bin/env bash
# Prepares this machine for the local sandbox backend (apps/sandbox/src/local): Debian packages, the
# unprivileged sandbox user, and the seccomp filter. Idempotent; a second run only checks and exits.
#
# Usage: scripts/setup-sandbox.sh            (as root, or a user with sudo)
#        LEMUR_SANDBOX_STATE_DIR=/path scripts/setup-sandbox.sh   (default: <repo>/.lemur/sandbox)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state_dir=${LEMUR_SANDBOX_STATE_DIR:-$repo_root/.lemur/sandbox}
sbx_user=lemur-sbx
filter_version=1
filter=$state_dir/seccomp.bpf
stamp=$state_dir/seccomp.version

log() { printf '[setup-sandbox] %s\n' "$*" >&2; }

if [[ $(id -u) -eq 0 ]]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo -n "$@"; }
else
  as_root() { log "need root for: $*  (re-run as root or install sudo)"; return 1; }
fi

# dpkg-query is the cheap check; apt is only touched when something is actually missing.
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
/usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || missing+=(python3-seccomp)
{ command -v setpriv >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; } || missing+=(util-linux)
# What benchmark code imports inside the sandbox: MINT's solutions (sympy, numpy, scipy) and DS-1000's (pandas,
# scikit-learn, matplotlib). Debian's builds, so the sandbox's read-only /usr carries them.
for mod in numpy:python3-numpy scipy:python3-scipy sympy:python3-sympy pandas:python3-pandas sklearn:python3-sklearn matplotlib:python3-matplotlib; do
  /usr/bin/python3 -c "import ${mod%%:*}" >/dev/null 2>&1 || missing+=("${mod#*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Fresh images ship without package lists; update only when the plain install cannot find the packages.
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; then
    log "install failed; running apt-get update and retrying"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# The sandbox must never run as root: root-run bwrap keeps uid 0 with full caps (see shared/research/sandbox.md §5).
if [[ $(id -u) -eq 0 ]] || as_root true 2>/dev/null; then
  if ! id -u "$sbx_user" >/dev/null 2>&1; then
    log "creating system user $sbx_user"
    as_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --user-group "$sbx_user"
  fi
else
  log "not root and no sudo: the backend will run bwrap under your own uid"
fi

mkdir -p "$state_dir"
if [[ -s $filter && -f $stamp && $(cat "$stamp") == "$filter_version" ]]; then
  log "ready (bwrap $(bwrap --version | awk '{print $2}'), filter $filter)"
  exit 0
fi

log "writing seccomp filter $filter"
tmp=$(mktemp "$state_dir/seccomp.XXXXXX")
/usr/bin/python3 - "$tmp" <<'PY'
import errno
import sys

import seccomp

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
deny = [
    # escapes and kernel attack surface (sandbox.md §5)
    "ptrace", "mount", "umount", "umount2", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf",
    "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "create_module", "pivot_root", "swapon", "swapoff", "reboot", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "personality",
    # host-wide state and classic container escapes
    "open_by_handle_at", "name_to_handle_at", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
    "open_tree", "mount_setattr", "syslog", "acct", "quotactl", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "iopl", "ioperm", "vhangup", "uselib", "lookup_dcookie", "process_vm_readv",
    "process_vm_writev", "kcmp",
]
for name in deny:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):
        pass  # not a syscall on this architecture
# Injecting keystrokes into the controlling terminal (CVE-2017-5226) and console ioctls.
for req in (0x5412, 0x541C):  # TIOCSTI, TIOCLINUX
    f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, req))
# Namespace creation through clone(2); clone3 passes flags in memory that seccomp cannot read, so make libc fall back.
for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080):
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)
PY
chmod 0644 "$tmp"
mv -f "$tmp" "$filter"
echo "$filter_version" >"$stamp"
log "ready (bwrap $(bwrap --version | awk '{print $2}'), filter $filter)"
