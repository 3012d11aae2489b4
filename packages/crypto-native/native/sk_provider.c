/*
 * OpenSSH security-key middleware libraries (SecurityKeyProvider, sk-api.h) for @ssh/keys'
 * MiddlewareBackend: load a provider, then enroll a credential, sign with one and list the
 * resident ones through it. Only the calls: what the results mean (key encodings, signature
 * formats, flags to store) is decided in TypeScript.
 *
 * Each call runs on the thread pool: a provider blocks until the user touches the authenticator
 * or it gives up. One call at a time per provider (a provider is not known to be reentrant, and
 * an authenticator serves one request at a time); a second one while another is in flight
 * throws ERR_SK_PROVIDER_BUSY, so callers queue them. The inputs are copied before the call (the
 * PIN and the key handle are wiped after it), and the responses are freed member by member with
 * free(), as OpenSSH frees them: the provider allocated them with malloc().
 *
 * A failing provider call rejects with an Error whose code is ERR_SK_PROVIDER and `status` the
 * provider's SSH_SK_ERR_* return; a response that breaks the ABI's rules (a missing key, a length
 * over the limits) with ERR_SK_PROVIDER_RESPONSE.
 */

#ifndef _WIN32 /* Unix provider libraries only: dlopen */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "napi_args.h"
#include "sk_api_abi.h"
#include "sk_provider.h"

#define MAX_PATH 4096
/* Longest application (FIDO relying party id) and device path. */
#define MAX_TEXT 4096
/* Longest PIN in bytes (CTAP2 PINs are at most 63). */
#define MAX_PIN 256
/* Longest user id (CTAP2's limit: 64 bytes). */
#define MAX_USER 64
#define MAX_CHALLENGE (64 * 1024)
/* Largest message signed (SSH signs session ids with a userauth request, SSHSIG a hash). */
#define MAX_MESSAGE (1024 * 1024)
#define MAX_KEY_HANDLE (64 * 1024)
/* Largest buffer taken from a response (attestation certificates are a few KiB). */
#define MAX_FIELD (1024 * 1024)
/* Most resident keys taken from one listing (authenticators hold a few dozen). */
#define MAX_RESIDENT 4096
/* Integers JavaScript numbers carry exactly. */
#define MAX_SAFE_INTEGER 9007199254740991.0

typedef struct {
  void *library;
  uint32_t version; /* what sk_api_version() returned */
  sk_enroll_fn enroll;
  sk_sign_fn sign;
  sk_load_resident_keys_fn load_resident_keys;
  int pending; /* calls in flight: 0 or 1 (changed on the main thread only) */
} sk_provider;

static const napi_type_tag PROVIDER_TAG = { 0x7c41d2e95b3a8f06ULL, 0x2f9e6b1d4c8a7053ULL };

/* Zeroes memory in a way the compiler may not drop as a dead store. */
static void cleanse(void *p, size_t n) {
  static void *(*const volatile wipe)(void *, int, size_t) = memset;
  if (p != NULL && n > 0) wipe(p, 0, n);
}

static void free_secret(void *p, size_t n) {
  cleanse(p, n);
  free(p);
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

/* An Error with `code` and `message`, carrying `status` when there is one; NULL on failure. */
static napi_value sk_error(napi_env env, const char *code, const char *message, const int *status) {
  napi_value code_value, text, error, value;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok) return NULL;
  if (napi_create_error(env, code_value, text, &error) != napi_ok) return NULL;
  if (status != NULL && napi_create_int32(env, *status, &value) == napi_ok) napi_set_named_property(env, error, "status", value);
  return error;
}

static napi_value throw_sk(napi_env env, const char *code, const char *message, const int *status) {
  napi_value error = sk_error(env, code, message, status);
  if (error != NULL) napi_throw(env, error);
  return NULL;
}

