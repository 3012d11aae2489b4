/** FIDO security keys: generation, resident keys, signing, and the backends that reach authenticators. @module */
export * from './backend.ts';
export { CtapBackend, type CtapBackendOptions, type HidDevice } from './ctap/index.ts';
export { MiddlewareBackend } from './middleware.ts';
export { securityKeyBackend, type SecurityKeyProvider } from './provider.ts';
export {
  SSHSkKeyPair,
  generateSecurityKey,
  isSecurityKey,
  loadResidentKeys,
  signWithSecurityKey,
  type GenerateSecurityKeyOptions,
  type LoadResidentKeysOptions,
  type SecurityKeyAccess,
  type SecurityKeyPrompts,
  type SecurityKeySignOptions,
} from './keys.ts';
