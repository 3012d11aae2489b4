/*
 * libssh (libssh.org, 0.10) as an interop peer: `libsshpeer client SCRIPT` connects to a server,
 * checks its host key against a known_hosts file, authenticates, runs the script's actions in order
 * on the one connection and prints one JSON object on stdout (exit 0; 1 when the connection or
 * authentication failed, with "error" set).
 *
 * SCRIPT has one line per setting or action, its fields separated by tabs:
 *   host H | port P | user U | knownhosts FILE | identity FILE (repeatable) | password PW
 *   kbdint ANSWER... | kex LIST | hostkeys LIST | ciphers LIST | macs LIST | pubkeytypes LIST
 *   compression LIST
 *   rekeydata BYTES | timeout SECONDS | verbose LEVEL
 *   exec CMD STDIN_FILE|- STDOUT_FILE [NAME=VALUE...]   (env requests before exec; stdin then EOF)
 *   pty CMD STDOUT_FILE TERM COLS ROWS NEWCOLS NEWROWS  (window change after the first line; EOF
 *                                                        once "resized" was read)
 *   sftp REMOTE_DIR LOCAL_FILE                          (mkdir, put, stat, readdir, get into
 *                                                        LOCAL_FILE.back, rename, remove, rmdir)
 *   local HOST PORT STDIN_FILE STDOUT_FILE              (direct-tcpip; data, EOF, read to EOF)
 */
#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <unistd.h>

#define MAX_FIELDS 32
#define MAX_LINES 256

static void json_str(const char *s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      putchar('\\');
      putchar(*p);
    } else if (*p == '\n') {
      fputs("\\n", stdout);
    } else if (*p == '\r') {
      fputs("\\r", stdout);
    } else if (*p == '\t') {
      fputs("\\t", stdout);
    } else if (*p < 0x20) {
      printf("\\u%04x", *p);
    } else {
      putchar(*p);
    }
  }
  putchar('"');
}

struct buf {
  char *p;
  size_t n, cap;
};

static void buf_add(struct buf *b, const char *data, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL) abort();
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static const char *buf_str(struct buf *b) { return b->p == NULL ? "" : b->p; }

struct line {
  int n;
  char *f[MAX_FIELDS];
};

static struct line lines[MAX_LINES];
static int nlines;

static void read_script(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    exit(2);
  }
  char *text = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&text, &cap, f)) > 0 && nlines < MAX_LINES) {
    if (text[len - 1] == '\n') text[len - 1] = '\0';
    struct line *l = &lines[nlines++];
    char *rest = strdup(text);
    l->n = 0;
    char *field;
    while ((field = strsep(&rest, "\t")) != NULL && l->n < MAX_FIELDS) l->f[l->n++] = field;
  }
  free(text);
  fclose(f);
}

/* The error text: a failure's reason, printed as "error" before the JSON ends. */
static char failure[1024];

/*
 * Moves data both ways on a channel until the peer's EOF (or, with `until`, until stdout holds that
 * text and a newline after it): stdin from `infd` (-1: none) as the remote window allows, then EOF unless `hold_eof`;
 * stdout appended to `out` and written to `outfd` (-1: not), stderr to `err`. 0, or -1 on error.
 */
static int pump(ssh_channel ch, int infd, int hold_eof, struct buf *out, int outfd, struct buf *err, const char *until, int *eof_sent) {
  static char in[32768], rb[32768];
  size_t inlen = 0, inoff = 0;
  int in_eof = infd < 0;
  for (;;) {
    int progress = 0;
    if (!in_eof && inoff == inlen) {
      ssize_t r = read(infd, in, sizeof in);
      if (r <= 0) {
        in_eof = 1;
      } else {
        inlen = (size_t)r;
        inoff = 0;
      }
    }
    if (inoff < inlen) {
      uint32_t window = ssh_channel_window_size(ch);
      if (window > 0) {
        size_t n = inlen - inoff;
        if (n > window) n = window;
        int w = ssh_channel_write(ch, in + inoff, (uint32_t)n);
        if (w < 0) {
          snprintf(failure, sizeof failure, "channel write: %s", ssh_get_error(ssh_channel_get_session(ch)));
          return -1;
        }
        inoff += (size_t)w;
        progress = 1;
      }
    }
    if (in_eof && inoff == inlen && !hold_eof && !*eof_sent) {
      ssh_channel_send_eof(ch);
      *eof_sent = 1;
    }
    int got = 0;
    for (int is_stderr = 0; is_stderr < 2; is_stderr++) {
      int r = ssh_channel_read_nonblocking(ch, rb, sizeof rb, is_stderr);
      if (r == SSH_ERROR) {
        snprintf(failure, sizeof failure, "channel read: %s", ssh_get_error(ssh_channel_get_session(ch)));
        return -1;
      }
      if (r > 0) {
        got = 1;
        if (is_stderr) {
          buf_add(err, rb, (size_t)r);
        } else {
          buf_add(out, rb, (size_t)r);
          if (outfd >= 0 && write(outfd, rb, (size_t)r) != r) return -1;
        }
      }
    }
    const char *at = until == NULL ? NULL : strstr(buf_str(out), until);
    if (at != NULL && strchr(at, '\n') != NULL) return 0;
    if (!got && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))) return 0;
    if (!got && !progress) ssh_channel_poll_timeout(ch, 20, 0);
  }
}

