#ifndef SSH_ZLIB_STREAM_H
#define SSH_ZLIB_STREAM_H

#include <node_api.h>

napi_value zlib_create(napi_env env, napi_callback_info info);
napi_value zlib_deflate(napi_env env, napi_callback_info info);
napi_value zlib_inflate(napi_env env, napi_callback_info info);

#endif
