/* osc-client: see osc-client.h. */
#define _GNU_SOURCE
#include "osc-client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int driver_start(struct driver *d, char *const argv[]) {
  int p[2];
  if (pipe(p)) return -1;
  d->pid = fork();
  if (d->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* no stray server when a test fails half-way */
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  d->out_fd = p[0];
  char line[512];
  size_t n = 0;
  double end = now_ms() + 10000;
  while (n < sizeof line - 1) {
    struct pollfd pf = {.fd = d->out_fd, .events = POLLIN};
    int left = (int)(end - now_ms());
    if (left <= 0 || poll(&pf, 1, left) <= 0) break;
    ssize_t r = read(d->out_fd, line + n, 1);
    if (r <= 0) break;
    if (line[n] == '\n') {
      line[n] = 0;
      const char *at = strstr(line, "listening on ");
      const char *colon = at ? strrchr(at, ':') : NULL;
      if (colon) {
        d->port = atoi(colon + 1);
        return 0;
      }
      n = 0;
      continue;
    }
    n++;
  }
  driver_stop(d, NULL, 0);
  return -1;
}

int driver_stop(struct driver *d, char *out, size_t outlen) {
  kill(d->pid, SIGTERM);
  size_t n = 0;
  char sink[256];
  for (;;) {
    char *dst = out && n + 1 < outlen ? out + n : sink;
    size_t room = out && n + 1 < outlen ? outlen - 1 - n : sizeof sink;
    ssize_t r = read(d->out_fd, dst, room);
    if (r <= 0) break;
    if (dst != sink) n += (size_t)r;
  }
  if (out && outlen) out[n] = 0;
  close(d->out_fd);
  int st;
  while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ip:port as a socket address; 0 or -1 */
static int numeric_addr(const char *ip, int port, struct sockaddr_storage *sa, socklen_t *len) {
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST}, *ai;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(ip, service, &hints, &ai)) return -1;
  memcpy(sa, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}

int client_open_from(struct client *c, int server_port, const char *local_ip,
                     const char *server_ip) {
  struct sockaddr_storage a;
  socklen_t len;
  c->server_port = server_port;
  if (numeric_addr(server_ip, server_port, &c->server, &c->server_len) ||
      numeric_addr(local_ip, 0, &a, &len))
    return -1;
  c->fd = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&a, len) ||
      getsockname(c->fd, (struct sockaddr *)&a, &len))
    return -1;
  c->local_port = ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
                                               : ((struct sockaddr_in6 *)&a)->sin6_port);
  return 0;
}

int client_open(struct client *c, int server_port) {
  return client_open_from(c, server_port, "127.0.0.1", "127.0.0.1");
}

void client_close(struct client *c) { close(c->fd); }

void client_send_raw(struct client *c, const void *data, size_t len) {
  sendto(c->fd, data, len, 0, (struct sockaddr *)&c->server, c->server_len);
}

void client_send(struct client *c, const char *path, lo_message m) {
  size_t len = 0;
  void *data = lo_message_serialise(m, path, NULL, &len);
  client_send_raw(c, data, len);
  free(data);
  lo_message_free(m);
}

lo_message client_recv(struct client *c, int timeout_ms, char *path, size_t pathlen,
                       int *from_port) {
  static unsigned char buf[65536];
  double end = now_ms() + timeout_ms;
  for (;;) {
    int left = (int)(end - now_ms());
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    if (left < 0 || poll(&pf, 1, left) <= 0) return NULL;
    struct sockaddr_storage a;
    socklen_t alen = sizeof a;
    ssize_t n = recvfrom(c->fd, buf, sizeof buf, 0, (struct sockaddr *)&a, &alen);
    if (n <= 0) continue;
    int res;
    lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
    if (!m) continue;
    snprintf(path, pathlen, "%s", (const char *)buf);
    if (from_port)
      *from_port = ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
                                                : ((struct sockaddr_in6 *)&a)->sin6_port);
    return m;
  }
}

lo_message client_expect(struct client *c, const char *want, int timeout_ms, char *path,
                         size_t pathlen) {
  double end = now_ms() + timeout_ms;
  for (;;) {
    int left = (int)(end - now_ms());
    if (left < 0) return NULL;
    lo_message m = client_recv(c, left, path, pathlen, NULL);
    if (!m) return NULL;
    if (!strcmp(path, want) || !strcmp(path, "/hushd/error")) return m;
    lo_message_free(m);
  }
}

lo_message client_query(struct client *c, const char *path, char *got, size_t gotlen) {
  client_send(c, path, lo_message_new());
  return client_expect(c, path, 2000, got, gotlen);
}
