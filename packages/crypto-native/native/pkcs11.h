#ifndef SSH_PKCS11_H
#define SSH_PKCS11_H

#include <node_api.h>

napi_value pkcs11_load(napi_env env, napi_callback_info info);
napi_value pkcs11_close(napi_env env, napi_callback_info info);
napi_value pkcs11_tokens(napi_env env, napi_callback_info info);
napi_value pkcs11_open_session(napi_env env, napi_callback_info info);
napi_value pkcs11_close_session(napi_env env, napi_callback_info info);
napi_value pkcs11_login(napi_env env, napi_callback_info info);
napi_value pkcs11_find_objects(napi_env env, napi_callback_info info);
napi_value pkcs11_get_attributes(napi_env env, napi_callback_info info);
napi_value pkcs11_sign(napi_env env, napi_callback_info info);

#endif
