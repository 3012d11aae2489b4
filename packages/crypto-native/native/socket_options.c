/*
 * The one socket option node has no API for: SO_RCVLOWAT, the least a socket must hold before
 * poll/epoll report it readable. @ssh/transport raises it while a bulk transfer streams in, so
 * that a reader wakes once per few packets instead of once per segment, and lowers it again as
 * soon as the stream pauses (a raised low-water mark would otherwise hold back a short reply).
 */

#include <limits.h>
#include <stdint.h>

#include <node_api.h>

#ifndef _WIN32
#include <sys/socket.h>
#endif

#include "napi_args.h"
#include "socket_options.h"

/* Bytes a low-water mark may be: Linux caps it at half the largest receive buffer anyway. */
#define MAX_LOW_WATER (64 * 1024 * 1024)

/* setReceiveLowWater(fd: integer >= 0, bytes: integer 1..64 MiB): boolean (false: not set) */
napi_value socket_set_receive_low_water(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int fd = -1;
  int bytes = 0;
  if (argc < 2 || !get_int(env, argv[0], 0, INT_MAX, &fd) || !get_int(env, argv[1], 1, MAX_LOW_WATER, &bytes)) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
      napi_throw_range_error(env, "ERR_SSH_NATIVE_ARGUMENT", "setReceiveLowWater(fd, bytes): fd must be a descriptor, bytes 1 to 64 MiB");
    }
    return NULL;
  }
  bool ok = false;
#if !defined(_WIN32) && defined(SO_RCVLOWAT)
  ok = setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0;
#else
  (void)fd;
  (void)bytes;
#endif
  napi_value result;
  if (napi_get_boolean(env, ok, &result) != napi_ok) return NULL;
  return result;
}
