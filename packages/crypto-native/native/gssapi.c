/*
 * GSS-API (RFC 2743, C bindings RFC 2744) for gssapi-with-mic user authentication (RFC 4462 §3),
 * through MIT Kerberos' libgssapi_krb5.so.2, dlopen()ed on first use: the binding neither links
 * against it nor needs its headers (gssapi_abi.h), and without the library every call throws
 * ERR_GSSAPI_UNAVAILABLE. Only the Kerberos V5 mechanism (1.2.840.113554.1.2.2) is used, and
 * names are host-based services ('host@server.example', GSS_C_NT_HOSTBASED_SERVICE).
 *
 * A security context is a type-tagged state freed when collected. Each step of its establishment
 * (gss_init_sec_context, gss_accept_sec_context) runs on the thread pool and returns a promise:
 * the library may ask the KDC for a service ticket, or a replay cache on disk, before it answers.
 * Acquiring credentials (the credential cache, the keytab), MICs and names are local and
 * synchronous.
 *
 * The library reads KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME from the environment of the
 * process, as MIT's library always does.
 *
 * Failing calls throw (or reject with) an Error whose code is ERR_GSSAPI, with `major` and `minor`
 * status numbers and the library's own text for both in the message.
 */

#ifndef _WIN32 /* Unix only: dlopen and the Unix GSS-API ABI */

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "gssapi.h"
#include "gssapi_abi.h"
#include "napi_args.h"

/* Largest token taken or given (Kerberos tokens with a PAC are a few KiB; SSH packets are smaller). */
#define MAX_TOKEN (256 * 1024)
/* Largest data a MIC covers (RFC 4462 §3.5: a session id, a user name and two short names). */
#define MAX_MIC_DATA (64 * 1024)
/* Longest service name ('host@' and a DNS name). */
#define MAX_SERVICE 1024
#define MESSAGE_SIZE 512

typedef struct {
  void *handle;
  gss_import_name_fn import_name;
  gss_display_name_fn display_name;
  gss_release_name_fn release_name;
  gss_release_buffer_fn release_buffer;
  gss_release_cred_fn release_cred;
  gss_acquire_cred_fn acquire_cred;
  gss_init_sec_context_fn init_sec_context;
  gss_accept_sec_context_fn accept_sec_context;
  gss_delete_sec_context_fn delete_sec_context;
  gss_get_mic_fn get_mic;
  gss_verify_mic_fn verify_mic;
  gss_inquire_context_fn inquire_context;
  gss_display_status_fn display_status;
} gss_library;

static gss_library lib;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned char KRB5_OID[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };           /* 1.2.840.113554.1.2.2 */
static unsigned char HOSTBASED_OID[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04 }; /* 1.2.840.113554.1.2.1.4 */
static gss_oid_desc krb5_mech = { sizeof KRB5_OID, KRB5_OID };
static gss_oid_desc nt_hostbased = { sizeof HOSTBASED_OID, HOSTBASED_OID };
static gss_oid_set_desc krb5_only = { 1, &krb5_mech };

typedef struct {
  gss_ctx ctx;
  gss_name target; /* initiator: the service it authenticates to; acceptor: the service it accepts as */
  gss_cred cred;   /* acceptor: the credential for that service, acquired on its first step */
  gss_uint32 flags; /* initiator: the flags asked for; then those granted */
  bool initiator;
  bool busy;      /* a step is on the thread pool */
  bool complete;  /* established */
} gss_state;

static const napi_type_tag CONTEXT_TAG = { 0x3e5d8c1f7a2b4d60ULL, 0xa4c3b2e1d0f98716ULL };

/* ------------------------------------------------------------------ errors */

/* The library's text for `status` of `type`, appended to out. */
static void append_status(char *out, size_t size, gss_uint32 status, int type) {
  gss_uint32 context = 0;
  int rounds = 0;
  do {
    gss_uint32 minor = 0;
    gss_buffer_desc text = { 0, NULL };
    gss_uint32 major = lib.display_status(&minor, status, type, type == GSS_C_MECH_CODE ? &krb5_mech : NULL, &context, &text);
    if (GSS_ERROR(major)) break;
    size_t used = strlen(out);
    if (used + 3 < size && text.length > 0) {
      snprintf(out + used, size - used, "%s%.*s", used > 0 ? "; " : "", (int)text.length, (const char *)text.value);
    }
    lib.release_buffer(&minor, &text);
  } while (context != 0 && ++rounds < 8);
}

