/*
 * SSH compression (RFC 4253 §6.2, zlib and zlib@openssh.com) on node's own zlib, through
 * Node-API: one deflate or inflate stream per direction, each packet's payload compressed with a
 * partial flush and inflated with a sync flush. node:zlib runs a stream only asynchronously, on
 * the thread pool, which a sans-I/O transport cannot wait for; its pure JavaScript stand-in
 * deflates about half as fast. Node re-exports zlib's symbols for addons, so this links against
 * the zlib node runs.
 *
 * Inflating stops at a caller's limit (a compression bomb is refused, not buffered), and a
 * stream that failed once refuses every later call: zlib's state after an error is not to be
 * trusted, and neither is the peer.
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <zlib.h>

#include "napi_args.h"
#include "zlib_stream.h"

/* What a stream holds outside the JS heap, roughly (deflate at level 6 with 15 window bits and
 * memory level 8 takes about 256 KiB, inflate about 40 KiB), told to V8 so that dropped streams
 * are collected before they add up. */
#define DEFLATE_EXTERNAL_BYTES (300 * 1024)
#define INFLATE_EXTERNAL_BYTES (48 * 1024)
/* First size of a stream's output buffer; it doubles as needed and is kept for the next call. */
#define FIRST_OUTPUT (64 * 1024)
/* The largest per-packet inflate limit taken (OpenSSH takes packets up to 256 KiB). */
#define MAX_INFLATE_LIMIT (64 * 1024 * 1024)
/* The largest payload deflated in one call. */
#define MAX_DEFLATE_INPUT (64 * 1024 * 1024)

/* inflate()'s results besides a buffer: what the JavaScript side turns into CompressionError. */
#define RESULT_OVER_LIMIT -100
#define RESULT_BROKEN -101
#define RESULT_STREAM_END -102

typedef struct {
  z_stream z;
  int deflating;
  int ready;  /* initialised, not yet ended */
  int broken; /* failed once: refuses further calls */
  unsigned char *out;
  size_t capacity;
} zlib_state;

static const napi_type_tag ZLIB_TAG = { 0x7373687a6c69625fULL, 0x73747265616d5f31ULL };

static void zlib_free(napi_env env, void *data, void *hint) {
  zlib_state *s = data;
  if (hint != NULL) {
    int64_t ignored;
    napi_adjust_external_memory(env, -(int64_t)(s->deflating ? DEFLATE_EXTERNAL_BYTES : INFLATE_EXTERNAL_BYTES), &ignored);
  }
  if (s->ready) {
    if (s->deflating) deflateEnd(&s->z);
    else inflateEnd(&s->z);
  }
  free(s->out);
  free(s);
}

static napi_value throw_range(napi_env env, const char *message) {
  return fail(env, "ERR_SSH_NATIVE_ARGUMENT", message, 1);
}

static zlib_state *get_state(napi_env env, napi_value value, int deflating) {
  zlib_state *s = unwrap_state(env, value, &ZLIB_TAG);
  return s != NULL && s->deflating == deflating ? s : NULL;
}

/* Room for at least one more byte of output after `used`, growing the buffer up to `most`. */
static int ensure_room(zlib_state *s, size_t used, size_t most) {
  if (used < s->capacity) return 1;
  if (s->capacity >= most) return 0;
  size_t next = s->capacity == 0 ? FIRST_OUTPUT : s->capacity * 2;
  if (next > most) next = most;
  unsigned char *p = realloc(s->out, next);
  if (p == NULL) return 0;
  s->out = p;
  s->capacity = next;
  return 1;
}

static napi_value number(napi_env env, int value) {
  napi_value result;
  if (napi_create_int32(env, value, &result) != napi_ok) return NULL;
  return result;
}

/* Marks the stream broken and returns the failure's code. */
static napi_value failed(napi_env env, zlib_state *s, int code) {
  s->broken = 1;
  s->z.next_in = NULL;
  return number(env, code);
}

/* zlibCreate(deflating: boolean, level: -1..9): stream */
napi_value zlib_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  bool deflating = false;
  int level = 0;
  if (argc < 2 || napi_get_value_bool(env, argv[0], &deflating) != napi_ok || !get_int(env, argv[1], -1, 9, &level))
    return throw_range(env, "zlibCreate(deflating: boolean, level: -1 to 9)");
  zlib_state *s = calloc(1, sizeof *s);
  if (s == NULL) return throw_range(env, "out of memory");
  s->deflating = deflating ? 1 : 0;
  int rc = deflating ? deflateInit2(&s->z, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) : inflateInit2(&s->z, 15);
  if (rc != Z_OK) {
    zlib_free(env, s, NULL);
    return throw_range(env, "zlib initialisation failed");
  }
  s->ready = 1;
  return wrap_state(env, s, zlib_free, &ZLIB_TAG, deflating ? DEFLATE_EXTERNAL_BYTES : INFLATE_EXTERNAL_BYTES);
}

