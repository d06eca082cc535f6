import { describe, expect, it } from 'vitest';
import {
  INTERCODE_BASH_BUILD_EPOCH,
  INTERCODE_BASH_COMPARED_ROOTS,
  INTERCODE_BASH_NO_SCRATCH_MARK,
  INTERCODE_BASH_SCRATCH_DIRS,
  intercodeBashSetupScript,
  intercodeBashUpstreamScript,
} from './intercode-bash-filesystems';
import { intercodeBashBenchmark } from './intercode.benchmark';

describe("InterCode-Bash's file systems (upstream setup_nl2b_fs_{1..4}.sh)", () => {
  it('each builds the trees its tasks name: /testbed, /system, /workspace and /backup, nothing for the fourth', () => {
    expect(intercodeBashUpstreamScript(1)).toMatch(/^rm -rf \/testbed\/\n/);
    expect(intercodeBashUpstreamScript(2)).toMatch(/^rm -rf \/system\/\n/);
    expect(intercodeBashUpstreamScript(3)).toMatch(/^rm -rf \/workspace\nrm -rf \/backup\n/);
    expect(intercodeBashUpstreamScript(4)).toBe('# a dummy command\nexport file_system_version=4\n');
    // Upstream's mistakes are kept, to fail on GNU tools as they did in the Ubuntu image.
    expect(intercodeBashUpstreamScript(3)).toContain('touch -m -t $(date -v-1d -j -f "%Y%m%d%H%M.%S" "$(date +%Y%m%d%H%M.%S)" +%Y%m%d%H%M.%S) /workspace/recent.txt');
    expect(intercodeBashUpstreamScript(2)).toContain("echo - e 'Hello!\\nAnother hello world file' > /system/folder1/text3.txt");
  });

  it('pins the mtimes of the archived trees just before each archive is made, and nowhere else', () => {
    for (const fs of [1, 2, 3, 4] as const) {
      const lines = intercodeBashUpstreamScript(fs).split('\n');
      const pins = lines.flatMap((l, i) => (l.startsWith('__lemur_pin_mtimes ') ? [i] : []));
      expect(pins.map((i) => lines[i + 1]!.startsWith('tar '))).toEqual(pins.map(() => true));
      expect(pins).toHaveLength(lines.filter((l) => l.startsWith('tar ')).length);
    }
  });

  it('the set-up cell checks the scratch directories, runs the script from / in a subshell, pins every later mtime and enters /', () => {
    const setup = intercodeBashSetupScript(2);
    expect(setup).toContain(`for __d in ${INTERCODE_BASH_SCRATCH_DIRS.join(' ')};`);
    expect(setup).toContain(INTERCODE_BASH_NO_SCRATCH_MARK);
    expect(setup).toContain(`-newermt @${INTERCODE_BASH_BUILD_EPOCH} -exec touch -h -d @${INTERCODE_BASH_BUILD_EPOCH}`);
    expect(setup).toContain(`__lemur_pin_mtimes ${INTERCODE_BASH_COMPARED_ROOTS.join(' ')}\n) >/dev/null 2>&1 </dev/null\ncd /`);
    expect(setup.indexOf(intercodeBashUpstreamScript(2))).toBeGreaterThan(setup.indexOf('(\n'));
    expect(new Date(INTERCODE_BASH_BUILD_EPOCH * 1000).toISOString()).toBe('2023-06-01T00:00:00.000Z');
  });

  it("is the episode session's set-up for the item's file system", () => {
    const item = { id: 'nl2bash-fs3-0', fileSystem: 3 as const, index: 0, query: 'q', gold: 'ls' };
    expect(intercodeBashBenchmark.agent.sessionSetup!(item)).toBe(intercodeBashSetupScript(3));
    expect(intercodeBashBenchmark.agent.scoringRules).toBe('intercode-bash-reward/upstream-fs');
  });
});