static void describe(char *out, size_t size, const char *call, gss_uint32 major, gss_uint32 minor) {
  char detail[MESSAGE_SIZE] = "";
  if (major & 0xffff0000u) append_status(detail, sizeof detail, major, GSS_C_GSS_CODE);
  if (minor != 0) append_status(detail, sizeof detail, minor, GSS_C_MECH_CODE);
  snprintf(out, size, "%s failed: %s (major 0x%x, minor %u)", call, detail[0] ? detail : "unknown error", major, minor);
}

static napi_value gss_error_value(napi_env env, const char *text, gss_uint32 major, gss_uint32 minor) {
  napi_value code, message, error, value;
  if (napi_create_string_utf8(env, "ERR_GSSAPI", NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok) return NULL;
  if (napi_create_error(env, code, message, &error) != napi_ok) return NULL;
  if (napi_create_uint32(env, major, &value) == napi_ok) napi_set_named_property(env, error, "major", value);
  if (napi_create_uint32(env, minor, &value) == napi_ok) napi_set_named_property(env, error, "minor", value);
  return error;
}

static napi_value throw_gss(napi_env env, const char *call, gss_uint32 major, gss_uint32 minor) {
  char text[MESSAGE_SIZE + 96];
  describe(text, sizeof text, call, major, minor);
  napi_value error = gss_error_value(env, text, major, minor);
  if (error != NULL) napi_throw(env, error);
  return NULL;
}

/* ------------------------------------------------------------------ loading */

static bool loaded(void) {
  pthread_mutex_lock(&load_lock);
  bool yes = lib.handle != NULL;
  pthread_mutex_unlock(&load_lock);
  return yes;
}

static bool require_loaded(napi_env env) {
  if (loaded()) return true;
  napi_throw_error(env, "ERR_GSSAPI_UNAVAILABLE", "GSS-API is not loaded (gssapiLoad first)");
  return false;
}

#define SYMBOL(field, name)                                   \
  do {                                                        \
    *(void **)(&found.field) = dlsym(handle, name);           \
    if (found.field == NULL) missing = name;                  \
  } while (0)

/* gssapiLoad(path: string): undefined; throws ERR_GSSAPI_UNAVAILABLE. Loads once per process. */
napi_value gssapi_load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char path[4096];
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 || length >= sizeof path - 1) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "the GSS-API library must be a path or a library name", 0);
  }
  pthread_mutex_lock(&load_lock);
  if (lib.handle != NULL) {
    pthread_mutex_unlock(&load_lock);
    return NULL;
  }
  char message[sizeof path + 512];
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *why = dlerror();
    snprintf(message, sizeof message, "cannot load the GSS-API library %s (install MIT Kerberos: libgssapi-krb5-2): %s", path, why != NULL ? why : "not found");
    pthread_mutex_unlock(&load_lock);
    napi_throw_error(env, "ERR_GSSAPI_UNAVAILABLE", message);
    return NULL;
  }
  gss_library found;
  memset(&found, 0, sizeof found);
  const char *missing = NULL;
  SYMBOL(import_name, "gss_import_name");
  SYMBOL(display_name, "gss_display_name");
  SYMBOL(release_name, "gss_release_name");
  SYMBOL(release_buffer, "gss_release_buffer");
  SYMBOL(release_cred, "gss_release_cred");
  SYMBOL(acquire_cred, "gss_acquire_cred");
  SYMBOL(init_sec_context, "gss_init_sec_context");
  SYMBOL(accept_sec_context, "gss_accept_sec_context");
  SYMBOL(delete_sec_context, "gss_delete_sec_context");
  SYMBOL(get_mic, "gss_get_mic");
  SYMBOL(verify_mic, "gss_verify_mic");
  SYMBOL(inquire_context, "gss_inquire_context");
  SYMBOL(display_status, "gss_display_status");
  if (missing != NULL) {
    dlclose(handle);
    snprintf(message, sizeof message, "%s is not a GSS-API library (no %s)", path, missing);
    pthread_mutex_unlock(&load_lock);
    napi_throw_error(env, "ERR_GSSAPI_UNAVAILABLE", message);
    return NULL;
  }
  found.handle = handle;
  lib = found; /* never unloaded: contexts of any thread may still use it */
  pthread_mutex_unlock(&load_lock);
  return NULL;
}

