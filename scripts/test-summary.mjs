// Sums the per-project vitest JSON reports into one closing line: "Tests: N passed, N failed",
// preceded by the name and first message line of every failed test, so the tail of a CI log says what failed.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2] ?? 'tmp/test-results';
let passed = 0;
let failed = 0;
const failures = [];
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // no reports: nothing ran
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name ?? '');
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const test of failedTests) {
      failures.push(`${where} > ${test.fullName}\n    ${firstLine(test.failureMessages?.[0])}`);
    }
    if (failedTests.length === 0 && suite.status === 'failed') failures.push(`${where}\n    ${firstLine(suite.message)}`);
  }
}
function firstLine(text) {
  return String(text ?? '').split('\n').find((line) => line.trim() !== '') ?? '';
}
if (failures.length > 0) console.log(`\nFailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\nTests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
