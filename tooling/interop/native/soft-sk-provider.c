/*
 * A SecurityKeyProvider (OpenSSH sk-api.h) for tests, with no authenticator and no crypto of its
 * own: each call is forwarded over the Unix socket named by SSH_SOFT_SK_SOCKET to the software
 * authenticator of @ssh/interop (src/soft-sk.ts), and its answer returned in malloc()ed sk-api
 * structures, which the caller frees member by member with free(). OpenSSH runs it inside
 * ssh-sk-helper, which inherits the environment of ssh-keygen, ssh or ssh-agent.
 *
 * Built by soft-sk.ts with -DSOFT_SK_API_MAJOR=<n> (default 10: OpenSSH 9.1 and later) to
 * report that API major and use its structure layout (7: no enroll flags, no resident user id;
 * 8: resident user id; 9 and later: enroll flags), so that callers can be tested against each.
 *
 * Framing, both ways: a big-endian u32 length, then the body. Strings are a u32 length and the
 * bytes. Requests start with the operation (1 enroll, 2 sign, 3 load resident keys), end with
 * the PIN (u8 present, string) and the options (u32 count; string name, string value, u8
 * required each). Answers start with the status as a u32 (two's complement); fields follow on
 * success. A missing socket, a dead server or a malformed answer is SSH_SK_ERR_GENERAL.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SOFT_SK_API_MAJOR
#define SOFT_SK_API_MAJOR 10
#endif

#define SSH_SK_ERR_GENERAL (-1)

struct sk_enroll_response {
#if SOFT_SK_API_MAJOR >= 9
  uint8_t flags;
#endif
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
};

struct sk_sign_response {
  uint8_t flags;
  uint32_t counter;
  uint8_t *sig_r;
  size_t sig_r_len;
  uint8_t *sig_s;
  size_t sig_s_len;
};

struct sk_resident_key {
  uint32_t alg;
  size_t slot;
  char *application;
  struct sk_enroll_response key;
  uint8_t flags;
#if SOFT_SK_API_MAJOR >= 8
  uint8_t *user_id;
  size_t user_id_len;
#endif
};

struct sk_option {
  char *name;
  char *value;
  uint8_t required;
};

/* Bounds: no answer is bigger, no answer lists more keys, no call waits longer. */
#define MAX_FRAME (1024 * 1024)
#define MAX_KEYS 1024
#define TIMEOUT_SECONDS 120

enum { OP_ENROLL = 1, OP_SIGN = 2, OP_LOAD = 3 };

/* ------------------------------------------------------------------ request building */

typedef struct {
  uint8_t *data;
  size_t length;
  size_t capacity;
  int failed;
} buffer;

static void put(buffer *b, const void *data, size_t length) {
  if (b->failed) return;
  if (length > MAX_FRAME || b->length + length > MAX_FRAME) {
    b->failed = 1;
    return;
  }
  if (b->length + length > b->capacity) {
    size_t capacity = b->capacity == 0 ? 256 : b->capacity;
    while (capacity < b->length + length) capacity *= 2;
    uint8_t *grown = realloc(b->data, capacity);
    if (grown == NULL) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->capacity = capacity;
  }
  if (length > 0) memcpy(b->data + b->length, data, length);
  b->length += length;
}

static void put_u8(buffer *b, uint8_t v) {
  put(b, &v, 1);
}

static void put_u32(buffer *b, uint32_t v) {
  uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
  put(b, be, 4);
}

static void put_string(buffer *b, const void *data, size_t length) {
  if (length > MAX_FRAME) {
    b->failed = 1;
    return;
  }
  put_u32(b, (uint32_t)length);
  put(b, data, length);
}

static void put_text(buffer *b, const char *text) {
  put_string(b, text, text == NULL ? 0 : strlen(text));
}

static void put_pin_and_options(buffer *b, const char *pin, struct sk_option **options) {
  put_u8(b, pin != NULL);
  put_text(b, pin);
  uint32_t count = 0;
  while (options != NULL && options[count] != NULL && count < 64) count++;
  put_u32(b, count);
  for (uint32_t i = 0; i < count; i++) {
    put_text(b, options[i]->name);
    put_text(b, options[i]->value);
    put_u8(b, options[i]->required);
  }
}

static void wipe_buffer(buffer *b) {
  if (b->data != NULL) {
    volatile uint8_t *p = b->data; /* the request may hold a PIN */
    for (size_t i = 0; i < b->capacity; i++) p[i] = 0;
  }
  free(b->data);
}

/* ------------------------------------------------------------------ answer parsing */