/* ------------------------------------------------------------------ names and credentials */

/* A host-based service name from argument `value` (GSS_C_NT_HOSTBASED_SERVICE), or 0 after throwing. */
static int import_service(napi_env env, napi_value value, gss_name *out) {
  char service[MAX_SERVICE];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, service, sizeof service, &length) != napi_ok || length == 0 || length >= sizeof service - 1) {
    fail(env, "ERR_INVALID_ARG_TYPE", "the service must be a name such as 'host@server.example'", 0);
    return 0;
  }
  gss_buffer_desc text = { length, service };
  gss_uint32 minor = 0;
  gss_uint32 major = lib.import_name(&minor, &text, &nt_hostbased, out);
  if (GSS_ERROR(major)) {
    throw_gss(env, "gss_import_name", major, minor);
    return 0;
  }
  return 1;
}

/* Whether argument `value` is null or undefined. */
static bool is_nothing(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/* Kerberos credentials for `service` (NULL name: the default one) and `usage`, or 0 after throwing. */
static int acquire(napi_env env, napi_value service, int usage, gss_cred *out) {
  gss_name name = GSS_NO_NAME;
  if (!is_nothing(env, service) && !import_service(env, service, &name)) return 0;
  gss_uint32 minor = 0;
  gss_uint32 major = lib.acquire_cred(&minor, name, GSS_C_INDEFINITE, &krb5_only, usage, out, NULL, NULL);
  if (name != GSS_NO_NAME) {
    gss_uint32 ignored = 0;
    lib.release_name(&ignored, &name);
  }
  if (GSS_ERROR(major)) {
    throw_gss(env, "gss_acquire_cred", major, minor);
    return 0;
  }
  return 1;
}

/* gssapiCredentials(service: string | null, accept: boolean): undefined; throws ERR_GSSAPI when there are none */
napi_value gssapi_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  if (!require_loaded(env)) return NULL;
  bool accept = false;
  if (napi_get_value_bool(env, argv[1], &accept) != napi_ok) return fail(env, "ERR_INVALID_ARG_TYPE", "accept must be a boolean", 0);
  gss_cred cred = GSS_NO_CREDENTIAL;
  if (!acquire(env, argv[0], accept ? GSS_C_ACCEPT : GSS_C_INITIATE, &cred)) return NULL;
  gss_uint32 minor = 0;
  lib.release_cred(&minor, &cred);
  return NULL;
}

/* ------------------------------------------------------------------ contexts */

static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  gss_state *s = data;
  if (s->busy) return; /* only at shutdown (a step holds its context): leave it */
  gss_uint32 minor = 0;
  if (s->ctx != GSS_NO_CONTEXT) lib.delete_sec_context(&minor, &s->ctx, NULL);
  if (s->target != GSS_NO_NAME) lib.release_name(&minor, &s->target);
  if (s->cred != GSS_NO_CREDENTIAL) lib.release_cred(&minor, &s->cred);
  free(s);
}

static napi_value make_state(napi_env env, gss_state *s) {
  return wrap_state(env, s, finalize_state, &CONTEXT_TAG, 4096);
}

/* gssapiInitContext(service: string, flags: number): context (nothing is sent until the first step) */
napi_value gssapi_init_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  if (!require_loaded(env)) return NULL;
  int flags = 0;
  if (!get_int(env, argv[1], 0, 0xffff, &flags)) return fail(env, "ERR_INVALID_ARG_TYPE", "flags must be GSS_C_*_FLAG bits", 0);
  gss_state *s = calloc(1, sizeof *s);
  if (s == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  s->initiator = true;
  s->flags = (gss_uint32)flags;
  if (!import_service(env, argv[0], &s->target)) {
    free(s);
    return NULL;
  }
  return make_state(env, s);
}