/* The first `used` bytes of the stream's buffer, as a new Buffer. */
static napi_value output(napi_env env, zlib_state *s, size_t used) {
  napi_value result;
  void *ignored = NULL;
  if (napi_create_buffer_copy(env, used, used > 0 ? s->out : (void *)"", &ignored, &result) != napi_ok) return NULL;
  return result;
}

/*
 * The stream's data through one call's input: deflated with a partial flush or inflated with a
 * sync flush, into the stream's buffer, at most `limit` bytes (one byte of room past it tells
 * "exactly the limit" from "more"). A Buffer of the output, or the failure's code.
 */
static napi_value run_stream(napi_env env, zlib_state *s, const bytes *input, size_t limit) {
  size_t most = limit + 1;
  size_t used = 0;
  s->z.next_in = input->data;
  s->z.avail_in = (uInt)input->length;
  for (;;) {
    if (!ensure_room(s, used, most)) return failed(env, s, Z_MEM_ERROR);
    uInt in_before = s->z.avail_in;
    size_t used_before = used;
    s->z.next_out = s->out + used;
    s->z.avail_out = (uInt)(s->capacity - used);
    int rc = s->deflating ? deflate(&s->z, Z_PARTIAL_FLUSH) : inflate(&s->z, Z_SYNC_FLUSH);
    used = s->capacity - s->z.avail_out;
    if (used > limit) return failed(env, s, RESULT_OVER_LIMIT);
    if (rc == Z_STREAM_END) return failed(env, s, RESULT_STREAM_END);
    if (rc == Z_NEED_DICT) return failed(env, s, Z_DATA_ERROR); /* SSH's streams have no preset dictionary */
    if (rc != Z_OK && rc != Z_BUF_ERROR) return failed(env, s, rc);
    /* Done once a call took all the input and left output room: nothing is pending (a flush is
     * complete). A Z_BUF_ERROR then only says that there was nothing left to do. */
    if (s->z.avail_in == 0 && s->z.avail_out > 0) break;
    if (s->z.avail_in == in_before && used == used_before) return failed(env, s, Z_BUF_ERROR);
  }
  s->z.next_in = NULL;
  return output(env, s, used);
}

/* zlibDeflate(stream, payload: Uint8Array): Buffer (the payload compressed, partially flushed) | number (failed) */
napi_value zlib_deflate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  zlib_state *s = argc >= 2 ? get_state(env, argv[0], 1) : NULL;
  bytes input;
  if (s == NULL || !get_bytes(env, argv[1], &input)) return throw_range(env, "zlibDeflate(deflate stream, payload: Uint8Array)");
  if (input.length > MAX_DEFLATE_INPUT) return throw_range(env, "zlibDeflate: payload too long");
  if (s->broken) return number(env, RESULT_BROKEN);
  /* Partial flushing adds a few bytes per call and five per stored block of up to 16 KiB: more
   * output than that means something is wrong. */
  return run_stream(env, s, &input, input.length + input.length / 1024 + 1024);
}

/*
 * zlibInflate(stream, data: Uint8Array, limit: 1..64 MiB): Buffer | number
 * Inflates data (sync-flushed by the sender) into at most `limit` bytes. A number means failure:
 * -100 more than `limit` bytes, -101 the stream failed before, -102 the stream ended (SSH's never
 * does), or zlib's own error code. Any failure leaves the stream refusing further calls.
 */
napi_value zlib_inflate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  zlib_state *s = argc >= 3 ? get_state(env, argv[0], 0) : NULL;
  bytes input;
  int limit = 0;
  if (s == NULL || !get_bytes(env, argv[1], &input) || !get_int(env, argv[2], 1, MAX_INFLATE_LIMIT, &limit))
    return throw_range(env, "zlibInflate(inflate stream, data: Uint8Array, limit: 1 to 64 MiB)");
  if (input.length > UINT_MAX) return throw_range(env, "zlibInflate: data too long");
  if (s->broken) return number(env, RESULT_BROKEN);
  return run_stream(env, s, &input, (size_t)limit);
}
