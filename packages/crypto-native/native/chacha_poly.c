/*
 * chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305) on node's own OpenSSL, through
 * Node-API. The 64-byte key is K_2 (the payload's, first) and K_1 (the length's, last); the nonce
 * is the packet's sequence number as a 64-bit big-endian integer. The length is encrypted with
 * K_1 from block 0, the payload with K_2 from block 1, the Poly1305 key is K_2's block 0, and the
 * tag covers the encrypted length and the ciphertext.
 *
 * node:crypto has ChaCha20 but no standalone Poly1305, so @ssh/crypto's fallback computes the tag
 * in WebAssembly and makes a cipher object and fresh buffers per packet. Here both ChaCha20 keys
 * keep one EVP context each and Poly1305 one EVP_MAC context (OpenSSL 3), all for as long as the
 * keys live; a packet sets the nonce and is written into a buffer the caller allocated.
 *
 * OpenSSL's ChaCha20 takes a 16-byte IV: a 32-bit little-endian block counter, then 12 bytes of
 * nonce. The original construction's 64-bit counter and 64-bit nonce are that IV with the
 * counter's high word zero (no SSH packet reaches 2^32 blocks).
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "chacha_poly.h"
#include "napi_args.h"

#define KEY_LENGTH 64
#define LENGTH_FIELD 4
#define TAG_LENGTH 16
#define POLY_KEY_LENGTH 32
/* What one state holds outside the JS heap (three contexts), told to V8. */
#define STATE_EXTERNAL_BYTES 2048

typedef struct {
  EVP_CIPHER_CTX *main; /* K_2: the payload and the Poly1305 key */
  EVP_CIPHER_CTX *header; /* K_1: the length field */
  EVP_MAC_CTX *poly;
  int sealing;
} chacha_state;

static const napi_type_tag CHACHA_TAG = { 0x737368636861636bULL, 0x615f706f6c795f31ULL };

static void chacha_free(napi_env env, void *data, void *hint) {
  chacha_state *s = data;
  if (hint != NULL) {
    int64_t ignored;
    napi_adjust_external_memory(env, -STATE_EXTERNAL_BYTES, &ignored);
  }
  EVP_CIPHER_CTX_free(s->main); /* cleanses the key */
  EVP_CIPHER_CTX_free(s->header);
  EVP_MAC_CTX_free(s->poly);
  free(s);
}

/* Whether the OpenSSL node runs has EVP_MAC (3.0 on); without it nothing here is called. */
static int have_evp_mac(void) {
  return OpenSSL_version_num() >= 0x30000000UL;
}

/* The context's IV for packet `seq` from block `counter`. */
static int set_iv(EVP_CIPHER_CTX *ctx, uint32_t seq, uint32_t counter) {
  unsigned char iv[16] = { 0 };
  iv[0] = (unsigned char)counter;
  iv[1] = (unsigned char)(counter >> 8);
  iv[2] = (unsigned char)(counter >> 16);
  iv[3] = (unsigned char)(counter >> 24);
  iv[12] = (unsigned char)(seq >> 24);
  iv[13] = (unsigned char)(seq >> 16);
  iv[14] = (unsigned char)(seq >> 8);
  iv[15] = (unsigned char)seq;
  return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) == 1;
}

static int xor_stream(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t length) {
  int n = 0;
  return length == 0 || (length <= (size_t)INT_MAX && EVP_CipherUpdate(ctx, out, &n, in, (int)length) == 1 && (size_t)n == length);
}

/* Starts the packet's Poly1305 with the key from K_2's block 0 (which also leaves K_2 at block 1). */
static int begin_poly(chacha_state *s, uint32_t seq) {
  static const unsigned char zeros[64];
  unsigned char block[64];
  int ok = set_iv(s->main, seq, 0) && xor_stream(s->main, block, zeros, sizeof block) && EVP_MAC_init(s->poly, block, POLY_KEY_LENGTH, NULL) == 1;
  OPENSSL_cleanse(block, sizeof block);
  return ok;
}

