// Extracts the names of the API specification (autofunction, autoclass/autoexception, automethod,
// autoattribute; camelCase) into packages/asyncssh/test/fixtures/spec-api.json, which
// test/spec-api.test.ts checks against the package. Usage: node tooling/scripts/spec-api.mjs [spec.txt]
import { readFileSync, writeFileSync } from 'node:fs';
const spec = readFileSync(process.argv[2] ?? '../shared/spec/asyncssh-api.txt', 'utf8').split('\n');
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const out = { functions: [], classes: {}, };
let cls = null;
for (const raw of spec) {
  const line = raw.trim();
  let m = /^\.\. auto(class|exception):: (\w+)/.exec(line);
  if (m) { cls = m[2]; out.classes[cls] ??= { methods: [], attributes: [] }; continue; }
  m = /^\.\. autofunction:: (\w+)/.exec(line);
  if (m) { cls = null; out.functions.push(camel(m[1])); continue; }
  m = /^\.\. auto(method|attribute):: (\w+)/.exec(line);
  if (m && cls) out.classes[cls][m[1] === 'method' ? 'methods' : 'attributes'].push(camel(m[2]));
}
writeFileSync(new URL('../../packages/asyncssh/test/fixtures/spec-api.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`${out.functions.length} functions, ${Object.keys(out.classes).length} classes`);
