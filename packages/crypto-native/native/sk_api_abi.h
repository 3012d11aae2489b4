/*
 * The OpenSSH security-key middleware ABI (sk-api.h, what ssh, ssh-keygen and ssh-agent load
 * as a SecurityKeyProvider): the structures, constants and function types, declared here from
 * the layout OpenSSH documents so that the binding builds without OpenSSH's sources.
 *
 * A provider says which ABI it implements with sk_api_version(); OpenSSH takes only its own
 * major (version & SSH_SK_VERSION_MAJOR_MASK). The majors of OpenSSH releases that pass the
 * message itself to sk_sign (the provider hashes it) and whose layouts are declared here:
 *
 *   0x00070000  OpenSSH 8.4 to 8.8: the enroll response has no flags, a resident key no user id
 *   0x00080000  development versions between 8.8 and 8.9: resident keys gain user_id
 *   0x00090000  OpenSSH 8.9 and 9.0: the enroll response starts with the key's flags
 *   0x000a0000  OpenSSH 9.1 to 10.x: the layout of 9, plus SSH_SK_FORCE_OPERATION and
 *               SSH_SK_ERR_CREDENTIAL_EXISTS
 *
 * Older majors (OpenSSH 8.2 and 8.3: 0x00040000 to 0x00060000) lack the attestation's
 * authenticator data and are refused, as is anything newer than 0x000a0000, whose layout is
 * unknown. Every buffer in a response is the provider's malloc()ed memory, freed with free().
 */
#ifndef SSH_SK_API_ABI_H
#define SSH_SK_API_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Flags (enroll and sign requests, keys, resident keys). */
#define SSH_SK_USER_PRESENCE_REQD 0x01
#define SSH_SK_USER_VERIFICATION_REQD 0x04
#define SSH_SK_FORCE_OPERATION 0x10
#define SSH_SK_RESIDENT_KEY 0x20

/* Algorithms. */
#define SSH_SK_ECDSA 0x00
#define SSH_SK_ED25519 0x01

/* Return codes (0 is success). */
#define SSH_SK_ERR_GENERAL (-1)
#define SSH_SK_ERR_UNSUPPORTED (-2)
#define SSH_SK_ERR_PIN_REQUIRED (-3)
#define SSH_SK_ERR_DEVICE_NOT_FOUND (-4)
#define SSH_SK_ERR_CREDENTIAL_EXISTS (-5)

#define SSH_SK_VERSION_MAJOR_MASK 0xffff0000u
#define SSH_SK_VERSION_OLDEST 0x00070000u
#define SSH_SK_VERSION_NEWEST 0x000a0000u
/* From this major on, struct sk_enroll_response begins with the flags byte. */
#define SSH_SK_VERSION_ENROLL_FLAGS 0x00090000u
/* From this major on, struct sk_resident_key ends with the user id. */
#define SSH_SK_VERSION_USER_ID 0x00080000u

/* struct sk_enroll_response, majors 7 and 8. */
typedef struct {
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
} sk_enroll_response_v7;

/* struct sk_enroll_response, majors 9 and 10. */
typedef struct {
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
} sk_enroll_response_v9;

/* struct sk_sign_response, the same in every major declared here. */
typedef struct {
  uint8_t flags;
  uint32_t counter;
  uint8_t *sig_r;
  size_t sig_r_len;
  uint8_t *sig_s;
  size_t sig_s_len;
} sk_sign_response;

/* struct sk_resident_key, major 7. */
typedef struct {
  uint32_t alg;
  size_t slot;
  char *application;
  sk_enroll_response_v7 key;
  uint8_t flags;
} sk_resident_key_v7;

/* struct sk_resident_key, major 8. */
typedef struct {
  uint32_t alg;
  size_t slot;
  char *application;
  sk_enroll_response_v7 key;
  uint8_t flags;
  uint8_t *user_id;
  size_t user_id_len;
} sk_resident_key_v8;

/* struct sk_resident_key, majors 9 and 10. */
typedef struct {
  uint32_t alg;
  size_t slot;
  char *application;
  sk_enroll_response_v9 key;
  uint8_t flags;
  uint8_t *user_id;
  size_t user_id_len;
} sk_resident_key_v9;

/* struct sk_option: options are passed as a NULL-terminated array of pointers. */
typedef struct {
  char *name;
  char *value;
  uint8_t required;
} sk_option;

typedef uint32_t (*sk_api_version_fn)(void);
/* The response pointers are to the layout of the provider's major (void ** here). */
typedef int (*sk_enroll_fn)(uint32_t alg, const uint8_t *challenge, size_t challenge_len, const char *application, uint8_t flags,
                            const char *pin, sk_option **options, void **enroll_response);
typedef int (*sk_sign_fn)(uint32_t alg, const uint8_t *data, size_t data_len, const char *application, const uint8_t *key_handle,
                          size_t key_handle_len, uint8_t flags, const char *pin, sk_option **options, sk_sign_response **sign_response);
typedef int (*sk_load_resident_keys_fn)(const char *pin, sk_option **options, void ***rks, size_t *nrks);

#endif
