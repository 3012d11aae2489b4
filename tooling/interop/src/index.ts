/**
 * @ssh/interop: real SSH peers (OpenSSH, AsyncSSH) on 127.0.0.1 with throwaway keys, homes and
 * ports, for the interop tests of every package. Re-exports only.
 * @module
 */
export { type CommandOutcome, InteropCommandError, InteropError, InteropStartError } from './errors.ts';
export {
  type Certificate,
  type CertificateOptions,
  DEFAULT_HOST_KEY_TYPES,
  type GenerateKeyOptions,
  KEY_TYPES,
  type KeyPair,
  type KeyType,
  type PrivateKeyFormat,
  defaultClientKey,
  generateKey,
  hostKeys,
  parsePublicKeyLine,
  signCertificate,
} from './keys.ts';
export { collectedAfterGc } from './gc.ts';
export { LOOPBACK, freePort } from './ports.ts';
export {
  type EnvVars,
  type LogSource,
  type PeerProcess,
  type ProcessExit,
  PYTHON,
  type RunOptions,
  type RunResult,
  type StartProcessOptions,
  type WaitForOutputOptions,
  cleanEnv,
  descendantPids,
  isProcessAlive,
  run,
  runningProcesses,
  startProcess,
  stopAll,
} from './process.ts';
export { type RunningServer, type ServerBaseOptions, type SshTarget, knownHostsLines } from './target.ts';
export { makeTempDir, removeTempDir, tempRoot } from './tmp.ts';
export { softSecurityKey, type SoftSecurityKey } from './security-key.ts';
export { SoftFido, type SoftFidoCredential, type SoftFidoOptions, softFido } from './soft-fido.ts';
export {
  SK_ERR,
  SSH_SK_HELPER,
  type SoftSkAlg,
  type SoftSkCall,
  type SoftSkCredential,
  type SoftSkOptions,
  type SoftSkProvider,
  buildSharedLibrary,
  buildSoftSkLibrary,
  startSoftSkProvider,
} from './soft-sk.ts';
export { tunDevicesUnavailable } from './tun.ts';
export { KINIT, type KerberosRealm, type KerberosRealmOptions, TEST_REALM, kerberosAvailable, startKerberosRealm } from './kerberos.ts';
export {
  SOFTHSM_PROVIDER,
  type SoftToken,
  type SoftTokenKey,
  type SoftTokenKeySpec,
  type SoftTokenKeyType,
  softToken,
  softTokenAvailable,
} from './soft-token.ts';
export { type HostbasedSshdOptions, startHostbasedSshd } from './hostbased.ts';
export {
  type AuthorizedKey,
  SFTP_SERVER,
  SSHD,
  type SshdLogLevel,
  type SshdOptions,
  type SshdServer,
  sshdConfigText,
  startSshd,
} from './sshd.ts';
export {
  type AgentRef,
  type OpenSshClientOptions,
  PEER_ALIAS,
  type PreparedClient,
  SCP,
  SFTP,
  SSH,
  SSH_ADD,
  SSH_AGENT,
  SSH_KEYGEN,
  type ScpPath,
  type ScpRunOptions,
  type SftpDirectOptions,
  type SshAgent,
  type SshAgentOptions,
  type SshRunOptions,
  prepareClient,
  runScp,
  runSftp,
  runSftpDirect,
  runSsh,
  runSshAdd,
  runSshKeygen,
  startSsh,
  startSshAgent,
} from './openssh-client.ts';
export {
  type AsyncsshClientOptions,
  type AsyncsshClientResult,
  type AsyncsshServer,
  type AsyncsshServerOptions,
  type Json,
  PYTHON_START_MARGIN_MS,
  type PythonLogLevel,
  runAsyncsshClient,
  startAsyncsshServer,
} from './asyncssh.ts';
export {
  PARAMIKO_KEX,
  type ParamikoClientOptions,
  type ParamikoClientResult,
  type ParamikoServer,
  type ParamikoServerOptions,
  runParamikoClient,
  startParamikoServer,
} from './paramiko.ts';
export { TINYSSHD, TINYSSHD_MAKEKEY, TINYSSHD_PRINTKEY, type TinysshdOptions, type TinysshdServer, startTinysshd } from './tinyssh.ts';
export {
  GO_CIPHERS,
  GO_KEX,
  GO_MACS,
  GO_PATH,
  type GoClientAction,
  type GoClientOptions,
  type GoClientResult,
  type GoExecResult,
  type GoServer,
  type GoServerOptions,
  buildGoPeer,
  goAvailable,
  runGoClient,
  startGoServer,
} from './go.ts';
export { JAVA, JAVAC, JSCH_JAR, type JschClientOptions, compileJschClient, runJschClient } from './jsch.ts';
export {
  LIBSSH_CIPHERS,
  LIBSSH_HEADER,
  LIBSSH_HOST_KEY_ALGORITHMS,
  LIBSSH_KEX,
  LIBSSH_MACS,
  type LibsshClientAction,
  type LibsshClientOptions,
  type LibsshClientResult,
  type LibsshExecResult,
  type LibsshLocalResult,
  type LibsshServer,
  type LibsshServerOptions,
  type LibsshSftpResult,
  buildLibsshPeer,
  libsshAvailable,
  runLibsshClient,
  startLibsshServer,
} from './libssh.ts';
export {
  ERLANG_CIPHERS,
  ERLANG_COMPRESSION,
  ERLANG_HOST_KEY_ALGORITHMS,
  ERLANG_KEX,
  ERLANG_MACS,
  ERL,
  buildErlangPeer,
  type ErlangAlgorithms,
  type ErlangClientAction,
  type ErlangClientOptions,
  type ErlangClientResult,
  type ErlangExecResult,
  type ErlangServer,
  type ErlangServerOptions,
  type ErlangSftpResult,
  type ErlangTunnelResult,
  erlangSshAvailable,
  runErlangClient,
  startErlangServer,
} from './erlang.ts';
