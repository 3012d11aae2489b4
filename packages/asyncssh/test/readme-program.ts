/**
 * A README's ```ts blocks as one ES module: their imports merged at the top (each name once, as
 * blocks repeat them), then every other line in order, top-level `await` and all, as an
 * application's module would read them.
 * @module
 */

/** The ```ts blocks of a Markdown text, in order. */
export function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** The module of `markdown`'s ```ts blocks. */
export function readmeProgram(markdown: string): string {
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  for (const block of codeBlocks(markdown)) {
    for (const line of block.split('\n')) {
      const m = /^import (type )?\{ (.+) \} from '([^']+)';$/.exec(line);
      if (!m) {
        body.push(line);
        continue;
      }
      const from = m[3] as string;
      const names = imports.get(from) ?? new Set<string>();
      for (const name of (m[2] as string).split(',')) names.add(m[1] === undefined ? name.trim() : `type ${name.trim()}`);
      imports.set(from, names);
    }
  }
  const head = [...imports].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`);
  return `${head.join('\n')}\nexport {};\n\n${body.join('\n')}\n`;
}