static void print_exec_result(struct buf *out, struct buf *err, int status, int json_stdout) {
  printf("{\"stdout\":");
  json_str(json_stdout ? buf_str(out) : "");
  printf(",\"stdoutLength\":%zu,\"stderr\":", out->n);
  json_str(buf_str(err));
  printf(",\"exitStatus\":%d,\"error\":", status);
  json_str(failure[0] ? failure : NULL);
  printf("}");
  failure[0] = '\0';
}

static int open_out(const char *path) {
  if (strcmp(path, "-") == 0) return -1;
  return open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
}

static void do_exec(ssh_session s, struct line *l) {
  struct buf out = {0}, err = {0};
  int status = -1, eof_sent = 0;
  int infd = strcmp(l->f[2], "-") == 0 ? -1 : open(l->f[2], O_RDONLY);
  int outfd = open_out(l->f[3]);
  ssh_channel ch = ssh_channel_new(s);
  if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
    snprintf(failure, sizeof failure, "open session: %s", ssh_get_error(s));
  } else {
    for (int i = 4; i < l->n; i++) {
      char *eq = strchr(l->f[i], '=');
      if (eq == NULL) continue;
      *eq = '\0';
      if (ssh_channel_request_env(ch, l->f[i], eq + 1) != SSH_OK) {
        snprintf(failure, sizeof failure, "env %s refused: %s", l->f[i], ssh_get_error(s));
      }
    }
    if (ssh_channel_request_exec(ch, l->f[1]) != SSH_OK) {
      snprintf(failure, sizeof failure, "exec: %s", ssh_get_error(s));
    } else if (pump(ch, infd, 0, &out, outfd, &err, NULL, &eof_sent) == 0) {
      status = ssh_channel_get_exit_status(ch);
    }
    ssh_channel_close(ch);
  }
  if (ch != NULL) ssh_channel_free(ch);
  if (infd >= 0) close(infd);
  if (outfd >= 0) close(outfd);
  print_exec_result(&out, &err, status, outfd < 0);
  free(out.p);
  free(err.p);
}

static void do_pty(ssh_session s, struct line *l) {
  struct buf out = {0}, err = {0};
  int status = -1, eof_sent = 0;
  int outfd = open_out(l->f[2]);
  ssh_channel ch = ssh_channel_new(s);
  if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
    snprintf(failure, sizeof failure, "open session: %s", ssh_get_error(s));
  } else {
    if (ssh_channel_request_pty_size(ch, l->f[3], atoi(l->f[4]), atoi(l->f[5])) != SSH_OK) {
      snprintf(failure, sizeof failure, "pty: %s", ssh_get_error(s));
    } else if (ssh_channel_request_exec(ch, l->f[1]) != SSH_OK) {
      snprintf(failure, sizeof failure, "exec: %s", ssh_get_error(s));
    } else if (pump(ch, -1, 1, &out, outfd, &err, "\n", &eof_sent) == 0) {
      if (ssh_channel_change_pty_size(ch, atoi(l->f[6]), atoi(l->f[7])) != SSH_OK) {
        snprintf(failure, sizeof failure, "window change: %s", ssh_get_error(s));
      } else if (pump(ch, -1, 1, &out, outfd, &err, "resized", &eof_sent) == 0) {
        ssh_channel_send_eof(ch);
        eof_sent = 1;
        if (pump(ch, -1, 1, &out, outfd, &err, NULL, &eof_sent) == 0) status = ssh_channel_get_exit_status(ch);
      }
    }
    ssh_channel_close(ch);
  }
  if (ch != NULL) ssh_channel_free(ch);
  if (outfd >= 0) close(outfd);
  print_exec_result(&out, &err, status, outfd < 0);
  free(out.p);
  free(err.p);
}

static void do_local(ssh_session s, struct line *l) {
  struct buf out = {0}, err = {0};
  int eof_sent = 0;
  int infd = open(l->f[3], O_RDONLY);
  int outfd = open_out(l->f[4]);
  ssh_channel ch = ssh_channel_new(s);
  if (ch == NULL || ssh_channel_open_forward(ch, l->f[1], atoi(l->f[2]), "127.0.0.1", 50000) != SSH_OK) {
    snprintf(failure, sizeof failure, "direct-tcpip: %s", ssh_get_error(s));
  } else {
    pump(ch, infd, 0, &out, outfd, &err, NULL, &eof_sent);
    ssh_channel_close(ch);
  }
  if (ch != NULL) ssh_channel_free(ch);
  if (infd >= 0) close(infd);
  if (outfd >= 0) close(outfd);
  printf("{\"length\":%zu,\"error\":", out.n);
  json_str(failure[0] ? failure : NULL);
  printf("}");
  failure[0] = '\0';
  free(out.p);
  free(err.p);
}

