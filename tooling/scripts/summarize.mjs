// Prints the closing line of the test command, "N passed, N failed": every vitest test, plus the
// build, typecheck and lint checks counted as one test each. Exits non-zero when anything failed.
import { existsSync, readFileSync } from 'node:fs';

const [file, checksPassed, checksFailed, vitestRc, ...failedChecks] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;

if (file && existsSync(file)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to load has no tests to count: count the file itself.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      failed += 1;
      console.log(`failed to run: ${suite.name}`);
    }
  }
} else {
  console.log('vitest wrote no report');
  failed += 1;
}
if (Number(vitestRc) !== 0 && failed === 0) failed += 1; // vitest failed outside any test
for (const name of failedChecks) console.log(`failed check: ${name}`);

console.log(skipped ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
