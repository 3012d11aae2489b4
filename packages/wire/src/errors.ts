/**
 * Error classes shared by every @ssh package.
 *
 * `instanceof` works across duplicated copies of a package (two versions installed side by side):
 * each class carries a registered-symbol brand, and `Symbol.hasInstance` matches on the brands of
 * the value's prototype chain instead of object identity.
 * @module
 */

interface Branded {
  readonly brand?: symbol;
}

/** The brand of a class, or undefined when the class did not declare one of its own. */
function ownBrand(ctor: unknown): symbol | undefined {
  if (typeof ctor !== 'function' || !Object.hasOwn(ctor, 'brand')) return undefined;
  return (ctor as Branded).brand;
}

/** Base class of every error thrown by the @ssh packages. `code` is stable; `message` is for people. */
export class SshError extends Error {
  static readonly brand: symbol = Symbol.for('@ssh/error.SshError');

  /** A stable machine-readable code such as `SSH_ERR_WIRE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message.startsWith('ssh: ') ? message : `ssh: ${message}`, options);
    this.code = code;
  }

  /** The class name, taken from the brand so that minified builds keep it. */
  override get name(): string {
    const brand = ownBrand(this.constructor) ?? SshError.brand;
    return brand.description?.slice('@ssh/error.'.length) ?? 'SshError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const target = ownBrand(this);
    if (target === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    for (let proto: unknown = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const ctor = Object.hasOwn(proto as object, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
      if (ownBrand(ctor) === target) return true;
    }
    return false;
  }
}

/** Why a decode failed. */
export type WireErrorReason =
  | 'truncated' // fewer bytes than the field needs
  | 'too-long' // a length field beyond what remains or beyond the configured maximum
  | 'non-canonical' // a boolean other than 0/1, an mpint with redundant sign bytes, ...
  | 'invalid-utf8'
  | 'invalid-value' // a well-formed value the protocol forbids (empty name in a name-list, ...)
  | 'trailing-data' // bytes after the end of a message that must end
  | 'unknown-message'; // a message number no table declares

/** A decode failure: names the field and the byte offset at which it starts. */
export class WireError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.WireError');

  readonly offset: number;
  readonly field: string;
  readonly reason: WireErrorReason;

  constructor(reason: WireErrorReason, field: string, offset: number, detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_WIRE', `${field} at offset ${offset}: ${detail}`, options);
    this.reason = reason;
    this.field = field;
    this.offset = offset;
  }
}

/** A string option that does not parse (a byte count, a time interval, ...). */
export class ValueParseError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ValueParseError');

  readonly input: string;

  constructor(what: string, input: string, detail?: string) {
    super('SSH_ERR_VALUE', `invalid ${what} ${JSON.stringify(input)}${detail ? `: ${detail}` : ''}`);
    this.input = input;
  }
}