static bool is_nothing(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/*
 * A string argument of `min` to `max` UTF-8 bytes without NUL, copied into *out (malloc()ed, NUL
 * terminated); 0 after throwing TypeError `message`.
 */
static int get_text(napi_env env, napi_value value, size_t min, size_t max, char **out, size_t *out_length, const char *message) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok || length < min || length > max) {
    fail(env, "ERR_INVALID_ARG_TYPE", message, 0);
    return 0;
  }
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    fail(env, "ERR_MEMORY", "out of memory", 1);
    return 0;
  }
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, value, copy, length + 1, &copied) != napi_ok || copied != length || strlen(copy) != length) {
    free_secret(copy, length + 1);
    fail(env, "ERR_INVALID_ARG_TYPE", message, 0);
    return 0;
  }
  *out = copy;
  if (out_length != NULL) *out_length = length;
  return 1;
}

/* Bytes `data` copied into a Uint8Array, or NULL. */
static napi_value bytes_value(napi_env env, const uint8_t *data, size_t length) {
  void *out = NULL;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, length, &out, &buffer) != napi_ok) return NULL;
  if (length > 0) memcpy(out, data, length);
  if (napi_create_typedarray(env, napi_uint8_array, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

static bool set_bytes(napi_env env, napi_value object, const char *name, const uint8_t *data, size_t length) {
  napi_value v = bytes_value(env, data, length);
  return v != NULL && napi_set_named_property(env, object, name, v) == napi_ok;
}

static bool set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value v;
  return napi_create_double(env, number, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok;
}

/* ------------------------------------------------------------------ loading */

static void unload(sk_provider *p) {
  if (p->library != NULL) dlclose(p->library);
  p->library = NULL;
}

static void finalize_provider(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sk_provider *p = data;
  if (p->pending > 0) return; /* only at shutdown (a call holds its provider): leave it mapped */
  unload(p);
  free(p);
}

#define LOOKUP(field, name)                                 \
  do {                                                      \
    *(void **)(&(field)) = dlsym(library, name);            \
    if ((field) == NULL && missing == NULL) missing = name; \
  } while (0)

/*
 * skProviderLoad(path: string): provider, an object with the provider's `version`. Throws
 * ERR_SK_PROVIDER_LOAD when the library cannot be loaded or lacks a function of sk-api.h, and
 * ERR_SK_PROVIDER_VERSION (with `version`) when it implements a major not declared in sk_api_abi.h.
 */
napi_value sk_provider_load(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  char path[MAX_PATH];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 || length >= sizeof path - 1 || strlen(path) != length) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "the provider must be a library path", 0);
  }
  char message[MAX_PATH + 256];
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *why = dlerror();
    snprintf(message, sizeof message, "cannot load the security-key provider: %s", why != NULL ? why : path);
    return throw_sk(env, "ERR_SK_PROVIDER_LOAD", message, NULL);
  }
  sk_api_version_fn api_version = NULL;
  sk_provider found;
  memset(&found, 0, sizeof found);
  const char *missing = NULL;
  LOOKUP(api_version, "sk_api_version");
  if (api_version == NULL) {
    dlclose(library);
    snprintf(message, sizeof message, "%s is not a security-key provider (no sk_api_version)", path);
    return throw_sk(env, "ERR_SK_PROVIDER_LOAD", message, NULL);
  }
  uint32_t version = api_version();
  uint32_t major = version & SSH_SK_VERSION_MAJOR_MASK;
  if (major < SSH_SK_VERSION_OLDEST || major > SSH_SK_VERSION_NEWEST) {
    dlclose(library);
    snprintf(message, sizeof message,
             "%s implements security-key API version 0x%08x; supported are majors 0x%08x to 0x%08x (the providers of OpenSSH 8.4 to 10.x)", path,
             version, SSH_SK_VERSION_OLDEST, SSH_SK_VERSION_NEWEST);
    napi_value error = sk_error(env, "ERR_SK_PROVIDER_VERSION", message, NULL);
    napi_value v;
    if (error != NULL && napi_create_uint32(env, version, &v) == napi_ok) napi_set_named_property(env, error, "version", v);
    if (error != NULL) napi_throw(env, error);
    return NULL;
  }
  LOOKUP(found.enroll, "sk_enroll");
  LOOKUP(found.sign, "sk_sign");
  LOOKUP(found.load_resident_keys, "sk_load_resident_keys");
  if (missing != NULL) {
    dlclose(library);
    snprintf(message, sizeof message, "%s is not a security-key provider (no %s)", path, missing);
    return throw_sk(env, "ERR_SK_PROVIDER_LOAD", message, NULL);
  }
  sk_provider *p = malloc(sizeof *p);
  if (p == NULL) {
    dlclose(library);
    return fail(env, "ERR_MEMORY", "out of memory", 1);
  }
  *p = found;
  p->library = library;
  p->version = version;
  napi_value object = wrap_state(env, p, finalize_provider, &PROVIDER_TAG, 0);
  if (object == NULL) return NULL;
  napi_value v;
  if (napi_create_uint32(env, version, &v) != napi_ok) return NULL;
  napi_property_descriptor property = { "version", NULL, NULL, NULL, NULL, v, napi_enumerable, NULL };
  if (napi_define_properties(env, object, 1, &property) != napi_ok) return NULL;
  return object;
}