typedef struct {
  const uint8_t *data;
  size_t length;
  size_t offset;
  int failed;
} reader;

static int get(reader *r, void *out, size_t length) {
  if (r->failed || length > r->length - r->offset) {
    r->failed = 1;
    return 0;
  }
  memcpy(out, r->data + r->offset, length);
  r->offset += length;
  return 1;
}

static uint8_t get_u8(reader *r) {
  uint8_t v = 0;
  get(r, &v, 1);
  return v;
}

static uint32_t get_u32(reader *r) {
  uint8_t be[4] = { 0, 0, 0, 0 };
  get(r, be, 4);
  return (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
}

/* A string as malloc()ed bytes with a NUL after them (NULL when empty, as a provider leaves absent fields). */
static uint8_t *get_string(reader *r, size_t *length) {
  uint32_t n = get_u32(r);
  *length = 0;
  if (r->failed || n > r->length - r->offset) {
    r->failed = 1;
    return NULL;
  }
  if (n == 0) return NULL;
  uint8_t *copy = malloc((size_t)n + 1);
  if (copy == NULL) {
    r->failed = 1;
    return NULL;
  }
  memcpy(copy, r->data + r->offset, n);
  copy[n] = 0;
  r->offset += n;
  *length = n;
  return copy;
}

/* ------------------------------------------------------------------ transport */

static int write_all(int fd, const uint8_t *data, size_t length) {
  while (length > 0) {
    ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
    if (n <= 0) return 0;
    data += n;
    length -= (size_t)n;
  }
  return 1;
}

static int read_all(int fd, uint8_t *data, size_t length) {
  while (length > 0) {
    ssize_t n = recv(fd, data, length, 0);
    if (n <= 0) return 0;
    data += n;
    length -= (size_t)n;
  }
  return 1;
}

/* Sends the request and returns the answer's body (malloc()ed, *length bytes), or NULL. */
static uint8_t *exchange(const buffer *request, size_t *length) {
  const char *path = getenv("SSH_SOFT_SK_SOCKET");
  struct sockaddr_un address;
  if (request->failed || path == NULL || path[0] == '\0' || strlen(path) >= sizeof address.sun_path) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return NULL;
  struct timeval timeout = { TIMEOUT_SECONDS, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path, strlen(path));
  uint8_t *answer = NULL;
  uint8_t head[4] = { (uint8_t)(request->length >> 24), (uint8_t)(request->length >> 16), (uint8_t)(request->length >> 8), (uint8_t)request->length };
  if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0 && write_all(fd, head, 4) && write_all(fd, request->data, request->length) &&
      read_all(fd, head, 4)) {
    size_t n = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
    if (n >= 4 && n <= MAX_FRAME && (answer = malloc(n)) != NULL && !read_all(fd, answer, n)) {
      free(answer);
      answer = NULL;
    }
    *length = n;
  }
  close(fd);
  return answer;
}

/* ------------------------------------------------------------------ sk-api.h */

uint32_t sk_api_version(void) {
  return (uint32_t)SOFT_SK_API_MAJOR << 16;
}

static void free_enroll_fields(struct sk_enroll_response *r) {
  free(r->public_key);
  free(r->key_handle);
  free(r->signature);
  free(r->attestation_cert);
  free(r->authdata);
}

/* The fields after the flags (which only majors 9 and later have a place for). */
static void read_key(reader *r, struct sk_enroll_response *key) {
  key->public_key = get_string(r, &key->public_key_len);
  key->key_handle = get_string(r, &key->key_handle_len);
}

int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len, const char *application, uint8_t flags, const char *pin,
              struct sk_option **options, struct sk_enroll_response **enroll_response) {
  if (enroll_response == NULL) return SSH_SK_ERR_GENERAL;
  *enroll_response = NULL;
  buffer request = { NULL, 0, 0, 0 };
  put_u8(&request, OP_ENROLL);
  put_u32(&request, alg);
  put_string(&request, challenge, challenge == NULL ? 0 : challenge_len);
  put_text(&request, application);
  put_u8(&request, flags);
  put_pin_and_options(&request, pin, options);
  size_t length = 0;
  uint8_t *answer = exchange(&request, &length);
  wipe_buffer(&request);
  if (answer == NULL) return SSH_SK_ERR_GENERAL;
  reader r = { answer, length, 0, 0 };
  int status = (int32_t)get_u32(&r);
  if (status == 0) {
    struct sk_enroll_response *response = calloc(1, sizeof *response);
    if (response == NULL) {
      free(answer);
      return SSH_SK_ERR_GENERAL;
    }
    uint8_t key_flags = get_u8(&r);
#if SOFT_SK_API_MAJOR >= 9
    response->flags = key_flags;
#else
    (void)key_flags;
#endif
    read_key(&r, response);
    response->signature = get_string(&r, &response->signature_len);
    response->attestation_cert = get_string(&r, &response->attestation_cert_len);
    response->authdata = get_string(&r, &response->authdata_len);
    if (r.failed || r.offset != r.length || response->public_key == NULL || response->key_handle == NULL) {
      free_enroll_fields(response);
      free(response);
      status = SSH_SK_ERR_GENERAL;
    } else {
      *enroll_response = response;
    }
  }
  free(answer);
  return status;
}

