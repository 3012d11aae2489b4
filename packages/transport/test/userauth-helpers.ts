/** In-memory wiring of a client and a server transport with their authentication machines. */
import { generatePrivateKey, type SSHKey } from '@ssh/keys';
import {
  Transport,
  UserauthClient,
  UserauthServer,
  type ClientAnswer,
  type ServerAnswer,
  type TransportEvent,
  type UserauthClientEvent,
  type UserauthClientOptions,
  type UserauthServerEvent,
  type UserauthServerOptions,
} from '../src/index.ts';

let hostKeyCache: SSHKey | undefined;
export function testHostKey(): SSHKey {
  hostKeyCache ??= generatePrivateKey('ssh-ed25519');
  return hostKeyCache;
}

type Ask<E, A> = E extends { id: number } ? (event: E) => A : never;
export type ClientHandlers = { [K in UserauthClientEvent['type']]?: Ask<Extract<UserauthClientEvent, { type: K }>, ClientAnswer> };
export type ServerHandlers = { [K in UserauthServerEvent['type']]?: Ask<Extract<UserauthServerEvent, { type: K }>, ServerAnswer> };

export interface AuthRun {
  readonly client: UserauthClient;
  readonly server: UserauthServer;
  readonly clientTransport: Transport;
  readonly serverTransport: Transport;
  readonly clientEvents: UserauthClientEvent[];
  readonly serverEvents: UserauthServerEvent[];
  readonly clientTransportEvents: TransportEvent[];
  readonly serverTransportEvents: TransportEvent[];
  /** Payloads the client sent after its key exchange, as the server's transport delivered them. */
  readonly toServer: Uint8Array[];
  /** Moves bytes and answers events until nothing moves. */
  pump(): void;
}

export interface AuthSetup {
  readonly client: UserauthClientOptions;
  readonly server?: UserauthServerOptions;
  readonly clientHandlers?: ClientHandlers;
  readonly serverHandlers?: ServerHandlers;
  /** Rewrites each payload the client's auth machine sends (to inject malformed messages). */
  readonly mangleClient?: (payload: Uint8Array) => Uint8Array;
  readonly mangleServer?: (payload: Uint8Array) => Uint8Array;
  /** Don't answer events automatically (the test calls resolve itself). */
  readonly manual?: boolean;
  /** Transport events handed to the client machine before anything else. */
  readonly clientExtra?: readonly TransportEvent[];
  /** GSS-API key exchange on both transports, their gss-kex-* events answered by these. */
  readonly gssKex?: { readonly client: GssKexHandler; readonly server: GssKexHandler; readonly noHostKey?: boolean };
}

export type GssKexHandler = (e: TransportEvent) => Parameters<Transport['resolveGssKex']>[1];

function answerGssKex(t: Transport, e: TransportEvent, handler: GssKexHandler | undefined): void {
  if (handler !== undefined && (e.type === 'gss-kex-step' || e.type === 'gss-kex-mic' || e.type === 'gss-kex-verify-mic')) t.resolveGssKex(e.id, handler(e));
}

function mangled(t: Transport, f: ((p: Uint8Array) => Uint8Array) | undefined): Transport {
  if (!f) return t;
  return {
    get sessionId() {
      return t.sessionId;
    },
    get gssKexEstablished() {
      return t.gssKexEstablished;
    },
    send: (p: Uint8Array) => t.send(f(p)),
    disconnect: (...a: Parameters<Transport['disconnect']>) => t.disconnect(...a),
  } as unknown as Transport;
}

export function authRun(setup: AuthSetup): AuthRun {
  const hostKey = testHostKey();
  const gss = setup.gssKex;
  const clientTransport = new Transport({ role: 'client', ...(gss ? { gssKex: true } : {}) });
  const serverTransport = new Transport({ role: 'server', hostKeys: gss?.noHostKey === true ? [] : [hostKey], ...(gss ? { gssKex: true } : {}) });
  const client = new UserauthClient(mangled(clientTransport, setup.mangleClient), setup.client);
  const server = new UserauthServer(mangled(serverTransport, setup.mangleServer), { hostKeys: [hostKey], ...setup.server });
  const run: AuthRun = {
    client,
    server,
    clientTransport,
    serverTransport,
    clientEvents: [],
    serverEvents: [],
    clientTransportEvents: [],
    serverTransportEvents: [],
    toServer: [],
    pump() {
      for (let round = 0; round < 10_000; round++) {
        let moved = false;
        for (let out = clientTransport.takeOutput(); out; out = clientTransport.takeOutput()) {
          moved = true;
          serverTransport.receive(out);
        }
        for (let out = serverTransport.takeOutput(); out; out = serverTransport.takeOutput()) {
          moved = true;
          clientTransport.receive(out);
        }
        for (let e = clientTransport.nextEvent(); e; e = clientTransport.nextEvent()) {
          moved = true;
          run.clientTransportEvents.push(e);
          if (e.type === 'verify-host-key') clientTransport.resolveHostKey(e.id, true);
          answerGssKex(clientTransport, e, gss?.client);
          client.handle(e);
        }
        for (let e = serverTransport.nextEvent(); e; e = serverTransport.nextEvent()) {
          moved = true;
          run.serverTransportEvents.push(e);
          if (e.type === 'message') run.toServer.push(e.payload.slice());
          answerGssKex(serverTransport, e, gss?.server);
          server.handle(e);
        }
        for (let e = client.nextEvent(); e; e = client.nextEvent()) {
          moved = true;
          run.clientEvents.push(e);
          if (!setup.manual && 'id' in e) {
            const h = (setup.clientHandlers as Record<string, ((ev: unknown) => ClientAnswer) | undefined> | undefined)?.[e.type];
            client.resolve(e.id, h ? h(e) : null);
          }
        }
        for (let e = server.nextEvent(); e; e = server.nextEvent()) {
          moved = true;
          run.serverEvents.push(e);
          if (!setup.manual && 'id' in e) {
            const h = (setup.serverHandlers as Record<string, ((ev: unknown) => ServerAnswer) | undefined> | undefined)?.[e.type];
            server.resolve(e.id, h ? h(e) : e.type === 'begin-auth');
          }
        }
        if (!moved) return;
      }
      throw new Error('pump did not settle');
    },
  };
  for (const e of setup.clientExtra ?? []) client.handle(e);
  run.pump();
  return run;
}

export function clientOutcome(run: AuthRun): UserauthClientEvent | undefined {
  return run.clientEvents.find((e) => e.type === 'success' || e.type === 'failure');
}

export function types(events: readonly { type: string }[]): string[] {
  return events.map((e) => e.type);
}