/* ------------------------------------------------------------------ responses */

/* An enroll response's fields, whichever layout it has. */
typedef struct {
  bool has_flags;
  uint8_t flags;
  uint8_t *public_key;
  size_t public_key_len;
  uint8_t *key_handle;
  size_t key_handle_len;
  uint8_t *signature;
  size_t signature_len;
  uint8_t *attestation_cert;
  size_t attestation_cert_len;
  uint8_t *authdata;
  size_t authdata_len;
} enroll_view;

static enroll_view view_v7(const sk_enroll_response_v7 *r) {
  enroll_view v = { false, 0, r->public_key, r->public_key_len, r->key_handle, r->key_handle_len, r->signature, r->signature_len,
                    r->attestation_cert, r->attestation_cert_len, r->authdata, r->authdata_len };
  return v;
}

static enroll_view view_v9(const sk_enroll_response_v9 *r) {
  enroll_view v = { true, r->flags, r->public_key, r->public_key_len, r->key_handle, r->key_handle_len, r->signature, r->signature_len,
                    r->attestation_cert, r->attestation_cert_len, r->authdata, r->authdata_len };
  return v;
}

static bool enroll_flags_first(uint32_t version) {
  return (version & SSH_SK_VERSION_MAJOR_MASK) >= SSH_SK_VERSION_ENROLL_FLAGS;
}

static void free_view(const enroll_view *v) {
  free(v->public_key);
  free_secret(v->key_handle, v->key_handle_len);
  free(v->signature);
  free(v->attestation_cert);
  free(v->authdata);
}

static void free_enroll_response(uint32_t version, void *response) {
  if (response == NULL) return;
  if (enroll_flags_first(version)) {
    enroll_view v = view_v9(response);
    free_view(&v);
    free_secret(response, sizeof(sk_enroll_response_v9));
  } else {
    enroll_view v = view_v7(response);
    free_view(&v);
    free_secret(response, sizeof(sk_enroll_response_v7));
  }
}

static void free_sign_response(sk_sign_response *r) {
  if (r == NULL) return;
  free(r->sig_r);
  free(r->sig_s);
  free_secret(r, sizeof *r);
}

/* A resident key's fields, whichever layout it has. */
typedef struct {
  uint32_t alg;
  size_t slot;
  char *application;
  enroll_view key;
  uint8_t flags;
  uint8_t *user_id;
  size_t user_id_len;
} resident_view;

