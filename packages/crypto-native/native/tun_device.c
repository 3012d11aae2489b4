/*
 * TUN/TAP devices for tun@openssh.com forwarding (Linux): what node cannot do itself. A module
 * of its own (ssh_tun_device.node), so that forwarding never depends on the crypto binding.
 *
 * tunOpen(mode, unit) opens /dev/net/tun and attaches it with ioctl(TUNSETIFF) to tunN (mode 1,
 * layer 3) or tapN (mode 2, layer 2), or to the next free unit when `unit` is -1, without
 * packet information (IFF_NO_PI: one read or write is one bare packet or frame). A device that
 * did not exist is created for as long as the descriptor is open.
 *
 * tunStart(fd, callback) takes the descriptor over and reads it on a thread of its own, which
 * sleeps in poll() while the device is idle (a libuv pool thread per pending fs.read would be
 * tied up for as long as no packet comes). Each packet goes to the event loop through a
 * thread-safe function with a bounded queue: when JavaScript falls behind, the thread waits, the
 * kernel's queue fills and the kernel drops packets, as a congested interface does.
 * tunWrite(handle, packet) writes one packet from the event loop; tunClose(handle) stops the
 * thread, which closes the descriptor (and so removes a device it created).
 *
 * The state is shared by the reader thread and the JavaScript handle and freed by the last of the
 * two to let go; the descriptor is guarded by a mutex, so a write never reaches a descriptor the
 * thread closed (or a number reused since).
 */

#ifdef __linux__
#define _GNU_SOURCE /* pipe2 */
#endif

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "napi_args.h"

#ifdef __linux__

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

/* Larger than any MTU a tun or tap device takes (65535), so a read never truncates a packet. */
#define READ_SIZE 65536
/* Packets waiting for the event loop before the reader thread waits. */
#define QUEUE_SIZE 64

typedef struct {
  pthread_mutex_t lock;
  int fd;           /* -1 once the thread closed it (under lock) */
  int wake[2];      /* written to stop the thread */
  atomic_int refs;  /* the thread and the JavaScript handle */
  bool stopping;    /* event loop only */
  napi_threadsafe_function tsfn;
} tun_state;

typedef struct {
  int error;        /* 0 for a packet, else an errno that ended the reads */
  size_t length;
  unsigned char data[];
} tun_event;

static const napi_type_tag TUN_TAG = { 0x7a1c5e0b3f9d4c21ULL, 0x9e2b6d4a8c1f3e57ULL };

static void unref_state(tun_state *s) {
  if (atomic_fetch_sub(&s->refs, 1) != 1) return;
  if (s->fd >= 0) close(s->fd);
  close(s->wake[0]);
  close(s->wake[1]);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static const char *errno_code(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    default: return "EUNKNOWN";
  }
}

/* Throws an Error whose code is the errno's name and whose message says what failed. */
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code_value, message_value, error, errno_value;
  if (napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok ||
      napi_create_int32(env, err, &errno_value) != napi_ok)
    return NULL;
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/* tunOpen(mode: 1 | 2, unit: -1 (any) or 0..2^31-2): { fd, name, unit } */
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int mode = 0, unit = 0;
  if (argc < 2 || !get_int(env, argv[0], 1, 2, &mode) || !get_int(env, argv[1], -1, INT_MAX - 1, &unit))
    return fail(env, "ERR_SSH_NATIVE_ARGUMENT", "tunOpen(mode, unit): mode must be 1 or 2, unit -1 to 2^31 - 2", 1);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "cannot open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (short)((mode == 2 ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  const char *prefix = mode == 2 ? "tap" : "tun";
  if (unit < 0) snprintf(ifr.ifr_name, IFNAMSIZ, "%s%%d", prefix);
  else snprintf(ifr.ifr_name, IFNAMSIZ, "%s%d", prefix, unit);
  if (ioctl(fd, TUNSETIFF, (void *)&ifr) < 0) {
    int err = errno;
    close(fd);
    char what[64];
    snprintf(what, sizeof what, "cannot attach %s", ifr.ifr_name);
    return throw_errno(env, what, err);
  }
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  long got = -1;
  const char *digits = ifr.ifr_name + strlen(prefix);
  if (strncmp(ifr.ifr_name, prefix, strlen(prefix)) == 0 && *digits != '\0') {
    char *end = NULL;
    got = strtol(digits, &end, 10);
    if (*end != '\0') got = -1;
  }
  napi_value result, fd_value, name_value, unit_value;
  if (napi_create_object(env, &result) != napi_ok || napi_create_int32(env, fd, &fd_value) != napi_ok ||
      napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &name_value) != napi_ok ||
      napi_create_int64(env, got, &unit_value) != napi_ok || napi_set_named_property(env, result, "fd", fd_value) != napi_ok ||
      napi_set_named_property(env, result, "name", name_value) != napi_ok ||
      napi_set_named_property(env, result, "unit", unit_value) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}

