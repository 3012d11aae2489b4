/*
 * PKCS#11 tokens (smart cards, HSMs, SoftHSM) for @ssh/keys' loadPkcs11Keys: load a provider
 * module, list its tokens, log in, find objects, read their attributes and sign with a private
 * key. Only the calls; what the attributes mean (key types, curves, SSH encodings) is decided in
 * TypeScript. Signing runs on the thread pool: a hardware token can take a second per signature.
 *
 * Each failing PKCS#11 call throws an Error with code ERR_PKCS11, the call's name in the message
 * and its CK_RV in `rv`. Handles (slots, sessions, objects) cross to JavaScript as numbers.
 */

#ifndef _WIN32 /* Unix provider modules only: dlopen and the Unix ABI */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "napi_args.h"
#include "pkcs11.h"
#include "pkcs11_abi.h"

/* Largest attribute value read (certificates and RSA moduli are far smaller). */
#define MAX_ATTRIBUTE (1024 * 1024)
/* Largest signature (8192-bit RSA is 1024 bytes); a module asking for more is broken. */
#define MAX_SIGNATURE 4096
/* Largest input signed in one call (SSH signs session ids with a userauth request). */
#define MAX_SIGN_INPUT (1024 * 1024)
/* Most attribute types read in one call. */
#define MAX_TYPES 16
/* Integers JavaScript numbers carry exactly. */
#define MAX_SAFE_HANDLE 9007199254740991.0

typedef struct {
  void *library;
  ck_function_list *fn;
  bool finalize; /* C_Initialize succeeded here (not ALREADY_INITIALIZED by someone else) */
  bool closed;
  int pending; /* signatures in flight: close waits for none (changed on the main thread only) */
} p11_module;

static const napi_type_tag MODULE_TAG = { 0x5a1b7d3c2e4f6a80ULL, 0x9c8d7e6f5a4b3c2dULL };

/* An Error with code ERR_PKCS11 and `message`, carrying the CK_RV in `rv` when there is one; NULL on failure. */
static napi_value pkcs11_error(napi_env env, const char *message, const ck_rv *rv) {
  napi_value code, text, error, value;
  if (napi_create_string_utf8(env, "ERR_PKCS11", NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok) return NULL;
  if (napi_create_error(env, code, text, &error) != napi_ok) return NULL;
  if (rv != NULL && napi_create_double(env, (double)*rv, &value) == napi_ok) napi_set_named_property(env, error, "rv", value);
  return error;
}

/* "<call> failed: CK_RV 0x<rv>" into `out`. */
static void rv_message(char *out, size_t size, const char *call, ck_rv rv) {
  snprintf(out, size, "%s failed: CK_RV 0x%lx", call, rv);
}

static napi_value throw_rv(napi_env env, const char *call, ck_rv rv) {
  char message[96];
  rv_message(message, sizeof message, call, rv);
  napi_value error = pkcs11_error(env, message, &rv);
  if (error != NULL) napi_throw(env, error);
  return NULL;
}

static void unload(p11_module *m) {
  if (m->closed) return;
  m->closed = true;
  if (m->finalize) m->fn->C_Finalize(NULL);
  dlclose(m->library);
}

static void finalize_module(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  p11_module *m = data;
  if (m->pending > 0) return; /* only at shutdown (a signature holds its module): leave it mapped */
  unload(m);
  free(m);
}

/* The open module of argument `value`, or NULL after throwing. */
static p11_module *get_module(napi_env env, napi_value value) {
  p11_module *m = unwrap_state(env, value, &MODULE_TAG);
  if (m == NULL) fail(env, "ERR_INVALID_ARG_TYPE", "not a PKCS#11 module", 0);
  else if (m->closed) fail(env, "ERR_PKCS11_CLOSED", "the PKCS#11 module is closed", 0);
  else return m;
  return NULL;
}

static int get_handle(napi_env env, napi_value value, ck_ulong *out) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0 && d <= MAX_SAFE_HANDLE) || d != (double)(unsigned long long)d) {
    fail(env, "ERR_INVALID_ARG_TYPE", "PKCS#11 handles are non-negative integers", 0);
    return 0;
  }
  *out = (ck_ulong)d;
  return 1;
}

static napi_value handle_value(napi_env env, ck_ulong handle) {
  napi_value v;
  if ((double)handle > MAX_SAFE_HANDLE) return fail(env, "ERR_PKCS11_HANDLE", "the module returned a handle above 2^53", 1);
  if (napi_create_double(env, (double)handle, &v) != napi_ok) return NULL;
  return v;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
    return 0;
  }
  return 1;
}