static resident_view view_resident(uint32_t version, const void *rk) {
  uint32_t major = version & SSH_SK_VERSION_MAJOR_MASK;
  resident_view v;
  memset(&v, 0, sizeof v);
  if (major >= SSH_SK_VERSION_ENROLL_FLAGS) {
    const sk_resident_key_v9 *r = rk;
    v = (resident_view){ r->alg, r->slot, r->application, view_v9(&r->key), r->flags, r->user_id, r->user_id_len };
  } else if (major >= SSH_SK_VERSION_USER_ID) {
    const sk_resident_key_v8 *r = rk;
    v = (resident_view){ r->alg, r->slot, r->application, view_v7(&r->key), r->flags, r->user_id, r->user_id_len };
  } else {
    const sk_resident_key_v7 *r = rk;
    v = (resident_view){ r->alg, r->slot, r->application, view_v7(&r->key), r->flags, NULL, 0 };
  }
  return v;
}

static size_t resident_size(uint32_t version) {
  uint32_t major = version & SSH_SK_VERSION_MAJOR_MASK;
  if (major >= SSH_SK_VERSION_ENROLL_FLAGS) return sizeof(sk_resident_key_v9);
  if (major >= SSH_SK_VERSION_USER_ID) return sizeof(sk_resident_key_v8);
  return sizeof(sk_resident_key_v7);
}

static void free_resident_keys(uint32_t version, void **rks, size_t nrks) {
  if (rks == NULL) return;
  /* A count past the limit is not trusted to describe the array: only its first entries are freed. */
  if (nrks > MAX_RESIDENT) nrks = MAX_RESIDENT;
  for (size_t i = 0; i < nrks; i++) {
    if (rks[i] == NULL) continue;
    resident_view v = view_resident(version, rks[i]);
    free(v.application);
    free_view(&v.key);
    free(v.user_id);
    free_secret(rks[i], resident_size(version));
  }
  free(rks);
}

/* Whether a response buffer is usable: a pointer for any bytes, within the limit. */
static bool field_ok(const uint8_t *data, size_t length) {
  return (data != NULL || length == 0) && length <= MAX_FIELD;
}

static bool view_ok(const enroll_view *v) {
  return v->public_key != NULL && v->public_key_len > 0 && v->key_handle != NULL && v->key_handle_len > 0 && field_ok(v->public_key, v->public_key_len) &&
         field_ok(v->key_handle, v->key_handle_len) && field_ok(v->signature, v->signature_len) &&
         field_ok(v->attestation_cert, v->attestation_cert_len) && field_ok(v->authdata, v->authdata_len);
}

/* ------------------------------------------------------------------ calls */

typedef enum { CALL_ENROLL, CALL_SIGN, CALL_LOAD } sk_call;

static const char *const CALL_NAMES[] = { "sk_enroll", "sk_sign", "sk_load_resident_keys" };

static char DEVICE_OPTION[] = "device";
static char USER_OPTION[] = "user";

typedef struct {
  sk_call call;
  sk_provider *provider;
  uint32_t version; /* the provider's, for the response layout */
  napi_ref provider_ref;
  napi_async_work work;
  napi_deferred deferred;
  uint32_t alg;
  uint8_t flags;
  uint8_t *data; /* the challenge or the message */
  size_t data_len;
  char *application;
  uint8_t *key_handle;
  size_t key_handle_len;
  char *pin;
  size_t pin_len;
  sk_option device;
  sk_option user;
  sk_option *options[3];
  int status;
  void *response; /* enroll: the layout of `version`; sign: sk_sign_response */
  void **rks;
  size_t nrks;
} sk_job;

static void free_job(sk_job *job) {
  free(job->data);
  free(job->application);
  free_secret(job->key_handle, job->key_handle_len);
  if (job->pin != NULL) free_secret(job->pin, job->pin_len + 1);
  free(job->device.value);
  free(job->user.value);
  free(job);
}

/* The provider of argument `value`, idle, or NULL after throwing. */
static sk_provider *get_provider(napi_env env, napi_value value) {
  sk_provider *p = unwrap_state(env, value, &PROVIDER_TAG);
  if (p == NULL) fail(env, "ERR_INVALID_ARG_TYPE", "not a security-key provider", 0);
  else if (p->pending > 0) throw_sk(env, "ERR_SK_PROVIDER_BUSY", "the security-key provider is in the middle of another call", NULL);
  else return p;
  return NULL;
}

