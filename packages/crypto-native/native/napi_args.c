/* Argument checks shared by the binding's functions (see napi_args.h). */

#include <limits.h>
#include <stdbool.h>

#include "napi_args.h"

napi_value fail(napi_env env, const char *code, const char *message, int range) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  if (range) napi_throw_range_error(env, code, message);
  else napi_throw_type_error(env, code, message);
  return NULL;
}

int get_bytes(napi_env env, napi_value value, bytes *out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  static unsigned char empty[1];
  out->data = data != NULL ? data : empty; /* a zero-length view may have no storage */
  out->length = length;
  return 1;
}

int get_index(napi_env env, napi_value value, size_t *out) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok) return 0;
  if (!(d >= 0 && d <= (double)INT_MAX) || d != (double)(int64_t)d) return 0;
  *out = (size_t)d;
  return 1;
}

int get_int(napi_env env, napi_value value, int min, int max, int *out) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok) return 0;
  if (!(d >= min && d <= max) || d != (double)(int64_t)d) return 0;
  *out = (int)d;
  return 1;
}

int get_parts(napi_env env, napi_value value, bytes parts[MAX_PARTS]) {
  bool is_array = false;
  if (napi_is_array(env, value, &is_array) != napi_ok) return -1;
  if (!is_array) {
    if (!get_bytes(env, value, &parts[0])) {
      fail(env, "ERR_INVALID_ARG_TYPE", "parts must be Uint8Arrays", 0);
      return -1;
    }
    return 1;
  }
  uint32_t count = 0;
  if (napi_get_array_length(env, value, &count) != napi_ok) return -1;
  if (count > MAX_PARTS) {
    fail(env, "ERR_OUT_OF_RANGE", "too many parts", 1);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, value, i, &element) != napi_ok) return -1;
    if (!get_bytes(env, element, &parts[i])) {
      fail(env, "ERR_INVALID_ARG_TYPE", "parts must be Uint8Arrays", 0);
      return -1;
    }
  }
  return (int)count;
}

int overlaps(const bytes *a, const unsigned char *b, size_t b_length) {
  if (a->length == 0 || b_length == 0) return 0;
  return a->data < b + b_length && b < a->data + a->length;
}

napi_value wrap_state(napi_env env, void *data, napi_finalize finalize, const napi_type_tag *tag, int64_t external) {
  static int counted; /* the non-NULL hint */
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok) {
    finalize(env, data, NULL);
    return fail(env, "ERR_SSH_NATIVE_STATE", "could not make the state object", 1);
  }
  if (napi_wrap(env, object, data, finalize, &counted, NULL) != napi_ok) {
    finalize(env, data, NULL);
    return fail(env, "ERR_SSH_NATIVE_STATE", "could not wrap the state", 1);
  }
  int64_t ignored;
  napi_adjust_external_memory(env, external, &ignored);
  if (napi_type_tag_object(env, object, tag) != napi_ok) return fail(env, "ERR_SSH_NATIVE_STATE", "could not tag the state", 1);
  return object;
}

void *unwrap_state(napi_env env, napi_value value, const napi_type_tag *tag) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object) return NULL;
  bool ours = false;
  if (napi_check_object_type_tag(env, value, tag, &ours) != napi_ok || !ours) return NULL;
  void *data = NULL;
  if (napi_unwrap(env, value, &data) != napi_ok) return NULL;
  return data;
}
