#ifndef SSH_SOCKET_OPTIONS_H
#define SSH_SOCKET_OPTIONS_H

#include <node_api.h>

napi_value socket_set_receive_low_water(napi_env env, napi_callback_info info);

#endif