static sk_job *new_job(napi_env env, sk_call call, sk_provider *p) {
  sk_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    fail(env, "ERR_MEMORY", "out of memory", 1);
    return NULL;
  }
  job->call = call;
  job->provider = p;
  job->version = p->version;
  return job;
}

/* Argument `value` (a byte string of at most `max` bytes) copied into *out; 0 after throwing. */
static int copy_bytes(napi_env env, napi_value value, size_t max, uint8_t **out, size_t *out_length, const char *message) {
  bytes b;
  if (!get_bytes(env, value, &b)) {
    fail(env, "ERR_INVALID_ARG_TYPE", message, 0);
    return 0;
  }
  if (b.length > max) {
    fail(env, "ERR_OUT_OF_RANGE", message, 1);
    return 0;
  }
  *out = malloc(b.length > 0 ? b.length : 1); /* never NULL: the provider may not expect it */
  if (*out == NULL) {
    fail(env, "ERR_MEMORY", "out of memory", 1);
    return 0;
  }
  if (b.length > 0) memcpy(*out, b.data, b.length);
  *out_length = b.length;
  return 1;
}

static int get_alg(napi_env env, napi_value value, uint32_t *out) {
  int alg = 0;
  if (!get_int(env, value, SSH_SK_ECDSA, SSH_SK_ED25519, &alg)) {
    fail(env, "ERR_INVALID_ARG_TYPE", "the algorithm must be 0 (ECDSA P-256) or 1 (Ed25519)", 0);
    return 0;
  }
  *out = (uint32_t)alg;
  return 1;
}

static int get_flags(napi_env env, napi_value value, uint8_t *out) {
  int flags = 0;
  if (!get_int(env, value, 0, 0xff, &flags)) {
    fail(env, "ERR_INVALID_ARG_TYPE", "the flags must be an integer from 0 to 255", 0);
    return 0;
  }
  *out = (uint8_t)flags;
  return 1;
}

/* The PIN (a string, or null or undefined for none) and the device option (likewise). */
static int get_pin_and_device(napi_env env, napi_value pin, napi_value device, sk_job *job) {
  if (!is_nothing(env, pin) && !get_text(env, pin, 0, MAX_PIN, &job->pin, &job->pin_len, "the PIN must be a string of at most 256 bytes without NUL, or null")) {
    return 0;
  }
  if (!is_nothing(env, device)) {
    if (!get_text(env, device, 1, MAX_TEXT, &job->device.value, NULL, "the device must be a non-empty string without NUL, or null")) return 0;
    job->device.name = DEVICE_OPTION;
  }
  return 1;
}

/* The user id for an enrollment: 1 to 64 bytes, none of them zero (the ABI passes a C string). */
static int get_user(napi_env env, napi_value value, sk_job *job) {
  if (is_nothing(env, value)) return 1;
  bytes b;
  if (!get_bytes(env, value, &b) || b.length == 0 || b.length > MAX_USER || memchr(b.data, 0, b.length) != NULL) {
    fail(env, "ERR_INVALID_ARG_TYPE", "the user must be a Uint8Array of 1 to 64 non-zero bytes, or null", 0);
    return 0;
  }
  job->user.value = malloc(b.length + 1);
  if (job->user.value == NULL) {
    fail(env, "ERR_MEMORY", "out of memory", 1);
    return 0;
  }
  memcpy(job->user.value, b.data, b.length);
  job->user.value[b.length] = '\0';
  job->user.name = USER_OPTION;
  return 1;
}

