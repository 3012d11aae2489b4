/*
 * AES-GCM for SSH packets (aes128-gcm@openssh.com, aes256-gcm@openssh.com) on node's own
 * OpenSSL, through Node-API.
 *
 * node:crypto creates a cipher object per call and returns every update in two fresh buffers
 * (one of them zero-filled), which costs more than the AES itself for a 32 KiB packet. Here one
 * EVP context per direction lives as long as its keys: each packet only sets the next nonce and
 * writes into a buffer the caller allocated. The 12-byte nonce is OpenSSH's (PROTOCOL §1.6): a
 * 4-byte fixed field and an 8-byte invocation counter, incremented after every packet sealed and
 * every packet opened whose tag is right.
 *
 * Every argument is checked here too (types, ranges, overlaps), so that no call from JavaScript
 * can read or write outside its buffers, whatever the caller did.
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "chacha_poly.h"
#include "gssapi.h"
#include "napi_args.h"
#include "pkcs11.h"
#include "sk_provider.h"
#include "socket_options.h"
#include "zlib_stream.h"

#define NONCE_LENGTH 12
#define TAG_LENGTH 16
/* Largest associated data: the SSH packet length field is 4 bytes; a little slack for tests. */
#define MAX_AAD 64

/* What one state holds outside the JS heap (the EVP context and its key schedule, roughly), told
 * to V8 so that it collects dropped states before they add up. */
#define STATE_EXTERNAL_BYTES 1024

typedef struct {
  EVP_CIPHER_CTX *ctx;
  int encrypt;
  unsigned char nonce[NONCE_LENGTH];
} gcm_state;

static void gcm_free(napi_env env, void *data, void *hint) {
  gcm_state *s = data;
  if (hint != NULL) {
    int64_t ignored;
    napi_adjust_external_memory(env, -STATE_EXTERNAL_BYTES, &ignored);
  }
  EVP_CIPHER_CTX_free(s->ctx); /* cleanses the key schedule */
  OPENSSL_cleanse(s->nonce, sizeof s->nonce);
  free(s);
}

static void next_nonce(gcm_state *s) {
  for (int i = NONCE_LENGTH - 1; i >= 4; i--) {
    if (++s->nonce[i] != 0) break;
  }
}

/* Marks our states: Node-API's wrap slot is shared by every addon, so an object another addon
 * wrapped must not be taken for one of ours. */
static const napi_type_tag STATE_TAG = { 0x73736863727970ULL, 0x746f2d6e61746976ULL };

static gcm_state *get_state(napi_env env, napi_value value) {
  return unwrap_state(env, value, &STATE_TAG);
}

/* create(key: Uint8Array(16 | 32), nonce: Uint8Array(12), encrypt: boolean): state */
static napi_value gcm_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3)
    return fail(env, "ERR_INVALID_ARG_TYPE", "create(key, nonce, encrypt)", 0);
  bytes key, nonce;
  bool encrypt = false;
  if (!get_bytes(env, argv[0], &key) || !get_bytes(env, argv[1], &nonce) ||
      napi_get_value_bool(env, argv[2], &encrypt) != napi_ok)
    return fail(env, "ERR_INVALID_ARG_TYPE", "create(key: Uint8Array, nonce: Uint8Array, encrypt: boolean)", 0);
  const EVP_CIPHER *cipher = key.length == 16 ? EVP_aes_128_gcm() : key.length == 32 ? EVP_aes_256_gcm() : NULL;
  if (cipher == NULL) return fail(env, "ERR_CRYPTO_INVALID_KEYLEN", "AES-GCM key must be 16 or 32 bytes", 1);
  if (nonce.length != NONCE_LENGTH) return fail(env, "ERR_CRYPTO_INVALID_IV", "AES-GCM nonce must be 12 bytes", 1);

  gcm_state *s = calloc(1, sizeof *s);
  if (s == NULL) return fail(env, "ERR_MEMORY_ALLOCATION_FAILED", "out of memory", 1);
  s->ctx = EVP_CIPHER_CTX_new();
  s->encrypt = encrypt ? 1 : 0;
  memcpy(s->nonce, nonce.data, NONCE_LENGTH);
  if (s->ctx == NULL || EVP_CipherInit_ex(s->ctx, cipher, NULL, key.data, NULL, s->encrypt) != 1) {
    gcm_free(env, s, NULL);
    return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "AES-GCM initialisation failed", 1);
  }
  return wrap_state(env, s, gcm_free, &STATE_TAG, STATE_EXTERNAL_BYTES);
}