#define SFTP_FAIL(what)                                                                                            \
  do {                                                                                                             \
    snprintf(failure, sizeof failure, "%s: sftp error %d, %s", what, sftp_get_error(sftp), ssh_get_error(s));      \
    goto done;                                                                                                     \
  } while (0)

static void do_sftp(ssh_session s, struct line *l) {
  char dir[4096], up[4200], moved[4200], back[4200];
  static char chunk[32768];
  snprintf(dir, sizeof dir, "%s/d", l->f[1]);
  snprintf(up, sizeof up, "%s/up.bin", dir);
  snprintf(moved, sizeof moved, "%s/moved.bin", dir);
  snprintf(back, sizeof back, "%s.back", l->f[2]);
  struct buf names = {0};
  long long size = -1, got = 0;
  int perms = -1, renamed = 0, removed = 0;
  int fd = -1;
  sftp_file file = NULL;
  sftp_session sftp = sftp_new(s);
  if (sftp == NULL) {
    snprintf(failure, sizeof failure, "sftp_new: %s", ssh_get_error(s));
    goto out;
  }
  if (sftp_init(sftp) != SSH_OK) SFTP_FAIL("sftp_init");
  if (sftp_mkdir(sftp, dir, 0755) != 0) SFTP_FAIL("mkdir");
  file = sftp_open(sftp, up, O_WRONLY | O_CREAT | O_TRUNC, 0640);
  if (file == NULL) SFTP_FAIL("open for writing");
  fd = open(l->f[2], O_RDONLY);
  ssize_t r;
  while ((r = read(fd, chunk, sizeof chunk)) > 0) {
    if (sftp_write(file, chunk, (size_t)r) != r) SFTP_FAIL("write");
  }
  close(fd);
  fd = -1;
  sftp_close(file);
  file = NULL;
  sftp_attributes st = sftp_stat(sftp, up);
  if (st == NULL) SFTP_FAIL("stat");
  size = (long long)st->size;
  perms = (int)(st->permissions & 07777);
  sftp_attributes_free(st);
  sftp_dir d = sftp_opendir(sftp, dir);
  if (d == NULL) SFTP_FAIL("opendir");
  sftp_attributes a;
  while ((a = sftp_readdir(sftp, d)) != NULL) {
    if (names.n > 0) buf_add(&names, "/", 1);
    buf_add(&names, a->name, strlen(a->name));
    sftp_attributes_free(a);
  }
  if (!sftp_dir_eof(d)) SFTP_FAIL("readdir");
  sftp_closedir(d);
  file = sftp_open(sftp, up, O_RDONLY, 0);
  if (file == NULL) SFTP_FAIL("open for reading");
  fd = open(back, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  while ((r = sftp_read(file, chunk, sizeof chunk)) > 0) {
    if (write(fd, chunk, (size_t)r) != r) SFTP_FAIL("local write");
    got += r;
  }
  if (r < 0) SFTP_FAIL("read");
  close(fd);
  fd = -1;
  sftp_close(file);
  file = NULL;
  if (sftp_rename(sftp, up, moved) != 0) SFTP_FAIL("rename");
  st = sftp_stat(sftp, moved);
  if (st == NULL) SFTP_FAIL("stat after rename");
  sftp_attributes_free(st);
  renamed = 1;
  if (sftp_unlink(sftp, moved) != 0) SFTP_FAIL("remove");
  if (sftp_rmdir(sftp, dir) != 0) SFTP_FAIL("rmdir");
  removed = 1;
  st = sftp_stat(sftp, moved);
  if (st != NULL) {
    sftp_attributes_free(st);
    snprintf(failure, sizeof failure, "stat after remove succeeded");
  }
done:
  if (fd >= 0) close(fd);
  if (file != NULL) sftp_close(file);
  sftp_free(sftp);
out:
  printf("{\"size\":%lld,\"permissions\":%d,\"names\":", size, perms);
  json_str(buf_str(&names));
  printf(",\"downloaded\":%lld,\"renamed\":%s,\"removed\":%s,\"error\":", got, renamed ? "true" : "false", removed ? "true" : "false");
  json_str(failure[0] ? failure : NULL);
  printf("}");
  failure[0] = '\0';
  free(names.p);
}

static const char *setting(const char *name) {
  for (int i = 0; i < nlines; i++) {
    if (lines[i].n >= 2 && strcmp(lines[i].f[0], name) == 0) return lines[i].f[1];
  }
  return NULL;
}

static int authenticate(ssh_session s) {
  int rc = ssh_userauth_none(s, NULL);
  if (rc == SSH_AUTH_SUCCESS) return 0;
  char *banner = ssh_get_issue_banner(s);
  printf("\"banner\":");
  json_str(banner);
  printf(",");
  ssh_string_free_char(banner);
  printf("\"methods\":%d,", ssh_userauth_list(s, NULL));
  for (int i = 0; i < nlines; i++) {
    if (lines[i].n < 2 || strcmp(lines[i].f[0], "identity") != 0) continue;
    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(lines[i].f[1], NULL, NULL, NULL, &key) != SSH_OK) {
      snprintf(failure, sizeof failure, "cannot read the key %s", lines[i].f[1]);
      return -1;
    }
    rc = ssh_userauth_publickey(s, NULL, key);
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS) {
      printf("\"authMethod\":\"publickey\",");
      return 0;
    }
    if (rc == SSH_AUTH_ERROR) break;
  }
  const char *password = setting("password");
  if (password != NULL && rc != SSH_AUTH_ERROR) {
    rc = ssh_userauth_password(s, NULL, password);
    if (rc == SSH_AUTH_SUCCESS) {
      printf("\"authMethod\":\"password\",");
      return 0;
    }
  }
  for (int i = 0; i < nlines && rc != SSH_AUTH_ERROR; i++) {
    if (strcmp(lines[i].f[0], "kbdint") != 0) continue;
    struct line *answers = &lines[i];
    printf("\"challenges\":[");
    rc = ssh_userauth_kbdint(s, NULL, NULL);
    int rounds = 0;
    while (rc == SSH_AUTH_INFO) {
      int n = ssh_userauth_kbdint_getnprompts(s);
      printf("%s{\"name\":", rounds++ ? "," : "");
      json_str(ssh_userauth_kbdint_getname(s));
      printf(",\"instruction\":");
      json_str(ssh_userauth_kbdint_getinstruction(s));
      printf(",\"prompts\":[");
      for (int p = 0; p < n; p++) {
        char echo = 0;
        const char *prompt = ssh_userauth_kbdint_getprompt(s, (unsigned)p, &echo);
        printf("%s{\"prompt\":", p ? "," : "");
        json_str(prompt);
        printf(",\"echo\":%s}", echo ? "true" : "false");
        ssh_userauth_kbdint_setanswer(s, (unsigned)p, p + 1 < answers->n ? answers->f[p + 1] : "");
      }
      printf("]}");
      rc = ssh_userauth_kbdint(s, NULL, NULL);
    }
    printf("],");
    if (rc == SSH_AUTH_SUCCESS) {
      printf("\"authMethod\":\"keyboard-interactive\",");
      return 0;
    }
  }
  snprintf(failure, sizeof failure, "authentication failed (%d): %s", rc, ssh_get_error(s));
  return -1;
}