/* chachaCreate(key: Uint8Array(64), sealing: boolean): state */
napi_value chacha_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2)
    return fail(env, "ERR_INVALID_ARG_TYPE", "chachaCreate(key, sealing)", 0);
  bytes key;
  bool sealing = false;
  if (!get_bytes(env, argv[0], &key) || napi_get_value_bool(env, argv[1], &sealing) != napi_ok)
    return fail(env, "ERR_INVALID_ARG_TYPE", "chachaCreate(key: Uint8Array, sealing: boolean)", 0);
  if (key.length != KEY_LENGTH) return fail(env, "ERR_CRYPTO_INVALID_KEYLEN", "chacha20-poly1305 key must be 64 bytes", 1);
  if (!have_evp_mac()) return fail(env, "ERR_CRYPTO_UNSUPPORTED_OPERATION", "node's OpenSSL has no EVP_MAC (3.0 or later needed)", 1);

  chacha_state *s = calloc(1, sizeof *s);
  if (s == NULL) return fail(env, "ERR_MEMORY_ALLOCATION_FAILED", "out of memory", 1);
  s->sealing = sealing ? 1 : 0;
  s->main = EVP_CIPHER_CTX_new();
  s->header = EVP_CIPHER_CTX_new();
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
  s->poly = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
  EVP_MAC_free(mac); /* the context keeps its own reference */
  /* ChaCha20 is a stream cipher: encrypting and decrypting are the same operation. */
  if (s->main == NULL || s->header == NULL || s->poly == NULL ||
      EVP_CipherInit_ex(s->main, EVP_chacha20(), NULL, key.data, NULL, 1) != 1 ||
      EVP_CipherInit_ex(s->header, EVP_chacha20(), NULL, key.data + 32, NULL, 1) != 1) {
    chacha_free(env, s, NULL);
    return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "chacha20-poly1305 initialisation failed", 1);
  }
  return wrap_state(env, s, chacha_free, &CHACHA_TAG, STATE_EXTERNAL_BYTES);
}

/* The call's `count` arguments, the state (sealing or opening as asked) and the sequence number; NULL after throwing. */
static chacha_state *call_state(napi_env env, napi_callback_info info, size_t count, napi_value *argv, int sealing, uint32_t *seq, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) {
    fail(env, "ERR_INVALID_ARG_TYPE", usage, 0);
    return NULL;
  }
  chacha_state *data = unwrap_state(env, argv[0], &CHACHA_TAG);
  if (data == NULL || data->sealing != sealing) {
    fail(env, "ERR_INVALID_ARG_TYPE", sealing ? "needs a sealing chacha20-poly1305 state" : "needs an opening chacha20-poly1305 state", 0);
    return NULL;
  }
  double d = -1;
  if (napi_get_value_double(env, argv[1], &d) != napi_ok || !(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    fail(env, "ERR_OUT_OF_RANGE", "the sequence number must be an integer from 0 to 2^32 - 1", 1);
    return NULL;
  }
  *seq = (uint32_t)d;
  return data;
}

/*
 * chachaSeal(state, seq, lengthField: Uint8Array(4 or 0), parts: Uint8Array | Uint8Array[], out, at): void
 * Writes the encrypted length, the encrypted parts and the tag into out from `at`. The parts may
 * not overlap the output, but for a single part right after the length field (in place). Without
 * a length field (OpenSSH's private key files) the tag covers the ciphertext alone.
 */
napi_value chacha_seal(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  uint32_t seq = 0;
  chacha_state *s = call_state(env, info, 6, argv, 1, &seq, "chachaSeal(state, seq, lengthField, parts, out, at)");
  if (s == NULL) return NULL;
  bytes length_field, out;
  size_t at = 0;
  if (!get_bytes(env, argv[2], &length_field) || !get_bytes(env, argv[4], &out) || !get_index(env, argv[5], &at))
    return fail(env, "ERR_INVALID_ARG_TYPE", "chachaSeal(state, seq, lengthField: Uint8Array, parts, out: Uint8Array, at: number)", 0);
  if (length_field.length != LENGTH_FIELD && length_field.length != 0) return fail(env, "ERR_OUT_OF_RANGE", "the length field is 4 bytes (or none)", 1);
  size_t head = length_field.length;
  bytes parts[MAX_PARTS];
  int count = get_parts(env, argv[3], parts);
  if (count < 0) return NULL;
  size_t total = 0;
  for (int i = 0; i < count; i++) total += parts[i].length;
  if (total > (size_t)INT_MAX - LENGTH_FIELD - TAG_LENGTH || at > out.length || out.length - at < head + total + TAG_LENGTH)
    return fail(env, "ERR_OUT_OF_RANGE", "output too small for length, ciphertext and tag", 1);
  unsigned char *dst = out.data + at;
  size_t span = head + total + TAG_LENGTH;
  for (int i = 0; i < count; i++) {
    int in_place = count == 1 && parts[i].data == dst + head;
    if (!in_place && overlaps(&parts[i], dst, span)) return fail(env, "ERR_OUT_OF_RANGE", "parts overlap the output", 1);
  }
  if (overlaps(&length_field, dst, span)) return fail(env, "ERR_OUT_OF_RANGE", "the length field overlaps the output", 1);

  int ok = (head == 0 || (set_iv(s->header, seq, 0) && xor_stream(s->header, dst, length_field.data, head))) && begin_poly(s, seq);
  size_t written = head;
  for (int i = 0; ok && i < count; i++) {
    ok = xor_stream(s->main, dst + written, parts[i].data, parts[i].length);
    written += parts[i].length;
  }
  size_t tag_length = TAG_LENGTH;
  ok = ok && EVP_MAC_update(s->poly, dst, written) == 1 && EVP_MAC_final(s->poly, dst + written, &tag_length, TAG_LENGTH) == 1 && tag_length == TAG_LENGTH;
  if (!ok) return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "chacha20-poly1305 seal failed", 1);
  return NULL;
}

