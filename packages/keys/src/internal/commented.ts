/**
 * The comment that keys and certificates carry (the text after the key in a public key line, or
 * stored in a private key file): bytes as read, with text views for people.
 * @module
 */

import { asBytes, looseUtf8 } from './bytes.ts';

export class Commented {
  protected commentRaw: Uint8Array | undefined;

  constructor(comment?: string | Uint8Array) {
    this.commentRaw = comment === undefined ? undefined : asBytes(comment);
  }

  /** The comment as bytes, or undefined when there is none. */
  getCommentBytes(): Uint8Array | undefined {
    return this.commentRaw;
  }

  /** The comment as text (invalid UTF-8 replaced), or undefined when there is none. */
  getComment(): string | undefined {
    return this.commentRaw === undefined ? undefined : looseUtf8(this.commentRaw);
  }

  setComment(comment: string | Uint8Array | undefined): void {
    this.commentRaw = comment === undefined ? undefined : asBytes(comment);
  }
}