static int set_list(ssh_session s, enum ssh_options_e option, const char *name) {
  const char *value = setting(name);
  if (value == NULL) return 0;
  if (ssh_options_set(s, option, value) != SSH_OK) {
    snprintf(failure, sizeof failure, "libssh refuses %s %s: %s", name, value, ssh_get_error(s));
    return -1;
  }
  return 0;
}

static int connect_session(ssh_session s) {
  int port = setting("port") ? atoi(setting("port")) : 22;
  long timeout = setting("timeout") ? atol(setting("timeout")) : 15;
  int verbosity = setting("verbose") ? atoi(setting("verbose")) : 0;
  int no = 0;
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s, SSH_OPTIONS_HOST, setting("host") ? setting("host") : "127.0.0.1");
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  if (setting("user")) ssh_options_set(s, SSH_OPTIONS_USER, setting("user"));
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, setting("knownhosts") ? setting("knownhosts") : "/dev/null");
  if (set_list(s, SSH_OPTIONS_KEY_EXCHANGE, "kex") || set_list(s, SSH_OPTIONS_HOSTKEYS, "hostkeys") ||
      set_list(s, SSH_OPTIONS_CIPHERS_C_S, "ciphers") || set_list(s, SSH_OPTIONS_CIPHERS_S_C, "ciphers") ||
      set_list(s, SSH_OPTIONS_HMAC_C_S, "macs") || set_list(s, SSH_OPTIONS_HMAC_S_C, "macs") ||
      set_list(s, SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, "pubkeytypes") || set_list(s, SSH_OPTIONS_COMPRESSION_C_S, "compression") ||
      set_list(s, SSH_OPTIONS_COMPRESSION_S_C, "compression")) {
    return -1;
  }
  if (setting("rekeydata")) {
    uint64_t bytes = strtoull(setting("rekeydata"), NULL, 10);
    ssh_options_set(s, SSH_OPTIONS_REKEY_DATA, &bytes);
  }
  if (ssh_connect(s) != SSH_OK) {
    snprintf(failure, sizeof failure, "connect: %s", ssh_get_error(s));
    return -1;
  }
  ssh_key server_key = NULL;
  if (ssh_get_server_publickey(s, &server_key) == SSH_OK) {
    printf("\"hostKeyType\":");
    json_str(ssh_key_type_to_char(ssh_key_type(server_key)));
    printf(",");
    ssh_key_free(server_key);
  }
  enum ssh_known_hosts_e known = ssh_session_is_known_server(s);
  if (known != SSH_KNOWN_HOSTS_OK) {
    const char *what = known == SSH_KNOWN_HOSTS_CHANGED     ? "changed"
                       : known == SSH_KNOWN_HOSTS_OTHER     ? "other type"
                       : known == SSH_KNOWN_HOSTS_UNKNOWN   ? "unknown"
                       : known == SSH_KNOWN_HOSTS_NOT_FOUND ? "no known_hosts file"
                                                            : "error";
    snprintf(failure, sizeof failure, "host key not accepted: %s", what);
    return -1;
  }
  printf("\"serverBanner\":");
  json_str(ssh_get_serverbanner(s));
  printf(",\"kex\":");
  json_str(ssh_get_kex_algo(s));
  printf(",\"cipherIn\":");
  json_str(ssh_get_cipher_in(s));
  printf(",\"cipherOut\":");
  json_str(ssh_get_cipher_out(s));
  printf(",\"hmacIn\":");
  json_str(ssh_get_hmac_in(s));
  printf(",\"hmacOut\":");
  json_str(ssh_get_hmac_out(s));
  printf(",");
  return 0;
}