static void sk_execute(napi_env env, void *data) {
  (void)env;
  sk_job *job = data;
  size_t n = 0;
  if (job->device.name != NULL) job->options[n++] = &job->device;
  if (job->user.name != NULL) job->options[n++] = &job->user;
  job->options[n] = NULL;
  sk_option **options = n > 0 ? job->options : NULL; /* as OpenSSH passes them: NULL when there are none */
  sk_provider *p = job->provider;
  switch (job->call) {
    case CALL_ENROLL:
      job->status = p->enroll(job->alg, job->data, job->data_len, job->application, job->flags, job->pin, options, &job->response);
      break;
    case CALL_SIGN: {
      sk_sign_response *response = NULL;
      job->status = p->sign(job->alg, job->data, job->data_len, job->application, job->key_handle, job->key_handle_len, job->flags, job->pin, options,
                            &response);
      job->response = response;
      break;
    }
    case CALL_LOAD:
      job->status = p->load_resident_keys(job->pin, options, &job->rks, &job->nrks);
      break;
  }
  /* The inputs are no longer needed; the secrets among them go now rather than at completion. */
  if (job->pin != NULL) cleanse(job->pin, job->pin_len);
  cleanse(job->key_handle, job->key_handle_len);
}

/* { flags, publicKey, keyHandle, signature, attestationCertificate, authData }, or NULL with *problem set. */
static napi_value enroll_result(napi_env env, sk_job *job, const char **problem) {
  if (job->response == NULL) {
    *problem = "sk_enroll succeeded without a response";
    return NULL;
  }
  enroll_view v = enroll_flags_first(job->version) ? view_v9(job->response) : view_v7(job->response);
  if (!view_ok(&v)) {
    *problem = "sk_enroll returned a response without a public key or key handle, or with a field over 1 MiB";
    return NULL;
  }
  napi_value object;
  /* Before major 9 the key takes the flags asked for, as OpenSSH then stored them. */
  if (napi_create_object(env, &object) != napi_ok || !set_number(env, object, "flags", v.has_flags ? v.flags : job->flags) ||
      !set_bytes(env, object, "publicKey", v.public_key, v.public_key_len) || !set_bytes(env, object, "keyHandle", v.key_handle, v.key_handle_len) ||
      !set_bytes(env, object, "signature", v.signature, v.signature_len) ||
      !set_bytes(env, object, "attestationCertificate", v.attestation_cert, v.attestation_cert_len) ||
      !set_bytes(env, object, "authData", v.authdata, v.authdata_len)) {
    return NULL;
  }
  return object;
}

/* { flags, counter, sigR, sigS }, or NULL with *problem set. */
static napi_value sign_result(napi_env env, sk_job *job, const char **problem) {
  const sk_sign_response *r = job->response;
  if (r == NULL) {
    *problem = "sk_sign succeeded without a response";
    return NULL;
  }
  if (r->sig_r == NULL || r->sig_r_len == 0 || !field_ok(r->sig_r, r->sig_r_len) || !field_ok(r->sig_s, r->sig_s_len)) {
    *problem = "sk_sign returned a response without a signature, or with a field over 1 MiB";
    return NULL;
  }
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok || !set_number(env, object, "flags", r->flags) || !set_number(env, object, "counter", r->counter) ||
      !set_bytes(env, object, "sigR", r->sig_r, r->sig_r_len) || !set_bytes(env, object, "sigS", r->sig_s, r->sig_s_len)) {
    return NULL;
  }
  return object;
}