int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len, const char *application, const uint8_t *key_handle, size_t key_handle_len,
            uint8_t flags, const char *pin, struct sk_option **options, struct sk_sign_response **sign_response) {
  if (sign_response == NULL) return SSH_SK_ERR_GENERAL;
  *sign_response = NULL;
  buffer request = { NULL, 0, 0, 0 };
  put_u8(&request, OP_SIGN);
  put_u32(&request, alg);
  put_string(&request, data, data == NULL ? 0 : data_len);
  put_text(&request, application);
  put_string(&request, key_handle, key_handle == NULL ? 0 : key_handle_len);
  put_u8(&request, flags);
  put_pin_and_options(&request, pin, options);
  size_t length = 0;
  uint8_t *answer = exchange(&request, &length);
  wipe_buffer(&request);
  if (answer == NULL) return SSH_SK_ERR_GENERAL;
  reader r = { answer, length, 0, 0 };
  int status = (int32_t)get_u32(&r);
  if (status == 0) {
    struct sk_sign_response *response = calloc(1, sizeof *response);
    if (response == NULL) {
      free(answer);
      return SSH_SK_ERR_GENERAL;
    }
    response->flags = get_u8(&r);
    response->counter = get_u32(&r);
    response->sig_r = get_string(&r, &response->sig_r_len);
    response->sig_s = get_string(&r, &response->sig_s_len);
    if (r.failed || r.offset != r.length || response->sig_r == NULL) {
      free(response->sig_r);
      free(response->sig_s);
      free(response);
      status = SSH_SK_ERR_GENERAL;
    } else {
      *sign_response = response;
    }
  }
  free(answer);
  return status;
}

static void free_resident_keys(struct sk_resident_key **keys, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (keys[i] == NULL) continue;
    free(keys[i]->application);
    free_enroll_fields(&keys[i]->key);
#if SOFT_SK_API_MAJOR >= 8
    free(keys[i]->user_id);
#endif
    free(keys[i]);
  }
  free(keys);
}

int sk_load_resident_keys(const char *pin, struct sk_option **options, struct sk_resident_key ***rks, size_t *nrks) {
  if (rks == NULL || nrks == NULL) return SSH_SK_ERR_GENERAL;
  *rks = NULL;
  *nrks = 0;
  buffer request = { NULL, 0, 0, 0 };
  put_u8(&request, OP_LOAD);
  put_pin_and_options(&request, pin, options);
  size_t length = 0;
  uint8_t *answer = exchange(&request, &length);
  wipe_buffer(&request);
  if (answer == NULL) return SSH_SK_ERR_GENERAL;
  reader r = { answer, length, 0, 0 };
  int status = (int32_t)get_u32(&r);
  if (status == 0) {
    uint32_t count = get_u32(&r);
    struct sk_resident_key **keys = r.failed || count > MAX_KEYS ? NULL : calloc(count + 1, sizeof *keys);
    if (keys == NULL) {
      free(answer);
      return SSH_SK_ERR_GENERAL;
    }
    for (uint32_t i = 0; i < count && !r.failed; i++) {
      struct sk_resident_key *key = keys[i] = calloc(1, sizeof *key);
      if (key == NULL) {
        r.failed = 1;
        break;
      }
      size_t ignored = 0;
      key->alg = get_u32(&r);
      key->slot = get_u32(&r);
      key->application = (char *)get_string(&r, &ignored);
      read_key(&r, &key->key);
      key->flags = get_u8(&r);
#if SOFT_SK_API_MAJOR >= 8
      key->user_id = get_string(&r, &key->user_id_len);
#else
      free(get_string(&r, &ignored));
#endif
      if (key->application == NULL || key->key.public_key == NULL || key->key.key_handle == NULL) r.failed = 1;
    }
    if (r.failed || r.offset != r.length) {
      free_resident_keys(keys, count);
      status = SSH_SK_ERR_GENERAL;
    } else {
      *rks = keys;
      *nrks = count;
    }
  }
  free(answer);
  return status;
}
