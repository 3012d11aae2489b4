/**
 * ssh_config `Match` criteria: parsing (readconf.c match_cfg_line's grammar) and evaluation
 * for one connection.
 * @module
 */

import { BadArgument, type ConfigLine } from './document.ts';
import { execTask, type HostTask } from './environment.ts';
import { splitMatchArgs } from './lexer.ts';
import { matchHostname, matchPatternList } from '@ssh/wire';
import { expandTokens, type TokenTable } from './tokens.ts';

export type ClientCriterionName =
  | 'all'
  | 'canonical'
  | 'final'
  | 'exec'
  | 'host'
  | 'originalhost'
  | 'user'
  | 'localuser'
  | 'tagged';

export interface ClientCriterion {
  readonly name: ClientCriterionName;
  readonly negate: boolean;
  /** The argument (pattern list or command), absent for all/canonical/final. */
  readonly arg?: string;
}

const WITH_ARG: ReadonlySet<string> = new Set(['exec', 'host', 'originalhost', 'user', 'localuser', 'tagged']);

/** Parses the criteria of a client Match line. */
export function parseClientMatch(line: ConfigLine): readonly ClientCriterion[] {
  const tokens = splitMatchArgs(line.rest);
  if (!tokens) throw new BadArgument('invalid quotes');
  const out: ClientCriterion[] = [];
  let attributes = 0;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i] as string;
    if (raw.startsWith('#')) break;
    const negate = raw.startsWith('!');
    const name = (negate ? raw.slice(1) : raw).toLowerCase();
    if (name === 'all') {
      const next = tokens[i + 1];
      if (attributes > 1 || (next !== undefined && !next.startsWith('#'))) {
        throw new BadArgument(`'${raw}' cannot be combined with other Match attributes`);
      }
      out.push({ name: 'all', negate });
      return out;
    }
    attributes++;
    if (name === 'canonical' || name === 'final') {
      out.push({ name, negate });
      continue;
    }
    if (!WITH_ARG.has(name)) throw new BadArgument(`Unsupported Match attribute ${raw}`);
    const arg = tokens[i + 1];
    if (arg === undefined || arg === '' || arg.startsWith('#')) throw new BadArgument(`Missing Match criteria for ${raw}`);
    i++;
    out.push({ name: name as ClientCriterionName, negate, arg });
  }
  if (attributes === 0) throw new BadArgument('One or more attributes required for Match');
  return out;
}

/** What the criteria are compared with. */
export interface ClientMatchContext {
  /** Target host after HostName (pass 1) or the final host name (final pass). */
  readonly host: string;
  readonly originalHost: string;
  /** Remote user so far (User obtained so far, else the local user). */
  readonly user: string;
  readonly localUser: string;
  readonly finalPass: boolean;
  /** Tag obtained so far (OpenSSH 9.4+). */
  readonly tag: string | undefined;
  /** Tokens for `exec` (%%, %C, %d, %h, %i, %k, %L, %l, %n, %p, %r, %u). */
  readonly execTokens: TokenTable;
}

export interface ClientMatchOutcome {
  readonly matched: boolean;
  /** The line asks for a final pass (`final` seen). */
  readonly wantFinal: boolean;
}

/** Evaluates a Match line. An exec whose tokens do not expand fails with a BadArgument. */
export function* evaluateClientMatch(criteria: readonly ClientCriterion[], ctx: ClientMatchContext): HostTask<ClientMatchOutcome> {
  let result = true;
  let wantFinal = false;
  for (const c of criteria) {
    let r: boolean;
    switch (c.name) {
      case 'all':
        if (result) result = !c.negate;
        return { matched: result, wantFinal };
      case 'canonical':
      case 'final':
        if (c.name === 'final') wantFinal = true;
        r = ctx.finalPass;
        break;
      case 'host':
        r = matchHostname(ctx.host, c.arg ?? '') === 1;
        break;
      case 'originalhost':
        r = matchHostname(ctx.originalHost, c.arg ?? '') === 1;
        break;
      case 'user':
        r = matchPatternList(ctx.user, c.arg ?? '') === 1;
        break;
      case 'localuser':
        r = matchPatternList(ctx.localUser, c.arg ?? '') === 1;
        break;
      case 'tagged':
        r = matchPatternList(ctx.tag ?? '', c.arg ?? '') === 1;
        break;
      case 'exec': {
        const cmd = expandTokens(c.arg ?? '', ctx.execTokens);
        if (typeof cmd !== 'string') throw new BadArgument(`match exec: ${cmd.message}`);
        if (!result) continue; // a previous criterion failed: OpenSSH skips running it
        const status = yield* execTask(cmd);
        r = status === 0;
        break;
      }
    }
    if (r === c.negate) result = false;
  }
  return { matched: result, wantFinal };
}