/* [{ alg, slot, application, publicKey, keyHandle, flags, userId }], or NULL with *problem set. */
static napi_value load_result(napi_env env, sk_job *job, const char **problem) {
  if (job->nrks > MAX_RESIDENT || (job->rks == NULL && job->nrks > 0)) {
    *problem = "sk_load_resident_keys returned more than 4096 keys, or a count without keys";
    return NULL;
  }
  napi_value list;
  if (napi_create_array_with_length(env, job->nrks, &list) != napi_ok) return NULL;
  for (size_t i = 0; i < job->nrks; i++) {
    if (job->rks[i] == NULL) {
      *problem = "sk_load_resident_keys returned an empty entry";
      return NULL;
    }
    resident_view v = view_resident(job->version, job->rks[i]);
    size_t app_length = v.application == NULL ? 0 : strnlen(v.application, MAX_TEXT + 1);
    if (app_length == 0 || app_length > MAX_TEXT || !view_ok(&v.key) || !field_ok(v.user_id, v.user_id_len) || (double)v.slot > MAX_SAFE_INTEGER) {
      *problem = "sk_load_resident_keys returned a key without an application, public key or key handle, or with a field over its limit";
      return NULL;
    }
    napi_value item, application;
    if (napi_create_object(env, &item) != napi_ok || !set_number(env, item, "alg", v.alg) || !set_number(env, item, "slot", (double)v.slot) ||
        napi_create_string_utf8(env, v.application, app_length, &application) != napi_ok ||
        napi_set_named_property(env, item, "application", application) != napi_ok ||
        !set_bytes(env, item, "publicKey", v.key.public_key, v.key.public_key_len) ||
        !set_bytes(env, item, "keyHandle", v.key.key_handle, v.key.key_handle_len) || !set_number(env, item, "flags", v.flags) ||
        !set_bytes(env, item, "userId", v.user_id, v.user_id_len) || napi_set_element(env, list, (uint32_t)i, item) != napi_ok) {
      return NULL;
    }
  }
  return list;
}

static const char *status_name(int status) {
  switch (status) {
    case SSH_SK_ERR_GENERAL: return "SSH_SK_ERR_GENERAL";
    case SSH_SK_ERR_UNSUPPORTED: return "SSH_SK_ERR_UNSUPPORTED";
    case SSH_SK_ERR_PIN_REQUIRED: return "SSH_SK_ERR_PIN_REQUIRED";
    case SSH_SK_ERR_DEVICE_NOT_FOUND: return "SSH_SK_ERR_DEVICE_NOT_FOUND";
    case SSH_SK_ERR_CREDENTIAL_EXISTS: return "SSH_SK_ERR_CREDENTIAL_EXISTS";
    default: return "an unknown error";
  }
}

static void sk_complete(napi_env env, napi_status status, void *data) {
  sk_job *job = data;
  job->provider->pending--;
  const char *call = CALL_NAMES[job->call];
  napi_value result = NULL;
  bool resolved = false;
  char message[160];
  if (status != napi_ok) {
    snprintf(message, sizeof message, "%s was cancelled", call);
    result = sk_error(env, "ERR_SK_PROVIDER", message, NULL);
  } else if (job->status != 0) {
    snprintf(message, sizeof message, "%s failed: %s (%d)", call, status_name(job->status), job->status);
    result = sk_error(env, "ERR_SK_PROVIDER", message, &job->status);
  } else {
    const char *problem = NULL;
    switch (job->call) {
      case CALL_ENROLL: result = enroll_result(env, job, &problem); break;
      case CALL_SIGN: result = sign_result(env, job, &problem); break;
      case CALL_LOAD: result = load_result(env, job, &problem); break;
    }
    if (result != NULL) resolved = true;
    else if (problem != NULL) result = sk_error(env, "ERR_SK_PROVIDER_RESPONSE", problem, NULL);
  }
  if (result == NULL) {
    /* A Node-API call failed on the way (out of memory): reject with its exception, if any. */
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending || napi_get_and_clear_last_exception(env, &result) != napi_ok) result = NULL;
    if (result == NULL) result = sk_error(env, "ERR_SK_PROVIDER", "could not convert the provider's response", NULL);
    resolved = false;
  }
  if (result == NULL) napi_get_undefined(env, &result);
  if (resolved) napi_resolve_deferred(env, job->deferred, result);
  else napi_reject_deferred(env, job->deferred, result);
  switch (job->call) {
    case CALL_ENROLL: free_enroll_response(job->version, job->response); break;
    case CALL_SIGN: free_sign_response(job->response); break;
    case CALL_LOAD: free_resident_keys(job->version, job->rks, job->nrks); break;
  }
  napi_delete_async_work(env, job->work);
  napi_delete_reference(env, job->provider_ref);
  free_job(job);
}