/* pkcs11Load(path: string): module */
napi_value pkcs11_load(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  char path[4096];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 || length >= sizeof path - 1) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "the provider must be a library path", 0);
  }
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *why = dlerror();
    char message[512];
    snprintf(message, sizeof message, "cannot load PKCS#11 provider: %s", why != NULL ? why : path);
    napi_throw_error(env, "ERR_PKCS11_PROVIDER", message);
    return NULL;
  }
  ck_get_function_list get_list = (ck_get_function_list)dlsym(library, "C_GetFunctionList");
  ck_function_list *fn = NULL;
  if (get_list == NULL || get_list(&fn) != CKR_OK || fn == NULL || fn->version.major != 2) {
    dlclose(library);
    napi_throw_error(env, "ERR_PKCS11_PROVIDER", "not a PKCS#11 2.x provider (no usable C_GetFunctionList)");
    return NULL;
  }
  ck_c_initialize_args init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
  ck_rv rv = fn->C_Initialize(&init);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    dlclose(library);
    return throw_rv(env, "C_Initialize", rv);
  }
  p11_module *m = calloc(1, sizeof *m);
  if (m == NULL) {
    if (rv == CKR_OK) fn->C_Finalize(NULL);
    dlclose(library);
    return fail(env, "ERR_MEMORY", "out of memory", 1);
  }
  m->library = library;
  m->fn = fn;
  m->finalize = rv == CKR_OK;
  return wrap_state(env, m, finalize_module, &MODULE_TAG, 0);
}

/* pkcs11Close(module): undefined; refused while signatures are in flight */
napi_value pkcs11_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  p11_module *m = unwrap_state(env, argv[0], &MODULE_TAG);
  if (m == NULL) return fail(env, "ERR_INVALID_ARG_TYPE", "not a PKCS#11 module", 0);
  if (m->pending > 0) return fail(env, "ERR_PKCS11_BUSY", "the PKCS#11 module is signing", 0);
  unload(m);
  return NULL;
}

static napi_value padded_text(napi_env env, const unsigned char *field, size_t size) {
  while (size > 0 && (field[size - 1] == ' ' || field[size - 1] == 0)) size--;
  napi_value v;
  if (napi_create_string_latin1(env, (const char *)field, size, &v) != napi_ok) return NULL;
  return v;
}

/* pkcs11Tokens(module): { slot, label, manufacturer, model, serial, flags }[] for slots holding a token */
napi_value pkcs11_tokens(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  if (m == NULL) return NULL;
  ck_ulong count = 0;
  ck_rv rv = m->fn->C_GetSlotList(1, NULL, &count);
  if (rv != CKR_OK) return throw_rv(env, "C_GetSlotList", rv);
  if (count > 4096) return fail(env, "ERR_PKCS11_SLOTS", "the module reports too many slots", 1);
  ck_slot_id *slots = calloc(count > 0 ? count : 1, sizeof *slots);
  if (slots == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  rv = m->fn->C_GetSlotList(1, slots, &count);
  napi_value list = NULL;
  if (rv != CKR_OK) throw_rv(env, "C_GetSlotList", rv);
  else if (napi_create_array(env, &list) == napi_ok) {
    uint32_t n = 0;
    for (ck_ulong i = 0; i < count && list != NULL; i++) {
      ck_token_info t;
      memset(&t, 0, sizeof t);
      if (m->fn->C_GetTokenInfo(slots[i], &t) != CKR_OK) continue; /* removed meanwhile */
      napi_value item, flags;
      napi_value slot = handle_value(env, slots[i]);
      if (slot == NULL || napi_create_object(env, &item) != napi_ok || napi_create_double(env, (double)t.flags, &flags) != napi_ok ||
          napi_set_named_property(env, item, "slot", slot) != napi_ok ||
          napi_set_named_property(env, item, "label", padded_text(env, t.label, sizeof t.label)) != napi_ok ||
          napi_set_named_property(env, item, "manufacturer", padded_text(env, t.manufacturer_id, sizeof t.manufacturer_id)) != napi_ok ||
          napi_set_named_property(env, item, "model", padded_text(env, t.model, sizeof t.model)) != napi_ok ||
          napi_set_named_property(env, item, "serial", padded_text(env, t.serial_number, sizeof t.serial_number)) != napi_ok ||
          napi_set_named_property(env, item, "flags", flags) != napi_ok || napi_set_element(env, list, n++, item) != napi_ok) {
        list = NULL;
      }
    }
  }
  free(slots);
  return list;
}

/* pkcs11OpenSession(module, slot): session handle (read-only serial session) */
napi_value pkcs11_open_session(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong slot = 0;
  if (m == NULL || !get_handle(env, argv[1], &slot)) return NULL;
  ck_session_handle session = 0;
  ck_rv rv = m->fn->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session);
  if (rv != CKR_OK) return throw_rv(env, "C_OpenSession", rv);
  return handle_value(env, session);
}

