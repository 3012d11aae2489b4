// @ts-check
/**
 * ESLint rules that keep the package graph of DEVELOPERS.md: no upward imports, packages reach
 * each other only through their public entry points, and no relative path crosses a package.
 * @module
 */

import path from 'node:path';
import { ALLOWED_IMPORTS, PACKAGE_DIRS, TOOLING } from './layers.js';

const DIR_TO_PACKAGE = new Map(Object.entries(PACKAGE_DIRS).map(([name, dir]) => [dir, name]));

/**
 * The workspace package a file belongs to, and that package's folder on disk, found from the last
 * `packages/<x>`, `apps/<x>` or `tooling/<x>` segment of its path.
 * @param {string} file
 * @returns {{ name: string, dir: string } | undefined}
 */
export function owningPackage(file) {
  const parts = path.resolve(file).split(path.sep);
  for (let i = parts.length - 2; i >= 0; i--) {
    const key = `${parts[i]}/${parts[i + 1]}`;
    const name = DIR_TO_PACKAGE.get(key);
    if (name) return { name, dir: parts.slice(0, i + 2).join(path.sep) };
  }
  return undefined;
}

/** @param {string} file */
function isTestFile(file) {
  return /[\\/](test|tests|bench)[\\/]/.test(file) || /\.(test|spec|bench)\.[cm]?[jt]s$/.test(file);
}

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the @ssh package dependency table and public-entry imports' },
    schema: [],
    messages: {
      upward: '{{from}} may not import {{to}} (allowed: {{allowed}}); see the package table in DEVELOPERS.md',
      deep: 'import {{to}} through its public entry point, not "{{source}}"',
      self: '{{from}} imports itself by name; use a relative import inside a package',
      crossRelative: 'relative import "{{source}}" leaves {{from}}; import the other package by name',
    },
  },
  create(context) {
    const file = context.filename;
    const owner = owningPackage(file);
    if (!owner) return {};
    const isTooling = TOOLING.includes(owner.name);
    const allowed = ALLOWED_IMPORTS[owner.name] ?? [];
    const testFile = isTestFile(file);

    /** @param {import('estree').Node} node @param {string} source */
    function check(node, source) {
      if (source.startsWith('.')) {
        const target = path.resolve(path.dirname(file), source);
        if (target !== owner.dir && !target.startsWith(owner.dir + path.sep)) {
          context.report({ node, messageId: 'crossRelative', data: { source, from: owner.name } });
        }
        return;
      }
      const m = /^(@ssh\/[^/]+)(?:\/(.*))?$/.exec(source);
      if (!m) return;
      const to = /** @type {string} */ (m[1]);
      const sub = m[2] ?? '';
      if (/^(src|dist|internal)(\/|$)/.test(sub)) {
        context.report({ node, messageId: 'deep', data: { to, source } });
      }
      if (to === owner.name) {
        context.report({ node, messageId: 'self', data: { from: owner.name } });
        return;
      }
      if (isTooling) return;
      if (testFile && TOOLING.includes(to)) return;
      if (!allowed.includes(to)) {
        context.report({
          node,
          messageId: 'upward',
          data: { from: owner.name, to, allowed: allowed.length ? allowed.join(', ') : 'no workspace package' },
        });
      }
    }

    return {
      ImportDeclaration(node) {
        check(node, String(node.source.value));
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, String(node.source.value));
      },
      ExportAllDeclaration(node) {
        check(node, String(node.source.value));
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(node, node.source.value);
      },
    };
  },
};

const plugin = { meta: { name: '@ssh/eslint-plugin-layers' }, rules: { layers } };
export default plugin;