/* On the event loop: one packet (a Buffer, errno 0) or the error that ended the reads (null, errno). */
static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  tun_event *event = data;
  if (env != NULL && callback != NULL) {
    napi_value args[2], undefined;
    bool ok = napi_get_undefined(env, &undefined) == napi_ok && napi_create_int32(env, event->error, &args[1]) == napi_ok;
    if (ok && event->error == 0) {
      void *copy = NULL;
      ok = napi_create_buffer_copy(env, event->length, event->data, &copy, &args[0]) == napi_ok;
    } else if (ok) {
      ok = napi_get_null(env, &args[0]) == napi_ok;
    }
    if (ok) napi_call_function(env, undefined, callback, 2, args, NULL);
  }
  free(event);
}

static void close_fd(tun_state *s) {
  pthread_mutex_lock(&s->lock);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  pthread_mutex_unlock(&s->lock);
}

static void *reader(void *arg) {
  tun_state *s = arg;
  unsigned char *buffer = malloc(READ_SIZE);
  int error = buffer == NULL ? ENOMEM : 0;
  bool closing = false;
  while (error == 0) {
    struct pollfd fds[2] = { { s->fd, POLLIN, 0 }, { s->wake[0], POLLIN, 0 } };
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    if (fds[1].revents != 0) break; /* asked to stop */
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      error = EIO;
      break;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t n = read(s->fd, buffer, READ_SIZE);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error = errno;
      break;
    }
    tun_event *event = malloc(sizeof *event + (size_t)n);
    if (event == NULL) continue; /* dropped, as the kernel would */
    event->error = 0;
    event->length = (size_t)n;
    memcpy(event->data, buffer, (size_t)n);
    if (napi_call_threadsafe_function(s->tsfn, event, napi_tsfn_blocking) != napi_ok) {
      free(event);
      closing = true; /* the environment is going away: the function may no longer be used */
      break;
    }
  }
  free(buffer);
  close_fd(s);
  if (!closing) {
    if (error != 0) {
      tun_event *event = malloc(sizeof *event);
      if (event != NULL) {
        event->error = error;
        event->length = 0;
        if (napi_call_threadsafe_function(s->tsfn, event, napi_tsfn_blocking) != napi_ok) {
          free(event);
          closing = true;
        }
      }
    }
    if (!closing) napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  }
  unref_state(s);
  return NULL;
}

static void request_stop(tun_state *s) {
  if (s->stopping) return;
  s->stopping = true;
  ssize_t ignored = write(s->wake[1], "x", 1);
  (void)ignored;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tun_state *s = data;
  request_stop(s);
  unref_state(s);
}

/*
 * tunStart(fd, callback(packet: Buffer | null, errno: number)): handle. Takes the descriptor over:
 * it is closed by tunClose (or when the handle is collected), and at once if this throws.
 */
