/** X11 forwarding: the public names. Re-exports only. @module */
export { X11ForwardingError } from './errors.ts';