static int client(void) {
  ssh_session s = ssh_new();
  int status = 1;
  printf("{");
  if (connect_session(s) == 0 && authenticate(s) == 0) {
    status = 0;
    printf("\"actions\":[");
    int first = 1;
    for (int i = 0; i < nlines; i++) {
      struct line *l = &lines[i];
      const char *op = l->f[0];
      int known = (strcmp(op, "exec") == 0 && l->n >= 4) || (strcmp(op, "pty") == 0 && l->n >= 8) ||
                  (strcmp(op, "sftp") == 0 && l->n >= 3) || (strcmp(op, "local") == 0 && l->n >= 5);
      if (!known) continue;
      if (!first) printf(",");
      first = 0;
      if (strcmp(op, "exec") == 0) do_exec(s, l);
      else if (strcmp(op, "pty") == 0) do_pty(s, l);
      else if (strcmp(op, "sftp") == 0) do_sftp(s, l);
      else do_local(s, l);
      fflush(stdout);
    }
    printf("],");
  }
  printf("\"error\":");
  json_str(failure[0] ? failure : NULL);
  printf("}\n");
  ssh_disconnect(s);
  ssh_free(s);
  return status;
}


/*
 * `libsshpeer server CONFIG`: a server on 127.0.0.1 (an ephemeral port, printed as
 * "INTEROP-READY <port>" on stdout), one forked process per connection, each with libssh's event
 * loop and callbacks. CONFIG has one tab-separated line per setting: hostkey FILE (repeatable),
 * authorized FILE (authorized_keys lines), password PW (any user), kex|ciphers|macs|hostkeys LIST,
 * rekeydata BYTES, verbose LEVEL. Sessions run exec (/bin/sh -c, with the env requests), a pty
 * (forkpty; window changes resize it), subsystem sftp (/usr/lib/openssh/sftp-server) and
 * direct-tcpip; keyboard-interactive asks "Code: " (no echo) and "Colour: " (echo) and accepts the
 * password and "blue". Its log (stderr) has one line per key exchange, authentication and request.
 * Input from the client is queued in memory and written to the command (or socket) as it reads it.
 */
#include <arpa/inet.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MAX_KEYS 64
#define MAX_ENV 32

static ssh_key authorized[MAX_KEYS];
static int nauthorized;
static ssh_event event;

struct chan;
struct source {
  struct chan *c;
  int is_stderr;
};

struct chan {
  ssh_channel ch;
  struct ssh_channel_callbacks_struct cb;
  pid_t pid;
  int in, out, err, sock;
  int is_pty, cols, rows;
  char term[64];
  char *env[MAX_ENV];
  int nenv;
  int status, exited, done, peer_eof, eof_delivered;
  struct buf pending;
  size_t pending_off;
  struct source out_src, err_src;
  struct chan *next;
};

static struct chan *chans;

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[%d] ", (int)getpid());
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int auth_password(ssh_session s, const char *user, const char *password, void *ud) {
  (void)s;
  (void)ud;
  const char *want = setting("password");
  int ok = want != NULL && strcmp(password, want) == 0;
  log_line("auth password %s %s", user, ok ? "accepted" : "refused");
  return ok ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
}

static int auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *pubkey, char state, void *ud) {
  (void)s;
  (void)ud;
  if (state == SSH_PUBLICKEY_STATE_WRONG) return SSH_AUTH_DENIED;
  for (int i = 0; i < nauthorized; i++) {
    if (ssh_key_cmp(authorized[i], pubkey, SSH_KEY_CMP_PUBLIC) == 0) {
      if (state == SSH_PUBLICKEY_STATE_VALID) log_line("auth publickey %s %s accepted", user, ssh_key_type_to_char(ssh_key_type(pubkey)));
      return SSH_AUTH_SUCCESS;
    }
  }
  log_line("auth publickey %s %s refused", user, ssh_key_type_to_char(ssh_key_type(pubkey)));
  return SSH_AUTH_DENIED;
}

static struct chan *new_chan(ssh_channel ch);