/* Queues `job` on the thread pool and returns its promise; frees it and returns NULL after throwing. */
static napi_value start(napi_env env, napi_value provider_value, sk_job *job) {
  napi_value promise, name;
  if (napi_create_reference(env, provider_value, 1, &job->provider_ref) != napi_ok) goto failed;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) goto failed_ref;
  if (napi_create_string_utf8(env, CALL_NAMES[job->call], NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, sk_execute, sk_complete, job, &job->work) != napi_ok) {
    goto failed_ref; /* the deferred is dropped unsettled: its promise is never returned */
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    goto failed_ref;
  }
  job->provider->pending++;
  return promise;
failed_ref:
  napi_delete_reference(env, job->provider_ref);
failed:
  free_job(job);
  return fail(env, "ERR_SK_PROVIDER", "cannot start the security-key call", 0);
}

/*
 * skProviderEnroll(provider, alg, challenge: Uint8Array, application: string, flags, pin: string | null,
 * device: string | null, user: Uint8Array | null): Promise<enroll result>
 */
napi_value sk_provider_enroll(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, 8, argv)) return NULL;
  sk_provider *p = get_provider(env, argv[0]);
  if (p == NULL) return NULL;
  sk_job *job = new_job(env, CALL_ENROLL, p);
  if (job == NULL) return NULL;
  if (!get_alg(env, argv[1], &job->alg) ||
      !copy_bytes(env, argv[2], MAX_CHALLENGE, &job->data, &job->data_len, "the challenge must be a Uint8Array of at most 64 KiB") ||
      !get_text(env, argv[3], 1, MAX_TEXT, &job->application, NULL, "the application must be a non-empty string without NUL") ||
      !get_flags(env, argv[4], &job->flags) || !get_pin_and_device(env, argv[5], argv[6], job) || !get_user(env, argv[7], job)) {
    free_job(job);
    return NULL;
  }
  return start(env, argv[0], job);
}

/*
 * skProviderSign(provider, alg, message: Uint8Array, application: string, keyHandle: Uint8Array, flags,
 * pin: string | null, device: string | null): Promise<sign result>
 */
napi_value sk_provider_sign(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, 8, argv)) return NULL;
  sk_provider *p = get_provider(env, argv[0]);
  if (p == NULL) return NULL;
  sk_job *job = new_job(env, CALL_SIGN, p);
  if (job == NULL) return NULL;
  if (!get_alg(env, argv[1], &job->alg) ||
      !copy_bytes(env, argv[2], MAX_MESSAGE, &job->data, &job->data_len, "the message must be a Uint8Array of at most 1 MiB") ||
      !get_text(env, argv[3], 1, MAX_TEXT, &job->application, NULL, "the application must be a non-empty string without NUL") ||
      !copy_bytes(env, argv[4], MAX_KEY_HANDLE, &job->key_handle, &job->key_handle_len, "the key handle must be a Uint8Array of at most 64 KiB") ||
      !get_flags(env, argv[5], &job->flags) || !get_pin_and_device(env, argv[6], argv[7], job)) {
    free_job(job);
    return NULL;
  }
  if (job->key_handle_len == 0) {
    free_job(job);
    return fail(env, "ERR_INVALID_ARG_TYPE", "the key handle must not be empty", 0);
  }
  return start(env, argv[0], job);
}

/* skProviderLoadResidentKeys(provider, pin: string | null, device: string | null): Promise<resident key[]> */
napi_value sk_provider_load_resident_keys(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  sk_provider *p = get_provider(env, argv[0]);
  if (p == NULL) return NULL;
  sk_job *job = new_job(env, CALL_LOAD, p);
  if (job == NULL) return NULL;
  if (!get_pin_and_device(env, argv[1], argv[2], job)) {
    free_job(job);
    return NULL;
  }
  return start(env, argv[0], job);
}

#endif
