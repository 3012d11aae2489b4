/*
 * The part of the GSS-API C bindings (RFC 2744) that gssapi-with-mic user authentication needs:
 * types, status and flag values, and the signatures of the calls looked up in MIT Kerberos'
 * libgssapi_krb5.so.2 at run time. Declared here rather than taken from <gssapi/gssapi.h> so that
 * the binding builds where no Kerberos development package (libkrb5-dev) is installed, and loads
 * where no Kerberos library is installed at all (GSS-API is then reported unavailable).
 *
 * Unix ABI, as MIT's and Heimdal's headers declare it there: OM_uint32 is a 32-bit unsigned
 * integer, buffers are { size_t, void * }, OIDs { OM_uint32, void * }, and names, contexts and
 * credentials are opaque pointers.
 */
#ifndef SSH_GSSAPI_ABI_H
#define SSH_GSSAPI_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t gss_uint32;

typedef struct {
  size_t length;
  void *value;
} gss_buffer_desc;

typedef struct {
  gss_uint32 length;
  void *elements;
} gss_oid_desc;

typedef struct {
  size_t count;
  gss_oid_desc *elements;
} gss_oid_set_desc;

typedef struct gss_name_opaque *gss_name;
typedef struct gss_ctx_opaque *gss_ctx;
typedef struct gss_cred_opaque *gss_cred;
typedef struct gss_channel_bindings_opaque *gss_channel_bindings;

#define GSS_NO_NAME ((gss_name)0)
#define GSS_NO_CONTEXT ((gss_ctx)0)
#define GSS_NO_CREDENTIAL ((gss_cred)0)
#define GSS_NO_CHANNEL_BINDINGS ((gss_channel_bindings)0)

/* Request and return flags (RFC 2744 §3.10 / §5.19). */
#define GSS_DELEG_FLAG 1u
#define GSS_MUTUAL_FLAG 2u
#define GSS_REPLAY_FLAG 4u
#define GSS_SEQUENCE_FLAG 8u
#define GSS_CONF_FLAG 16u
#define GSS_INTEG_FLAG 32u

/* Credential usage. */
#define GSS_C_BOTH 0
#define GSS_C_INITIATE 1
#define GSS_C_ACCEPT 2

/* gss_display_status status types. */
#define GSS_C_GSS_CODE 1
#define GSS_C_MECH_CODE 2

#define GSS_C_INDEFINITE 0xffffffffu

/* Major status: routine and calling errors live in the top 16 bits; 1 is CONTINUE_NEEDED. */
#define GSS_S_COMPLETE 0u
#define GSS_S_CONTINUE_NEEDED 1u
#define GSS_ERROR(status) (((status) & 0xffff0000u) != 0)

/* The calls, in RFC 2744's argument order. */
typedef gss_uint32 (*gss_import_name_fn)(gss_uint32 *minor, gss_buffer_desc *input, gss_oid_desc *name_type, gss_name *output);
typedef gss_uint32 (*gss_display_name_fn)(gss_uint32 *minor, gss_name name, gss_buffer_desc *output, gss_oid_desc **name_type);
typedef gss_uint32 (*gss_release_name_fn)(gss_uint32 *minor, gss_name *name);
typedef gss_uint32 (*gss_release_buffer_fn)(gss_uint32 *minor, gss_buffer_desc *buffer);
typedef gss_uint32 (*gss_release_cred_fn)(gss_uint32 *minor, gss_cred *cred);
typedef gss_uint32 (*gss_acquire_cred_fn)(gss_uint32 *minor, gss_name name, gss_uint32 time_req, gss_oid_set_desc *mechs, int usage,
                                          gss_cred *output, gss_oid_set_desc **actual_mechs, gss_uint32 *time_rec);
typedef gss_uint32 (*gss_init_sec_context_fn)(gss_uint32 *minor, gss_cred cred, gss_ctx *context, gss_name target, gss_oid_desc *mech,
                                              gss_uint32 req_flags, gss_uint32 time_req, gss_channel_bindings bindings, gss_buffer_desc *input,
                                              gss_oid_desc **actual_mech, gss_buffer_desc *output, gss_uint32 *ret_flags, gss_uint32 *time_rec);
typedef gss_uint32 (*gss_accept_sec_context_fn)(gss_uint32 *minor, gss_ctx *context, gss_cred cred, gss_buffer_desc *input, gss_channel_bindings bindings,
                                                gss_name *source, gss_oid_desc **mech, gss_buffer_desc *output, gss_uint32 *ret_flags,
                                                gss_uint32 *time_rec, gss_cred *delegated);
typedef gss_uint32 (*gss_delete_sec_context_fn)(gss_uint32 *minor, gss_ctx *context, gss_buffer_desc *output);
typedef gss_uint32 (*gss_get_mic_fn)(gss_uint32 *minor, gss_ctx context, gss_uint32 qop, gss_buffer_desc *message, gss_buffer_desc *token);
typedef gss_uint32 (*gss_verify_mic_fn)(gss_uint32 *minor, gss_ctx context, gss_buffer_desc *message, gss_buffer_desc *token, gss_uint32 *qop);
typedef gss_uint32 (*gss_inquire_context_fn)(gss_uint32 *minor, gss_ctx context, gss_name *source, gss_name *target, gss_uint32 *lifetime,
                                             gss_oid_desc **mech, gss_uint32 *flags, int *locally_initiated, int *open);
typedef gss_uint32 (*gss_display_status_fn)(gss_uint32 *minor, gss_uint32 status, int status_type, gss_oid_desc *mech, gss_uint32 *message_context,
                                            gss_buffer_desc *output);

#endif
