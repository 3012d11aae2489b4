/** The "Supported algorithms" lists of the API spec (asyncssh-api.txt), defaults then the rest. */

export const SPEC = {
  kex: {
    defaults: [
      'gss-curve25519-sha256', 'gss-curve448-sha512', 'gss-nistp521-sha512', 'gss-nistp384-sha384', 'gss-nistp256-sha256',
      'gss-1.3.132.0.10-sha256', 'gss-gex-sha256', 'gss-group14-sha256', 'gss-group15-sha512', 'gss-group16-sha512',
      'gss-group17-sha512', 'gss-group18-sha512', 'gss-group14-sha1', 'mlkem768x25519-sha256', 'mlkem768nistp256-sha256',
      'mlkem1024nistp384-sha384', 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256',
      'curve25519-sha256@libssh.org', 'curve448-sha512', 'ecdh-sha2-nistp521', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp256',
      'ecdh-sha2-1.3.132.0.10', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256',
      'diffie-hellman-group15-sha512', 'diffie-hellman-group16-sha512', 'diffie-hellman-group17-sha512',
      'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256@ssh.com', 'diffie-hellman-group14-sha1', 'rsa2048-sha256',
    ],
    others: [
      'gss-gex-sha1', 'gss-group1-sha1', 'diffie-hellman-group-exchange-sha224@ssh.com',
      'diffie-hellman-group-exchange-sha384@ssh.com', 'diffie-hellman-group-exchange-sha512@ssh.com',
      'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha224@ssh.com', 'diffie-hellman-group15-sha256@ssh.com',
      'diffie-hellman-group15-sha384@ssh.com', 'diffie-hellman-group16-sha384@ssh.com', 'diffie-hellman-group16-sha512@ssh.com',
      'diffie-hellman-group18-sha512@ssh.com', 'diffie-hellman-group1-sha1', 'rsa1024-sha1',
    ],
  },
  cipher: {
    defaults: [
      'chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr',
    ],
    others: [
      'aes256-cbc', 'aes192-cbc', 'aes128-cbc', '3des-cbc', 'blowfish-cbc', 'cast128-cbc', 'seed-cbc@ssh.com', 'arcfour256',
      'arcfour128', 'arcfour',
    ],
  },
  mac: {
    defaults: [
      'umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com',
      'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1',
      'hmac-sha256-2@ssh.com', 'hmac-sha224@ssh.com', 'hmac-sha256@ssh.com', 'hmac-sha384@ssh.com', 'hmac-sha512@ssh.com',
    ],
    others: [
      'hmac-md5-etm@openssh.com', 'hmac-sha2-256-96-etm@openssh.com', 'hmac-sha2-512-96-etm@openssh.com',
      'hmac-sha1-96-etm@openssh.com', 'hmac-md5-96-etm@openssh.com', 'hmac-md5', 'hmac-sha2-256-96', 'hmac-sha2-512-96',
      'hmac-sha1-96', 'hmac-md5-96',
    ],
  },
  compression: {
    defaults: ['zlib@openssh.com', 'none'],
    others: ['zlib'],
  },
} as const;