/* pkcs11CloseSession(module, session): undefined */
napi_value pkcs11_close_session(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong session = 0;
  if (m == NULL || !get_handle(env, argv[1], &session)) return NULL;
  ck_rv rv = m->fn->C_CloseSession(session);
  if (rv != CKR_OK) return throw_rv(env, "C_CloseSession", rv);
  return NULL;
}

/* pkcs11Login(module, session, pin: Uint8Array | null): undefined (null: the token's own PIN pad) */
napi_value pkcs11_login(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong session = 0;
  if (m == NULL || !get_handle(env, argv[1], &session)) return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[2], &type) != napi_ok) return NULL;
  bytes pin = { NULL, 0 };
  if (type != napi_null && !get_bytes(env, argv[2], &pin)) return fail(env, "ERR_INVALID_ARG_TYPE", "the PIN must be a Uint8Array or null", 0);
  ck_rv rv = m->fn->C_Login(session, CKU_USER, pin.data, (ck_ulong)pin.length);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return throw_rv(env, "C_Login", rv);
  return NULL;
}

/* pkcs11FindObjects(module, session, objectClass): object handles */
napi_value pkcs11_find_objects(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong session = 0;
  ck_ulong object_class = 0;
  if (m == NULL || !get_handle(env, argv[1], &session) || !get_handle(env, argv[2], &object_class)) return NULL;
  ck_attribute templ = { CKA_CLASS, &object_class, sizeof object_class };
  ck_rv rv = m->fn->C_FindObjectsInit(session, &templ, 1);
  if (rv != CKR_OK) return throw_rv(env, "C_FindObjectsInit", rv);
  napi_value list;
  if (napi_create_array(env, &list) != napi_ok) list = NULL;
  uint32_t n = 0;
  while (list != NULL) {
    ck_object_handle found[32];
    ck_ulong count = 0;
    rv = m->fn->C_FindObjects(session, found, 32, &count);
    if (rv != CKR_OK) {
      throw_rv(env, "C_FindObjects", rv);
      list = NULL;
      break;
    }
    if (count == 0 || count > 32) break;
    for (ck_ulong i = 0; i < count && list != NULL; i++) {
      napi_value v = handle_value(env, found[i]);
      if (v == NULL || napi_set_element(env, list, n++, v) != napi_ok) list = NULL;
    }
    if (n > 100000) break; /* a module that never ends its search */
  }
  m->fn->C_FindObjectsFinal(session);
  return list;
}

/* pkcs11GetAttributes(module, session, object, types: number[]): (Uint8Array | null)[] (null: absent or secret) */
napi_value pkcs11_get_attributes(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong session = 0;
  ck_ulong object = 0;
  if (m == NULL || !get_handle(env, argv[1], &session) || !get_handle(env, argv[2], &object)) return NULL;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[3], &count) != napi_ok || count == 0 || count > MAX_TYPES) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "attribute types must be an array of 1 to 16 numbers", 0);
  }
  ck_attribute templ[MAX_TYPES];
  memset(templ, 0, sizeof templ);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[3], i, &element) != napi_ok || !get_handle(env, element, &templ[i].type)) return NULL;
  }
  /* First the lengths, one attribute at a time: a module answers a sensitive or unknown attribute
     in a batch with an error that leaves the others' lengths unspecified in some versions. */
  for (uint32_t i = 0; i < count; i++) {
    ck_attribute one = { templ[i].type, NULL, 0 };
    ck_rv rv = m->fn->C_GetAttributeValue(session, object, &one, 1);
    templ[i].value_len = rv == CKR_OK && one.value_len <= MAX_ATTRIBUTE ? one.value_len : CK_UNAVAILABLE_INFORMATION;
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID) return throw_rv(env, "C_GetAttributeValue", rv);
  }
  napi_value list;
  if (napi_create_array_with_length(env, count, &list) != napi_ok) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    if (templ[i].value_len == CK_UNAVAILABLE_INFORMATION) {
      if (napi_get_null(env, &v) != napi_ok) return NULL;
    } else {
      void *data = NULL;
      napi_value buffer;
      if (napi_create_arraybuffer(env, templ[i].value_len, &data, &buffer) != napi_ok) return NULL;
      ck_attribute one = { templ[i].type, templ[i].value_len > 0 ? data : NULL, templ[i].value_len };
      ck_rv rv = templ[i].value_len > 0 ? m->fn->C_GetAttributeValue(session, object, &one, 1) : CKR_OK;
      if (rv != CKR_OK) return throw_rv(env, "C_GetAttributeValue", rv);
      if (one.value_len > templ[i].value_len) return fail(env, "ERR_PKCS11_ATTRIBUTE", "the module wrote past an attribute's length", 1);
      if (napi_create_typedarray(env, napi_uint8_array, one.value_len, buffer, 0, &v) != napi_ok) return NULL;
    }
    if (napi_set_element(env, list, i, v) != napi_ok) return NULL;
  }
  return list;
}

