/** Without the GSS-API library (SSH_GSSAPI_LIBRARY naming one that does not exist): a typed error, every time. */
import { expect, it } from 'vitest';
import { gssapiStatus, nativeGssapi } from '../src/index.ts';

it('reports ERR_GSSAPI_UNAVAILABLE when libgssapi_krb5 cannot be loaded', () => {
  process.env['SSH_GSSAPI_LIBRARY'] = '/nonexistent/libgssapi_krb5.so.2';
  const gss = nativeGssapi();
  expect(gss).toBeDefined();
  const status = gssapiStatus();
  expect(status.available).toBe(false);
  expect(status.reason).toMatch(/cannot load the GSS-API library .*libgssapi-krb5-2/);
  for (let i = 0; i < 2; i++) {
    expect(() => gss?.credentials(null, false)).toThrow(expect.objectContaining({ code: 'ERR_GSSAPI_UNAVAILABLE' }));
    expect(() => gss?.initContext('host@localhost', 0)).toThrow(expect.objectContaining({ code: 'ERR_GSSAPI_UNAVAILABLE' }));
  }
});