static int on_fd(socket_t fd, int revents, void *ud) {
  struct source *src = ud;
  struct chan *c = src->c;
  static char data[32768];
  (void)revents;
  /* ssh_channel_write waits for window, or for a key exchange to end, by polling this event, fd
     included: this callback then runs again inside the write. Reading then would overwrite `data`
     while it is being sent (a chunk sent twice, one lost); the fd is left readable instead, and
     read once the outer write returns. */
  static int writing;
  if (writing) return 0;
  ssize_t n = read(fd, data, sizeof data);
  if (n > 0) {
    writing = 1;
    int w = src->is_stderr ? ssh_channel_write_stderr(c->ch, data, (uint32_t)n) : ssh_channel_write(c->ch, data, (uint32_t)n);
    writing = 0;
    if (w == SSH_ERROR) log_line("channel write failed");
    return 0;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  ssh_event_remove_fd(event, fd);
  if (fd == c->sock) {
    ssh_channel_send_eof(c->ch);
    c->out = -1;
    return 0;
  }
  close(fd);
  if (src->is_stderr) c->err = -1;
  else c->out = -1;
  return 0;
}

static void watch(struct chan *c) {
  c->out_src = (struct source){c, 0};
  c->err_src = (struct source){c, 1};
  if (c->out >= 0) ssh_event_add_fd(event, c->out, POLLIN, on_fd, &c->out_src);
  if (c->err >= 0) ssh_event_add_fd(event, c->err, POLLIN, on_fd, &c->err_src);
}

/* Writes what the command (or socket) takes of the queued input; then, after the peer's EOF, passes it on. */
static void flush_input(struct chan *c) {
  while (c->in >= 0 && c->pending_off < c->pending.n) {
    ssize_t w = write(c->in, c->pending.p + c->pending_off, c->pending.n - c->pending_off);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno != EAGAIN) c->pending_off = c->pending.n;
      break;
    }
    c->pending_off += (size_t)w;
  }
  if (c->pending_off == c->pending.n) c->pending.n = c->pending_off = 0;
  if (!c->peer_eof || c->eof_delivered || c->pending.n > 0) return;
  c->eof_delivered = 1;
  if (c->sock >= 0) {
    shutdown(c->sock, SHUT_WR);
  } else if (c->is_pty) {
    if (c->in >= 0 && write(c->in, "\x04", 1) != 1) log_line("pty EOF write failed");
  } else if (c->in >= 0) {
    close(c->in);
    c->in = -1;
  }
}

static int on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  (void)is_stderr;
  if (c->in >= 0) buf_add(&c->pending, data, len);
  flush_input(c);
  return (int)len;
}

static void on_eof(ssh_session s, ssh_channel ch, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  c->peer_eof = 1;
  flush_input(c);
}

static void on_close(ssh_session s, ssh_channel ch, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  c->done = 1;
}

static int on_pty(ssh_session s, ssh_channel ch, const char *term, int cols, int rows, int pw, int ph, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  (void)pw;
  (void)ph;
  c->is_pty = 1;
  snprintf(c->term, sizeof c->term, "%s", term);
  c->cols = cols;
  c->rows = rows;
  log_line("pty %s %dx%d", term, cols, rows);
  return SSH_OK;
}

static int on_window_change(ssh_session s, ssh_channel ch, int cols, int rows, int pw, int ph, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  (void)pw;
  (void)ph;
  log_line("window-change %dx%d", cols, rows);
  c->cols = cols;
  c->rows = rows;
  if (c->is_pty && c->in >= 0) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(c->in, TIOCSWINSZ, &ws);
  }
  return SSH_OK;
}

static int on_env(ssh_session s, ssh_channel ch, const char *name, const char *value, void *ud) {
  struct chan *c = ud;
  (void)s;
  (void)ch;
  log_line("env %s=%s", name, value);
  if (c->nenv == MAX_ENV) return SSH_ERROR;
  size_t n = strlen(name) + strlen(value) + 2;
  c->env[c->nenv] = malloc(n);
  snprintf(c->env[c->nenv++], n, "%s=%s", name, value);
  return SSH_OK;
}

static int spawn(struct chan *c, const char *path, char *const argv[]) {
  if (c->pid > 0) return SSH_ERROR;
  if (c->is_pty) {
    struct winsize ws = {.ws_row = (unsigned short)c->rows, .ws_col = (unsigned short)c->cols};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) return SSH_ERROR;
    if (pid == 0) {
      signal(SIGPIPE, SIG_DFL);
      setenv("TERM", c->term, 1);
      for (int i = 0; i < c->nenv; i++) putenv(c->env[i]);
      execv(path, argv);
      _exit(127);
    }
    c->pid = pid;
    c->in = master;
    c->out = dup(master);
    fcntl(c->in, F_SETFL, O_NONBLOCK);
  } else {
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err)) return SSH_ERROR;
    pid_t pid = fork();
    if (pid < 0) return SSH_ERROR;
    if (pid == 0) {
      signal(SIGPIPE, SIG_DFL);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      for (int fd = 3; fd < 1024; fd++) close(fd);
      for (int i = 0; i < c->nenv; i++) putenv(c->env[i]);
      execv(path, argv);
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    c->pid = pid;
    c->in = in[1];
    c->out = out[0];
    c->err = err[0];
    fcntl(c->in, F_SETFL, O_NONBLOCK);
    fcntl(c->out, F_SETFL, O_NONBLOCK);
    fcntl(c->err, F_SETFL, O_NONBLOCK);
  }
  watch(c);
  return SSH_OK;
}

