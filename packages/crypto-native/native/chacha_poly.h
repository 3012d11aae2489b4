#ifndef SSH_CHACHA_POLY_H
#define SSH_CHACHA_POLY_H

#include <node_api.h>

napi_value chacha_create(napi_env env, napi_callback_info info);
napi_value chacha_seal(napi_env env, napi_callback_info info);
napi_value chacha_length(napi_env env, napi_callback_info info);
napi_value chacha_open(napi_env env, napi_callback_info info);

#endif