/* chachaLength(state, seq, head: Uint8Array(>= 4)): number, the packet length field decrypted. */
napi_value chacha_length(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t seq = 0;
  chacha_state *s = call_state(env, info, 3, argv, 0, &seq, "chachaLength(state, seq, head)");
  if (s == NULL) return NULL;
  bytes head;
  if (!get_bytes(env, argv[2], &head) || head.length < LENGTH_FIELD) return fail(env, "ERR_OUT_OF_RANGE", "chachaLength needs the 4 bytes of the length field", 1);
  unsigned char plain[LENGTH_FIELD];
  if (!set_iv(s->header, seq, 0) || !xor_stream(s->header, plain, head.data, LENGTH_FIELD))
    return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "chacha20-poly1305 length failed", 1);
  uint32_t length = ((uint32_t)plain[0] << 24) | ((uint32_t)plain[1] << 16) | ((uint32_t)plain[2] << 8) | plain[3];
  napi_value result;
  if (napi_create_uint32(env, length, &result) != napi_ok) return NULL;
  return result;
}

/*
 * chachaOpen(state, seq, packet: Uint8Array, lengthField: 4 | 0, out: Uint8Array): boolean
 * packet = encrypted length (4 bytes, or none) || ciphertext || tag. Checks the tag first; only
 * when it is right decrypts the ciphertext into out[0, n) (out may be the ciphertext itself).
 */
napi_value chacha_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t seq = 0;
  chacha_state *s = call_state(env, info, 5, argv, 0, &seq, "chachaOpen(state, seq, packet, lengthField, out)");
  if (s == NULL) return NULL;
  bytes packet, out;
  size_t head = 0;
  if (!get_bytes(env, argv[2], &packet) || !get_index(env, argv[3], &head) || !get_bytes(env, argv[4], &out))
    return fail(env, "ERR_INVALID_ARG_TYPE", "chachaOpen(state, seq, packet: Uint8Array, lengthField: number, out: Uint8Array)", 0);
  if (head != LENGTH_FIELD && head != 0) return fail(env, "ERR_OUT_OF_RANGE", "the length field is 4 bytes (or none)", 1);
  if (packet.length > (size_t)INT_MAX || packet.length < head + TAG_LENGTH)
    return fail(env, "ERR_OUT_OF_RANGE", "packet shorter than its length field and tag", 1);
  size_t n = packet.length - head - TAG_LENGTH;
  if (out.length < n) return fail(env, "ERR_OUT_OF_RANGE", "output too small for the plaintext", 1);
  if (overlaps(&out, packet.data, packet.length) && out.data != packet.data + head)
    return fail(env, "ERR_OUT_OF_RANGE", "output overlaps the packet", 1);

  unsigned char tag[TAG_LENGTH];
  size_t tag_length = sizeof tag;
  int ok = begin_poly(s, seq) && EVP_MAC_update(s->poly, packet.data, head + n) == 1 &&
           EVP_MAC_final(s->poly, tag, &tag_length, sizeof tag) == 1 && tag_length == TAG_LENGTH;
  if (!ok) return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "chacha20-poly1305 open failed", 1);
  int right = CRYPTO_memcmp(tag, packet.data + head + n, TAG_LENGTH) == 0;
  /* Unauthenticated bytes are never decrypted; K_2 already stands at block 1 for the payload. */
  if (right && !xor_stream(s->main, out.data, packet.data + head, n))
    return fail(env, "ERR_CRYPTO_OPERATION_FAILED", "chacha20-poly1305 open failed", 1);
  napi_value result;
  if (napi_get_boolean(env, right, &result) != napi_ok) return NULL;
  return result;
}
