#ifndef SSH_GSSAPI_H
#define SSH_GSSAPI_H

#include <node_api.h>

napi_value gssapi_load(napi_env env, napi_callback_info info);
napi_value gssapi_credentials(napi_env env, napi_callback_info info);
napi_value gssapi_init_context(napi_env env, napi_callback_info info);
napi_value gssapi_accept_context(napi_env env, napi_callback_info info);
napi_value gssapi_step(napi_env env, napi_callback_info info);
napi_value gssapi_get_mic(napi_env env, napi_callback_info info);
napi_value gssapi_verify_mic(napi_env env, napi_callback_info info);
napi_value gssapi_names(napi_env env, napi_callback_info info);

#endif