/*
 * gssapiAcceptContext(service: string | null): context accepting as `service` (null: any key of
 * the keytab). Its credential is acquired on the first step, on the thread pool: turning a host
 * name into a principal may ask DNS.
 */
napi_value gssapi_accept_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  if (!require_loaded(env)) return NULL;
  gss_state *s = calloc(1, sizeof *s);
  if (s == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  if (!is_nothing(env, argv[0]) && !import_service(env, argv[0], &s->target)) {
    free(s);
    return NULL;
  }
  return make_state(env, s);
}

/* The context of argument `value`, idle, or NULL after throwing. */
static gss_state *get_state(napi_env env, napi_value value) {
  gss_state *s = unwrap_state(env, value, &CONTEXT_TAG);
  if (s == NULL) fail(env, "ERR_INVALID_ARG_TYPE", "not a GSS-API context", 0);
  else if (s->busy) napi_throw_error(env, "ERR_GSSAPI_BUSY", "a step of this GSS-API context is in progress");
  else return s;
  return NULL;
}

typedef struct {
  gss_state *state;
  napi_ref ref;
  napi_async_work work;
  napi_deferred deferred;
  unsigned char *input;
  size_t input_length;
  bool has_input;
  unsigned char *output;
  size_t output_length;
  gss_uint32 major;
  gss_uint32 minor;
  gss_uint32 flags;
  char message[MESSAGE_SIZE + 96];
} step_job;

static void step_execute(napi_env env, void *data) {
  (void)env;
  step_job *job = data;
  gss_state *s = job->state;
  gss_buffer_desc input = { job->input_length, job->input };
  gss_buffer_desc output = { 0, NULL };
  gss_uint32 flags = 0;
  if (s->initiator) {
    job->major = lib.init_sec_context(&job->minor, GSS_NO_CREDENTIAL, &s->ctx, s->target, &krb5_mech, s->flags, 0, GSS_NO_CHANNEL_BINDINGS,
                                      job->has_input ? &input : NULL, NULL, &output, &flags, NULL);
  } else {
    if (s->cred == GSS_NO_CREDENTIAL && s->target != GSS_NO_NAME) {
      job->major = lib.acquire_cred(&job->minor, s->target, GSS_C_INDEFINITE, &krb5_only, GSS_C_ACCEPT, &s->cred, NULL, NULL);
      if (GSS_ERROR(job->major)) {
        s->cred = GSS_NO_CREDENTIAL;
        describe(job->message, sizeof job->message, "gss_acquire_cred", job->major, job->minor);
        return;
      }
    }
    job->major = lib.accept_sec_context(&job->minor, &s->ctx, s->cred, &input, GSS_NO_CHANNEL_BINDINGS, NULL, NULL, &output, &flags, NULL, NULL);
  }
  job->flags = flags;
  if (output.length > 0 && output.length <= MAX_TOKEN) {
    job->output = malloc(output.length);
    if (job->output != NULL) {
      memcpy(job->output, output.value, output.length);
      job->output_length = output.length;
    }
  }
  if (output.value != NULL) {
    gss_uint32 minor = 0;
    lib.release_buffer(&minor, &output);
  }
  if (GSS_ERROR(job->major)) describe(job->message, sizeof job->message, s->initiator ? "gss_init_sec_context" : "gss_accept_sec_context", job->major, job->minor);
  else if (output.length > MAX_TOKEN || (output.length > 0 && job->output == NULL)) {
    job->major = 0xffff0000u; /* not the library's failure: ours */
    snprintf(job->message, sizeof job->message, "the GSS-API token is too large or memory ran out");
  }
}