static napi_value tun_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int fd = -1;
  napi_valuetype type = napi_undefined;
  if (argc < 2 || !get_int(env, argv[0], 0, INT_MAX, &fd) || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function)
    return fail(env, "ERR_SSH_NATIVE_ARGUMENT", "tunStart(fd, callback): fd must be a descriptor, callback a function", 0);
  tun_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "tunStart", ENOMEM);
  }
  if (pipe2(s->wake, O_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    free(s);
    return throw_errno(env, "tunStart: pipe", err);
  }
  pthread_mutex_init(&s->lock, NULL);
  s->fd = fd;
  atomic_init(&s->refs, 2);
  napi_value name;
  if (napi_create_string_utf8(env, "ssh-tun-reader", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[1], NULL, name, QUEUE_SIZE, 1, NULL, NULL, NULL, call_js, &s->tsfn) != napi_ok) {
    atomic_store(&s->refs, 1);
    unref_state(s); /* closes the descriptor */
    return NULL;
  }
  /* The device keeps no process alive: the connection that forwards it does. */
  napi_unref_threadsafe_function(env, s->tsfn);
  napi_value handle = wrap_state(env, s, finalize_handle, &TUN_TAG, 0);
  if (handle == NULL) {
    /* The handle's reference is (or will be) dropped by finalize_handle; the thread's is ours. */
    close_fd(s);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    unref_state(s);
    return NULL;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int err = pthread_create(&thread, &attr, reader, s);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    close_fd(s);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    s->stopping = true;
    unref_state(s); /* the thread's reference; the handle's goes when it is collected */
    return throw_errno(env, "tunStart: thread", err);
  }
  return handle;
}

/* tunWrite(handle, packet): bytes written, or -errno (EIO-like errors, or EBADF once closed). */
static napi_value tun_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  tun_state *s = argc < 2 ? NULL : unwrap_state(env, argv[0], &TUN_TAG);
  bytes packet;
  if (s == NULL || !get_bytes(env, argv[1], &packet)) return fail(env, "ERR_SSH_NATIVE_ARGUMENT", "tunWrite(handle, packet): a handle of tunStart and a Uint8Array", 0);
  ssize_t n = -EBADF;
  if (!s->stopping) {
    pthread_mutex_lock(&s->lock);
    if (s->fd >= 0) {
      n = write(s->fd, packet.data, packet.length);
      if (n < 0) n = -errno;
    }
    pthread_mutex_unlock(&s->lock);
  }
  napi_value result;
  if (napi_create_int64(env, (int64_t)n, &result) != napi_ok) return NULL;
  return result;
}

/* tunClose(handle): stops the reader, which closes the descriptor. Idempotent. */
static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  tun_state *s = argc < 1 ? NULL : unwrap_state(env, argv[0], &TUN_TAG);
  if (s == NULL) return fail(env, "ERR_SSH_NATIVE_ARGUMENT", "tunClose(handle): a handle of tunStart", 0);
  request_stop(s);
  return NULL;
}

#else /* not Linux: no /dev/net/tun */

static napi_value unsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value code, message, error;
  if (napi_create_string_utf8(env, "ENOTSUP", NAPI_AUTO_LENGTH, &code) == napi_ok &&
      napi_create_string_utf8(env, "TUN/TAP devices are supported on Linux only", NAPI_AUTO_LENGTH, &message) == napi_ok &&
      napi_create_error(env, code, message, &error) == napi_ok)
    napi_throw(env, error);
  return NULL;
}

static napi_value tun_open(napi_env env, napi_callback_info info) { return unsupported(env, info); }
static napi_value tun_start(napi_env env, napi_callback_info info) { return unsupported(env, info); }
static napi_value tun_write(napi_env env, napi_callback_info info) { return unsupported(env, info); }
static napi_value tun_close(napi_env env, napi_callback_info info) { return unsupported(env, info); }

#endif

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tunStart", NULL, tun_start, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tunWrite", NULL, tun_write, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tunClose", NULL, tun_close, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
