#ifndef SSH_SK_PROVIDER_H
#define SSH_SK_PROVIDER_H

#include <node_api.h>

/* Not named sk_enroll etc.: those are the symbols of the providers themselves. */
napi_value sk_provider_load(napi_env env, napi_callback_info info);
napi_value sk_provider_enroll(napi_env env, napi_callback_info info);
napi_value sk_provider_sign(napi_env env, napi_callback_info info);
napi_value sk_provider_load_resident_keys(napi_env env, napi_callback_info info);

#endif