static napi_value token_value(napi_env env, const unsigned char *bytes, size_t length) {
  void *out = NULL;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, length, &out, &buffer) != napi_ok) return NULL;
  if (length > 0) memcpy(out, bytes, length);
  if (napi_create_typedarray(env, napi_uint8_array, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

static void step_complete(napi_env env, napi_status status, void *data) {
  step_job *job = data;
  gss_state *s = job->state;
  s->busy = false;
  napi_value result = NULL;
  bool reject = true;
  if (status != napi_ok) {
    result = gss_error_value(env, "the GSS-API step was cancelled", 0, 0);
  } else if (GSS_ERROR(job->major)) {
    result = gss_error_value(env, job->message, job->major, job->minor);
    napi_value token = job->output_length > 0 ? token_value(env, job->output, job->output_length) : NULL;
    if (result != NULL && token != NULL) napi_set_named_property(env, result, "token", token); /* an error token for the peer */
  } else {
    bool complete = job->major == GSS_S_COMPLETE;
    if (complete) {
      s->complete = true;
      s->flags = job->flags;
    }
    napi_value token = token_value(env, job->output, job->output_length);
    napi_value done, flags;
    if (token != NULL && napi_create_object(env, &result) == napi_ok && napi_get_boolean(env, complete, &done) == napi_ok &&
        napi_create_uint32(env, job->flags, &flags) == napi_ok && napi_set_named_property(env, result, "token", token) == napi_ok &&
        napi_set_named_property(env, result, "complete", done) == napi_ok && napi_set_named_property(env, result, "flags", flags) == napi_ok) {
      reject = false;
    }
  }
  if (result == NULL) napi_get_undefined(env, &result);
  if (reject) napi_reject_deferred(env, job->deferred, result);
  else napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  napi_delete_reference(env, job->ref);
  free(job->input);
  free(job->output);
  free(job);
}

/*
 * gssapiStep(context, token: Uint8Array | null): Promise<{ token, complete, flags }>, on the thread
 * pool. An initiator's first step takes null; an acceptor's every step a token. A failure rejects
 * with ERR_GSSAPI, carrying `token` when the library made an error token for the peer.
 */
napi_value gssapi_step(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  gss_state *s = get_state(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->complete) {
    napi_throw_error(env, "ERR_GSSAPI_COMPLETE", "the GSS-API context is already established");
    return NULL;
  }
  bytes token = { NULL, 0 };
  bool has_input = !is_nothing(env, argv[1]);
  if (has_input && !get_bytes(env, argv[1], &token)) return fail(env, "ERR_INVALID_ARG_TYPE", "the token must be a Uint8Array or null", 0);
  if (!has_input && !s->initiator) return fail(env, "ERR_INVALID_ARG_TYPE", "an acceptor's step takes a token", 0);
  if (token.length > MAX_TOKEN) return fail(env, "ERR_OUT_OF_RANGE", "the GSS-API token is too large", 1);
  step_job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "ERR_MEMORY", "out of memory", 1);
  job->input = malloc(token.length > 0 ? token.length : 1);
  if (job->input == NULL) {
    free(job);
    return fail(env, "ERR_MEMORY", "out of memory", 1);
  }
  if (token.length > 0) memcpy(job->input, token.data, token.length); /* the caller's buffer may change before the thread runs */
  job->input_length = token.length;
  job->has_input = has_input;
  job->state = s;
  napi_value promise, name;
  if (napi_create_reference(env, argv[0], 1, &job->ref) != napi_ok) goto failed;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) goto failed_ref;
  if (napi_create_string_utf8(env, "ssh:gssapiStep", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, step_execute, step_complete, job, &job->work) != napi_ok) {
    goto failed_ref; /* the deferred is dropped unsettled: its promise is never returned */
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    goto failed_ref;
  }
  s->busy = true;
  return promise;
failed_ref:
  napi_delete_reference(env, job->ref);
failed:
  free(job->input);
  free(job);
  return fail(env, "ERR_GSSAPI", "cannot start the GSS-API step", 0);
}

/* The established context of argument `value`, or NULL after throwing. */
static gss_state *get_established(napi_env env, napi_value value) {
  gss_state *s = get_state(env, value);
  if (s != NULL && !s->complete) {
    napi_throw_error(env, "ERR_GSSAPI_INCOMPLETE", "the GSS-API context is not established yet");
    return NULL;
  }
  return s;
}