/* Starts a packet: the current nonce, then the associated data. */
static int begin(gcm_state *s, const bytes *aad) {
  int n = 0;
  if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, s->nonce, -1) != 1) return 0;
  if (aad->length > 0 && EVP_CipherUpdate(s->ctx, NULL, &n, aad->data, (int)aad->length) != 1) return 0;
  return 1;
}

/*
 * The call's `count` arguments into argv, and the state in the first one, which must be one that
 * seals (encrypt) or opens; NULL after throwing.
 */
static gcm_state *call_state(napi_env env, napi_callback_info info, size_t count, napi_value *argv, int encrypt, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) {
    fail(env, "ERR_INVALID_ARG_TYPE", usage, 0);
    return NULL;
  }
  gcm_state *s = get_state(env, argv[0]);
  if (s == NULL || s->encrypt != encrypt) {
    fail(env, "ERR_INVALID_ARG_TYPE", encrypt ? "seal() needs a sealing state" : "open() needs an opening state", 0);
    return NULL;
  }
  return s;
}

/*
 * seal(state, aad: Uint8Array, parts: Uint8Array | Uint8Array[], out: Uint8Array, at: number): void
 * Encrypts the parts' concatenation into out[at, at + n) and writes the tag at out[at + n].
 * The parts may not overlap the output, but for a single part at exactly `at` (in place).
 */
static napi_value gcm_seal(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  gcm_state *s = call_state(env, info, 5, argv, 1, "seal(state, aad, parts, out, at)");
  if (s == NULL) return NULL;
  bytes aad, out;
  size_t at = 0;
  if (!get_bytes(env, argv[1], &aad) || !get_bytes(env, argv[3], &out) || !get_index(env, argv[4], &at))
    return fail(env, "ERR_INVALID_ARG_TYPE", "seal(state, aad: Uint8Array, parts, out: Uint8Array, at: number)", 0);
  if (aad.length > MAX_AAD) return fail(env, "ERR_OUT_OF_RANGE", "associated data too long", 1);

  bytes parts[MAX_PARTS];
  int count = get_parts(env, argv[2], parts);
  if (count < 0) return NULL;
  size_t total = 0;
  for (int i = 0; i < count; i++) total += parts[i].length;
  if (total > (size_t)INT_MAX - TAG_LENGTH || at > out.length || out.length - at < total + TAG_LENGTH)
    return fail(env, "ERR_OUT_OF_RANGE", "output too small for ciphertext and tag", 1);
  unsigned char *dst = out.data + at;
  for (int i = 0; i < count; i++) {
    int in_place = count == 1 && parts[i].data == dst;
    if (!in_place && overlaps(&parts[i], dst, total + TAG_LENGTH))
      return fail(env, "ERR_OUT_OF_RANGE", "parts overlap the output", 1);
  }
  if (overlaps(&aad, dst, total + TAG_LENGTH)) return fail(env, "ERR_OUT_OF_RANGE", "associated data overlaps the output", 1);

  if (!begin(s, &aad)) return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "AES-GCM seal failed", 1);
  size_t written = 0;
  for (int i = 0; i < count; i++) {
    if (parts[i].length == 0) continue;
    int n = 0;
    if (EVP_CipherUpdate(s->ctx, dst + written, &n, parts[i].data, (int)parts[i].length) != 1)
      return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "AES-GCM seal failed", 1);
    written += (size_t)n;
  }
  int n = 0;
  if (written != total || EVP_CipherFinal_ex(s->ctx, dst + written, &n) != 1 || n != 0 ||
      EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, dst + total) != 1)
    return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "AES-GCM seal failed", 1);
  next_nonce(s);
  return NULL;
}

/*
 * open(state, packet: Uint8Array, aadLength: number, out: Uint8Array): boolean
 * packet = aad || ciphertext || tag. Decrypts into out[0, n) and returns whether the tag is right
 * (out is zeroed when it is not). The nonce advances only for a right tag.
 */
