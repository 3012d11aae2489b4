/*
 * Argument checks shared by the binding's functions: every buffer, index and part list that
 * JavaScript passes is checked here before C touches it.
 */
#ifndef SSH_NAPI_ARGS_H
#define SSH_NAPI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

/* Most parts one seal takes (a packet is at most a header, a payload, a tail and padding). */
#define MAX_PARTS 8

typedef struct {
  unsigned char *data;
  size_t length;
} bytes;

/* Throws (unless an exception is already pending) and returns NULL, Node-API's undefined. */
napi_value fail(napi_env env, const char *code, const char *message, int range);

/* A Uint8Array argument (any other typed array or DataView is refused: lengths would be in elements). */
int get_bytes(napi_env env, napi_value value, bytes *out);

/* A non-negative integer up to INT_MAX. */
int get_index(napi_env env, napi_value value, size_t *out);

/* An integer from min to max. */
int get_int(napi_env env, napi_value value, int min, int max, int *out);

/* A Uint8Array, or an array of at most MAX_PARTS of them, into parts[]; their count, or -1 after throwing. */
int get_parts(napi_env env, napi_value value, bytes parts[MAX_PARTS]);

/*
 * A new object wrapping `data`, type-tagged `tag` (Node-API's wrap slot is shared by every addon,
 * so an object another addon wrapped must never be taken for one of ours), with `external` bytes
 * told to V8 so that dropped states are collected before they add up. `finalize` gets a non-NULL
 * hint when those bytes were counted. On failure `data` is finalized (NULL hint) and NULL
 * returned, after throwing.
 */
napi_value wrap_state(napi_env env, void *data, napi_finalize finalize, const napi_type_tag *tag, int64_t external);

/* The data of an object wrap_state made with `tag`; NULL for anything else. */
void *unwrap_state(napi_env env, napi_value value, const napi_type_tag *tag);

/* Whether a's bytes and [b, b + b_length) share memory. */
int overlaps(const bytes *a, const unsigned char *b, size_t b_length);

#endif