static int on_exec(ssh_session s, ssh_channel ch, const char *command, void *ud) {
  (void)s;
  (void)ch;
  log_line("exec %s", command);
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  return spawn(ud, "/bin/sh", argv);
}

static int on_subsystem(ssh_session s, ssh_channel ch, const char *name, void *ud) {
  (void)s;
  (void)ch;
  log_line("subsystem %s", name);
  if (strcmp(name, "sftp") != 0) return SSH_ERROR;
  char *argv[] = {"sftp-server", NULL};
  return spawn(ud, "/usr/lib/openssh/sftp-server", argv);
}

static struct chan *new_chan(ssh_channel ch) {
  struct chan *c = calloc(1, sizeof *c);
  c->ch = ch;
  c->in = c->out = c->err = c->sock = -1;
  c->cb.userdata = c;
  c->cb.channel_data_function = on_data;
  c->cb.channel_eof_function = on_eof;
  c->cb.channel_close_function = on_close;
  c->cb.channel_pty_request_function = on_pty;
  c->cb.channel_pty_window_change_function = on_window_change;
  c->cb.channel_env_request_function = on_env;
  c->cb.channel_exec_request_function = on_exec;
  c->cb.channel_subsystem_request_function = on_subsystem;
  ssh_callbacks_init(&c->cb);
  ssh_set_channel_callbacks(ch, &c->cb);
  c->next = chans;
  chans = c;
  return c;
}

static ssh_channel on_session_open(ssh_session s, void *ud) {
  (void)ud;
  ssh_channel ch = ssh_channel_new(s);
  log_line("session channel");
  new_chan(ch);
  return ch;
}

static int on_message(ssh_session s, ssh_message msg, void *ud) {
  (void)ud;
  int type = ssh_message_type(msg), subtype = ssh_message_subtype(msg);
  if (type == SSH_REQUEST_AUTH && subtype == SSH_AUTH_METHOD_INTERACTIVE) {
    static char kbdint_user[256];
    if (!ssh_message_auth_kbdint_is_response(msg)) {
      /* The INFO_RESPONSE carries no user name: remember the request's. */
      snprintf(kbdint_user, sizeof kbdint_user, "%s", ssh_message_auth_user(msg));
      const char *prompts[] = {"Code: ", "Colour: "};
      char echo[] = {0, 1};
      ssh_message_auth_interactive_request(msg, "Two questions", "Answer both", 2, prompts, echo);
      return 0;
    }
    const char *want = setting("password");
    int ok = ssh_userauth_kbdint_getnanswers(s) == 2 && want != NULL && strcmp(ssh_userauth_kbdint_getanswer(s, 0), want) == 0 &&
             strcmp(ssh_userauth_kbdint_getanswer(s, 1), "blue") == 0;
    log_line("auth keyboard-interactive %s %s", kbdint_user, ok ? "accepted" : "refused");
    if (ok) {
      ssh_message_auth_reply_success(msg, 0);
      return 0;
    }
    ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
    return 1;
  }
  if (type == SSH_REQUEST_SERVICE) {
    ssh_message_service_reply_success(msg);
    return 0;
  }
  if (type == SSH_REQUEST_AUTH) {
    ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
    return 1;
  }
  if (type == SSH_REQUEST_CHANNEL_OPEN && subtype == SSH_CHANNEL_DIRECT_TCPIP) {
    const char *host = ssh_message_channel_request_open_destination(msg);
    int port = ssh_message_channel_request_open_destination_port(msg);
    log_line("direct-tcpip %s:%d", host, port);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
      close(sock);
      return 1;
    }
    ssh_channel ch = ssh_message_channel_request_open_reply_accept(msg);
    if (ch == NULL) {
      close(sock);
      return 0;
    }
    struct chan *c = new_chan(ch);
    fcntl(sock, F_SETFL, O_NONBLOCK);
    c->sock = c->in = c->out = sock;
    c->exited = 1;
    c->out_src = (struct source){c, 0};
    ssh_event_add_fd(event, sock, POLLIN, on_fd, &c->out_src);
    return 0;
  }
  log_line("refused request type %d subtype %d", type, subtype);
  return 1;
}