typedef struct {
  p11_module *module;
  napi_ref module_ref;
  napi_async_work work;
  napi_deferred deferred;
  ck_session_handle session;
  ck_object_handle key;
  ck_ulong mechanism;
  unsigned char *input;
  ck_ulong input_len;
  unsigned char signature[MAX_SIGNATURE];
  ck_ulong signature_len;
  ck_rv rv;
  const char *failed_call;
} sign_job;

static void sign_execute(napi_env env, void *data) {
  (void)env;
  sign_job *job = data;
  ck_function_list *fn = job->module->fn;
  ck_mechanism mechanism = { job->mechanism, NULL, 0 };
  job->rv = fn->C_SignInit(job->session, &mechanism, job->key);
  if (job->rv != CKR_OK) {
    job->failed_call = "C_SignInit";
    return;
  }
  job->signature_len = MAX_SIGNATURE;
  job->rv = fn->C_Sign(job->session, job->input, job->input_len, job->signature, &job->signature_len);
  if (job->rv != CKR_OK) job->failed_call = "C_Sign";
}

static void sign_complete(napi_env env, napi_status status, void *data) {
  sign_job *job = data;
  job->module->pending--;
  napi_value result = NULL;
  bool reject = true;
  char text[96];
  if (status != napi_ok) {
    result = pkcs11_error(env, "the signature was cancelled", NULL);
  } else if (job->rv != CKR_OK) {
    rv_message(text, sizeof text, job->failed_call, job->rv);
    result = pkcs11_error(env, text, &job->rv);
  } else if (job->signature_len > MAX_SIGNATURE) {
    result = pkcs11_error(env, "the module returned an oversized signature", NULL);
  } else {
    void *out = NULL;
    napi_value buffer;
    if (napi_create_arraybuffer(env, job->signature_len, &out, &buffer) == napi_ok &&
        napi_create_typedarray(env, napi_uint8_array, job->signature_len, buffer, 0, &result) == napi_ok) {
      memcpy(out, job->signature, job->signature_len);
      reject = false;
    }
  }
  if (result == NULL) napi_get_undefined(env, &result);
  if (reject) napi_reject_deferred(env, job->deferred, result);
  else napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  napi_delete_reference(env, job->module_ref);
  free(job->input);
  free(job);
}

/* pkcs11Sign(module, session, key, mechanism, data: Uint8Array): Promise<Uint8Array>, on the thread pool */
napi_value pkcs11_sign(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, 5, argv)) return NULL;
  p11_module *m = get_module(env, argv[0]);
  ck_ulong session = 0;
  ck_ulong key = 0;
  ck_ulong mechanism = 0;
  bytes input;
  if (m == NULL || !get_handle(env, argv[1], &session) || !get_handle(env, argv[2], &key) || !get_handle(env, argv[3], &mechanism)) return NULL;
  if (!get_bytes(env, argv[4], &input)) return fail(env, "ERR_INVALID_ARG_TYPE", "the data must be a Uint8Array", 0);
  if (input.length > MAX_SIGN_INPUT) return fail(env, "ERR_OUT_OF_RANGE", "too much data to sign", 1);
  sign_job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  job->input = malloc(input.length > 0 ? input.length : 1);
  if (job->input == NULL) {
    free(job);
    return fail(env, "ERR_MEMORY", "out of memory", 1);
  }
  memcpy(job->input, input.data, input.length); /* the caller's buffer may change before the thread runs */
  job->input_len = (ck_ulong)input.length;
  job->module = m;
  job->session = session;
  job->key = key;
  job->mechanism = mechanism;
  napi_value promise, name;
  if (napi_create_reference(env, argv[0], 1, &job->module_ref) != napi_ok) goto failed;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) goto failed_ref;
  if (napi_create_string_utf8(env, "ssh:pkcs11Sign", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, sign_execute, sign_complete, job, &job->work) != napi_ok) {
    goto failed_ref; /* the deferred is dropped unsettled: its promise is never returned */
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    goto failed_ref;
  }
  m->pending++;
  return promise;
failed_ref:
  napi_delete_reference(env, job->module_ref);
failed:
  free(job->input);
  free(job);
  return fail(env, "ERR_PKCS11", "cannot start the signature", 0);
}

#endif
