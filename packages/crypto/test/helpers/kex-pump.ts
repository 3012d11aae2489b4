/** Runs a client and a server key exchange against each other in memory. */
import type { KexExchange, KexResult, KexStep } from '../../src/index.ts';

export const FAKE_HOST_KEY = new TextEncoder().encode('\0\0\0\x0bssh-ed25519\0\0\0\x20' + 'k'.repeat(32));
export const FAKE_SIGNATURE = new TextEncoder().encode('signature over H');

/** Pumps messages until both sides are done; returns both results and the messages exchanged. */
export function runKex(client: KexExchange, server: KexExchange): { client: KexResult; server: KexResult; messages: Uint8Array[] } {
  const log: Uint8Array[] = [];
  let toServer: Uint8Array[] = [...client.start()];
  server.start();
  let clientResult: KexResult | undefined;
  let serverResult: KexResult | undefined;
  for (let round = 0; round < 10 && (clientResult === undefined || serverResult === undefined); round++) {
    const toClient: Uint8Array[] = [];
    for (const m of toServer) {
      log.push(m);
      let step: KexStep = server.receive(m);
      if (step.type === 'sign') step = server.sign(FAKE_SIGNATURE);
      if (step.type === 'sign') throw new Error('server asked to sign twice');
      if (step.type === 'done') serverResult = step.result;
      toClient.push(...step.messages);
    }
    toServer = [];
    for (const m of toClient) {
      log.push(m);
      const step = client.receive(m);
      if (step.type === 'done') clientResult = step.result;
      if (step.type === 'send') toServer.push(...step.messages);
      if (step.type === 'sign') throw new Error('client asked to sign');
    }
  }
  if (clientResult === undefined || serverResult === undefined) throw new Error('exchange did not finish');
  return { client: clientResult, server: serverResult, messages: log };
}