/* gssapiGetMic(context, data: Uint8Array): Uint8Array */
napi_value gssapi_get_mic(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  gss_state *s = get_established(env, argv[0]);
  if (s == NULL) return NULL;
  bytes data;
  if (!get_bytes(env, argv[1], &data)) return fail(env, "ERR_INVALID_ARG_TYPE", "the data must be a Uint8Array", 0);
  if (data.length > MAX_MIC_DATA) return fail(env, "ERR_OUT_OF_RANGE", "too much data for a MIC", 1);
  gss_buffer_desc message = { data.length, data.data };
  gss_buffer_desc mic = { 0, NULL };
  gss_uint32 minor = 0;
  gss_uint32 major = lib.get_mic(&minor, s->ctx, 0, &message, &mic);
  if (GSS_ERROR(major)) return throw_gss(env, "gss_get_mic", major, minor);
  napi_value result = mic.length <= MAX_TOKEN ? token_value(env, mic.value, mic.length) : fail(env, "ERR_OUT_OF_RANGE", "the MIC is too large", 1);
  lib.release_buffer(&minor, &mic);
  return result;
}

/* gssapiVerifyMic(context, data: Uint8Array, mic: Uint8Array): boolean (false for any failure) */
napi_value gssapi_verify_mic(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  gss_state *s = get_established(env, argv[0]);
  if (s == NULL) return NULL;
  bytes data, token;
  if (!get_bytes(env, argv[1], &data) || !get_bytes(env, argv[2], &token)) return fail(env, "ERR_INVALID_ARG_TYPE", "the data and the MIC must be Uint8Arrays", 0);
  if (data.length > MAX_MIC_DATA || token.length > MAX_TOKEN) return fail(env, "ERR_OUT_OF_RANGE", "too much data for a MIC", 1);
  gss_buffer_desc message = { data.length, data.data };
  gss_buffer_desc mic = { token.length, token.data };
  gss_uint32 minor = 0;
  gss_uint32 qop = 0;
  gss_uint32 major = lib.verify_mic(&minor, s->ctx, &message, &mic, &qop);
  napi_value result;
  /* Supplementary bits (duplicate, old or unseq token) are not errors, but a MIC is sent only once. */
  if (napi_get_boolean(env, major == GSS_S_COMPLETE, &result) != napi_ok) return NULL;
  return result;
}

static napi_value name_value(napi_env env, gss_name name) {
  gss_buffer_desc text = { 0, NULL };
  gss_uint32 minor = 0;
  gss_uint32 major = lib.display_name(&minor, name, &text, NULL);
  if (GSS_ERROR(major)) return throw_gss(env, "gss_display_name", major, minor);
  napi_value v = NULL;
  if (napi_create_string_utf8(env, text.value, text.length, &v) != napi_ok) v = NULL;
  lib.release_buffer(&minor, &text);
  return v;
}

/* gssapiNames(context): { source, target, flags }: the initiator's and the acceptor's principals */
napi_value gssapi_names(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return fail(env, "ERR_MISSING_ARGS", "missing arguments", 0);
  gss_state *s = get_established(env, argv[0]);
  if (s == NULL) return NULL;
  gss_name source = GSS_NO_NAME;
  gss_name target = GSS_NO_NAME;
  gss_uint32 flags = 0;
  gss_uint32 minor = 0;
  gss_uint32 major = lib.inquire_context(&minor, s->ctx, &source, &target, NULL, NULL, &flags, NULL, NULL);
  if (GSS_ERROR(major)) return throw_gss(env, "gss_inquire_context", major, minor);
  napi_value result = NULL, source_text = NULL, target_text = NULL, flag_value;
  source_text = name_value(env, source);
  if (source_text != NULL) target_text = name_value(env, target);
  if (target_text != NULL && napi_create_object(env, &result) == napi_ok && napi_create_uint32(env, flags, &flag_value) == napi_ok) {
    if (napi_set_named_property(env, result, "source", source_text) != napi_ok || napi_set_named_property(env, result, "target", target_text) != napi_ok ||
        napi_set_named_property(env, result, "flags", flag_value) != napi_ok) {
      result = NULL;
    }
  } else result = NULL;
  if (source != GSS_NO_NAME) lib.release_name(&minor, &source);
  if (target != GSS_NO_NAME) lib.release_name(&minor, &target);
  return result;
}

#endif
