/*
 * The part of the PKCS#11 (Cryptoki) 2.x ABI that loading keys and signing with them needs:
 * types, constants and the function list's layout up to C_Sign. Declared here rather than taken
 * from a system header so that the binding builds where no PKCS#11 development package is
 * installed (its AES-GCM, chacha20-poly1305 and zlib must not depend on one).
 *
 * Unix ABI: natural alignment, CK_ULONG is unsigned long (Windows would need 1-byte packing).
 */
#ifndef SSH_PKCS11_ABI_H
#define SSH_PKCS11_ABI_H

typedef unsigned long ck_ulong;
typedef ck_ulong ck_rv;
typedef ck_ulong ck_slot_id;
typedef ck_ulong ck_session_handle;
typedef ck_ulong ck_object_handle;
typedef ck_ulong ck_flags;

typedef struct {
  unsigned char major;
  unsigned char minor;
} ck_version;

typedef struct {
  unsigned char label[32];
  unsigned char manufacturer_id[32];
  unsigned char model[16];
  unsigned char serial_number[16];
  ck_flags flags;
  ck_ulong max_session_count;
  ck_ulong session_count;
  ck_ulong max_rw_session_count;
  ck_ulong rw_session_count;
  ck_ulong max_pin_len;
  ck_ulong min_pin_len;
  ck_ulong total_public_memory;
  ck_ulong free_public_memory;
  ck_ulong total_private_memory;
  ck_ulong free_private_memory;
  ck_version hardware_version;
  ck_version firmware_version;
  unsigned char utc_time[16];
} ck_token_info;

typedef struct {
  ck_ulong type;
  void *value;
  ck_ulong value_len;
} ck_attribute;

typedef struct {
  ck_ulong mechanism;
  void *parameter;
  ck_ulong parameter_len;
} ck_mechanism;

typedef struct {
  void *create_mutex;
  void *destroy_mutex;
  void *lock_mutex;
  void *unlock_mutex;
  ck_flags flags;
  void *reserved;
} ck_c_initialize_args;

typedef ck_rv (*ck_fn_unused)(void);

/* The function list in the standard's order; members after C_Sign are never reached through it. */
typedef struct {
  ck_version version;
  ck_rv (*C_Initialize)(void *init_args);
  ck_rv (*C_Finalize)(void *reserved);
  ck_fn_unused C_GetInfo;
  ck_fn_unused C_GetFunctionList;
  ck_rv (*C_GetSlotList)(unsigned char token_present, ck_slot_id *slots, ck_ulong *count);
  ck_fn_unused C_GetSlotInfo;
  ck_rv (*C_GetTokenInfo)(ck_slot_id slot, ck_token_info *info);
  ck_fn_unused C_GetMechanismList;
  ck_fn_unused C_GetMechanismInfo;
  ck_fn_unused C_InitToken;
  ck_fn_unused C_InitPIN;
  ck_fn_unused C_SetPIN;
  ck_rv (*C_OpenSession)(ck_slot_id slot, ck_flags flags, void *application, void *notify, ck_session_handle *session);
  ck_rv (*C_CloseSession)(ck_session_handle session);
  ck_fn_unused C_CloseAllSessions;
  ck_fn_unused C_GetSessionInfo;
  ck_fn_unused C_GetOperationState;
  ck_fn_unused C_SetOperationState;
  ck_rv (*C_Login)(ck_session_handle session, ck_ulong user_type, unsigned char *pin, ck_ulong pin_len);
  ck_fn_unused C_Logout;
  ck_fn_unused C_CreateObject;
  ck_fn_unused C_CopyObject;
  ck_fn_unused C_DestroyObject;
  ck_fn_unused C_GetObjectSize;
  ck_rv (*C_GetAttributeValue)(ck_session_handle session, ck_object_handle object, ck_attribute *templ, ck_ulong count);
  ck_fn_unused C_SetAttributeValue;
  ck_rv (*C_FindObjectsInit)(ck_session_handle session, ck_attribute *templ, ck_ulong count);
  ck_rv (*C_FindObjects)(ck_session_handle session, ck_object_handle *objects, ck_ulong max_count, ck_ulong *count);
  ck_rv (*C_FindObjectsFinal)(ck_session_handle session);
  ck_fn_unused C_EncryptInit;
  ck_fn_unused C_Encrypt;
  ck_fn_unused C_EncryptUpdate;
  ck_fn_unused C_EncryptFinal;
  ck_fn_unused C_DecryptInit;
  ck_fn_unused C_Decrypt;
  ck_fn_unused C_DecryptUpdate;
  ck_fn_unused C_DecryptFinal;
  ck_fn_unused C_DigestInit;
  ck_fn_unused C_Digest;
  ck_fn_unused C_DigestUpdate;
  ck_fn_unused C_DigestKey;
  ck_fn_unused C_DigestFinal;
  ck_rv (*C_SignInit)(ck_session_handle session, ck_mechanism *mechanism, ck_object_handle key);
  ck_rv (*C_Sign)(ck_session_handle session, unsigned char *data, ck_ulong data_len, unsigned char *signature, ck_ulong *signature_len);
} ck_function_list;

typedef ck_rv (*ck_get_function_list)(ck_function_list **list);

#define CKR_OK 0x0UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_ATTRIBUTE_SENSITIVE 0x11UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x12UL

#define CKF_OS_LOCKING_OK 0x2UL
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKU_USER 1UL
#define CKA_CLASS 0x0UL
#define CK_UNAVAILABLE_INFORMATION (~0UL)

#endif