static napi_value gcm_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  gcm_state *s = call_state(env, info, 4, argv, 0, "open(state, packet, aadLength, out)");
  if (s == NULL) return NULL;
  bytes packet, out;
  size_t aad_length = 0;
  if (!get_bytes(env, argv[1], &packet) || !get_index(env, argv[2], &aad_length) || !get_bytes(env, argv[3], &out))
    return fail(env, "ERR_INVALID_ARG_TYPE", "open(state, packet: Uint8Array, aadLength: number, out: Uint8Array)", 0);
  if (aad_length > MAX_AAD) return fail(env, "ERR_OUT_OF_RANGE", "associated data too long", 1);
  if (packet.length > (size_t)INT_MAX || packet.length < aad_length + TAG_LENGTH)
    return fail(env, "ERR_OUT_OF_RANGE", "packet shorter than its associated data and tag", 1);
  size_t n = packet.length - aad_length - TAG_LENGTH;
  if (out.length < n) return fail(env, "ERR_OUT_OF_RANGE", "output too small for the plaintext", 1);
  if (overlaps(&out, packet.data, packet.length) && out.data != packet.data + aad_length)
    return fail(env, "ERR_OUT_OF_RANGE", "output overlaps the packet", 1);

  bytes aad = { packet.data, aad_length };
  unsigned char *tag = packet.data + aad_length + n; /* after the plaintext even when in place */
  int ok = begin(s, &aad);
  int written = 0;
  if (ok && n > 0) ok = EVP_CipherUpdate(s->ctx, out.data, &written, packet.data + aad_length, (int)n) == 1 && (size_t)written == n;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, tag) == 1;
  unsigned char rest[16];
  int last = 0;
  if (ok) ok = EVP_CipherFinal_ex(s->ctx, rest, &last) == 1 && last == 0;
  if (ok) next_nonce(s);
  else if (n > 0) OPENSSL_cleanse(out.data, n); /* never hand out unauthenticated plaintext */
  napi_value result;
  if (napi_get_boolean(env, ok, &result) != napi_ok) return NULL;
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "create", NULL, gcm_create, NULL, NULL, NULL, napi_enumerable, NULL },
    { "seal", NULL, gcm_seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "open", NULL, gcm_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setReceiveLowWater", NULL, socket_set_receive_low_water, NULL, NULL, NULL, napi_enumerable, NULL },
    { "chachaCreate", NULL, chacha_create, NULL, NULL, NULL, napi_enumerable, NULL },
    { "chachaSeal", NULL, chacha_seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "chachaLength", NULL, chacha_length, NULL, NULL, NULL, napi_enumerable, NULL },
    { "chachaOpen", NULL, chacha_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "zlibCreate", NULL, zlib_create, NULL, NULL, NULL, napi_enumerable, NULL },
    { "zlibDeflate", NULL, zlib_deflate, NULL, NULL, NULL, napi_enumerable, NULL },
    { "zlibInflate", NULL, zlib_inflate, NULL, NULL, NULL, napi_enumerable, NULL },
#ifndef _WIN32
    { "pkcs11Load", NULL, pkcs11_load, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11Close", NULL, pkcs11_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11Tokens", NULL, pkcs11_tokens, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11OpenSession", NULL, pkcs11_open_session, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11CloseSession", NULL, pkcs11_close_session, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11Login", NULL, pkcs11_login, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11FindObjects", NULL, pkcs11_find_objects, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11GetAttributes", NULL, pkcs11_get_attributes, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pkcs11Sign", NULL, pkcs11_sign, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiLoad", NULL, gssapi_load, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiCredentials", NULL, gssapi_credentials, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiInitContext", NULL, gssapi_init_context, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiAcceptContext", NULL, gssapi_accept_context, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiStep", NULL, gssapi_step, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiGetMic", NULL, gssapi_get_mic, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiVerifyMic", NULL, gssapi_verify_mic, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gssapiNames", NULL, gssapi_names, NULL, NULL, NULL, napi_enumerable, NULL },
    { "skProviderLoad", NULL, sk_provider_load, NULL, NULL, NULL, napi_enumerable, NULL },
    { "skProviderEnroll", NULL, sk_provider_enroll, NULL, NULL, NULL, napi_enumerable, NULL },
    { "skProviderSign", NULL, sk_provider_sign, NULL, NULL, NULL, napi_enumerable, NULL },
    { "skProviderLoadResidentKeys", NULL, sk_provider_load_resident_keys, NULL, NULL, NULL, napi_enumerable, NULL },
#endif
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