static void serve_connection(ssh_bind sshbind, int fd) {
  ssh_session s = ssh_new();
  struct ssh_server_callbacks_struct cb = {
      .auth_password_function = auth_password,
      .auth_pubkey_function = auth_pubkey,
      .channel_open_request_session_function = on_session_open,
  };
  ssh_callbacks_init(&cb);
  if (ssh_bind_accept_fd(sshbind, s, fd) != SSH_OK) {
    log_line("accept: %s", ssh_get_error(sshbind));
    return;
  }
  if (setting("rekeydata")) {
    uint64_t bytes = strtoull(setting("rekeydata"), NULL, 10);
    ssh_options_set(s, SSH_OPTIONS_REKEY_DATA, &bytes);
  }
  ssh_set_server_callbacks(s, &cb);
  ssh_set_message_callback(s, on_message, NULL);
  ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
  if (ssh_handle_key_exchange(s) != SSH_OK) {
    log_line("key exchange: %s", ssh_get_error(s));
    return;
  }
  log_line("kex %s cipher %s %s hmac %s %s", ssh_get_kex_algo(s), ssh_get_cipher_in(s), ssh_get_cipher_out(s), ssh_get_hmac_in(s), ssh_get_hmac_out(s));
  event = ssh_event_new();
  ssh_event_add_session(event, s);
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    int queued = 0;
    for (struct chan *c = chans; c != NULL; c = c->next) queued |= c->pending.n > 0;
    if (ssh_event_dopoll(event, queued ? 5 : 50) == SSH_ERROR) break;
    for (struct chan *c = chans; c != NULL; c = c->next) {
      flush_input(c);
      if (c->pid > 0 && !c->exited) {
        int st;
        if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
          c->exited = 1;
          c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
      }
      if (c->done) continue;
      if (c->sock >= 0) {
        if (c->out < 0 && c->peer_eof) {
          ssh_channel_close(c->ch);
          close(c->sock);
          c->sock = c->in = -1;
          c->done = 1;
        }
      } else if (c->exited && c->out < 0 && c->err < 0) {
        log_line("exit-status %d", c->status);
        ssh_channel_request_send_exit_status(c->ch, c->status);
        ssh_channel_send_eof(c->ch);
        ssh_channel_close(c->ch);
        if (c->in >= 0) close(c->in);
        c->in = -1;
        c->done = 1;
      }
    }
    if (!ssh_is_connected(s)) break;
  }
  log_line("connection closed");
  ssh_disconnect(s);
}

static int set_bind_list(ssh_bind sshbind, enum ssh_bind_options_e option, const char *name) {
  const char *value = setting(name);
  if (value == NULL) return 0;
  if (ssh_bind_options_set(sshbind, option, value) != SSH_OK) {
    fprintf(stderr, "libssh refuses %s %s: %s\n", name, value, ssh_get_error(sshbind));
    return -1;
  }
  return 0;
}

static int server(void) {
  ssh_bind sshbind = ssh_bind_new();
  int verbosity = setting("verbose") ? atoi(setting("verbose")) : 0;
  int no = 0;
  ssh_bind_options_set(sshbind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
  ssh_bind_options_set(sshbind, SSH_BIND_OPTIONS_LOG_VERBOSITY, &verbosity);
  for (int i = 0; i < nlines; i++) {
    struct line *l = &lines[i];
    if (l->n >= 2 && strcmp(l->f[0], "hostkey") == 0 && ssh_bind_options_set(sshbind, SSH_BIND_OPTIONS_HOSTKEY, l->f[1]) != SSH_OK) {
      fprintf(stderr, "cannot load the host key %s: %s\n", l->f[1], ssh_get_error(sshbind));
      return 2;
    }
    if (l->n >= 2 && strcmp(l->f[0], "authorized") == 0) {
      FILE *f = fopen(l->f[1], "r");
      char *text = NULL;
      size_t cap = 0;
      while (f != NULL && getline(&text, &cap, f) > 0 && nauthorized < MAX_KEYS) {
        char *rest = text, *type = strsep(&rest, " \t\n"), *b64 = strsep(&rest, " \t\n");
        if (type == NULL || b64 == NULL || ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &authorized[nauthorized]) != SSH_OK) {
          fprintf(stderr, "cannot read an authorized key: %s\n", text);
          return 2;
        }
        nauthorized++;
      }
      free(text);
      if (f != NULL) fclose(f);
    }
  }
  if (set_bind_list(sshbind, SSH_BIND_OPTIONS_KEY_EXCHANGE, "kex") || set_bind_list(sshbind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "hostkeys") ||
      set_bind_list(sshbind, SSH_BIND_OPTIONS_CIPHERS_C_S, "ciphers") || set_bind_list(sshbind, SSH_BIND_OPTIONS_CIPHERS_S_C, "ciphers") ||
      set_bind_list(sshbind, SSH_BIND_OPTIONS_HMAC_C_S, "macs") || set_bind_list(sshbind, SSH_BIND_OPTIONS_HMAC_S_C, "macs")) {
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 16) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
    fprintf(stderr, "cannot listen: %s\n", strerror(errno));
    return 2;
  }
  printf("INTEROP-READY %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
      signal(SIGCHLD, SIG_DFL);
      close(listener);
      serve_connection(sshbind, fd);
      _exit(0);
    }
    close(fd);
  }
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "client") != 0 && strcmp(argv[1], "server") != 0)) {
    fprintf(stderr, "usage: libsshpeer client SCRIPT | libsshpeer server CONFIG\n");
    return 2;
  }
  read_script(argv[2]);
  ssh_init();
  int status = strcmp(argv[1], "client") == 0 ? client() : server();
  ssh_finalize();
  return status;
}
