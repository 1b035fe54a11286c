/* osc: the OSC transport (see osc.h): the socket, the allow-list, bundles, the thread.
 * What the messages mean is osc_hushd.c's.
 *
 * Why not lo_server: liblo 0.31's server always binds the wildcard address, and a
 * datagram handed to lo_server_dispatch_data carries no sender. So the socket is ours
 * (bound where the user said, so 127.0.0.1 really means local only), each datagram's
 * sender is checked against the allow-list before anything is parsed, liblo parses and
 * validates each message (lo_message_deserialise) and builds the replies. Replies leave
 * from the server's socket, so they come from its port.
 */
#define _GNU_SOURCE
#include "osc.h"

#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "osc_allow.h"
#include "osc_hushd.h"
#include "osc_server.h"

#define MAX_BUNDLE_DEPTH 4
/* Messages handled per datagram; a bundle's later elements are dropped and counted. A
 * 64 KiB datagram holds up to ~4000 small messages; 128 take ~1-5 ms to answer. */
#define MAX_PACKET_MESSAGES 128
#define RECV_BURST 256 /* datagrams per wake before timers are served again */

struct osc {
  int fd, port; /* fd -1: detached (osc_create_detached) */
  int wake[2];  /* osc_destroy writes here to stop the thread */
  pthread_t thread;
  struct osc_allow allow;
  struct osc_hushd *ns;
  struct osc_peer from;           /* sender of the datagram being handled */
  atomic_ullong dropped, refused; /* malformed; from senders outside the allow-list */
  unsigned char in[65536];        /* the largest UDP datagram */
  unsigned char out[8192];        /* a serialised reply */
};

int osc_same_peer(const struct osc_peer *a, const struct osc_peer *b) {
  return a->len == b->len && memcmp(&a->addr, &b->addr, a->len) == 0;
}

void osc_send(struct osc *o, const struct osc_peer *to, const char *path, lo_message m) {
  size_t len = lo_message_length(m, path);
  if (o->fd >= 0 && len <= sizeof o->out && lo_message_serialise(m, path, o->out, &len))
    sendto(o->fd, o->out, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&to->addr,
           to->len);
  lo_message_free(m);
}

/* ---- datagrams ---- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A message, or a bundle ("#bundle", time tag, then size-prefixed elements) whose
 * elements are handled at once, in order: hushd has nothing to schedule. *budget: how
 * many more messages this datagram may have handled. */
static void handle_packet(struct osc *o, const unsigned char *data, size_t size, int depth,
                          int *budget) {
  if (size >= 8 && memcmp(data, "#bundle", 8) == 0) {
    if (size < 16 || depth >= MAX_BUNDLE_DEPTH) goto bad;
    for (size_t pos = 16; pos < size;) {
      if (size - pos < 4) goto bad;
      uint32_t n = be32(data + pos);
      pos += 4;
      if (n == 0 || n % 4 || n > size - pos) goto bad;
      handle_packet(o, data + pos, n, depth + 1, budget);
      pos += n;
    }
    return;
  }
  if (*budget == 0) goto bad;
  --*budget;
  int result = 0;
  lo_message m = lo_message_deserialise((void *)data, size, &result);
  if (!m) goto bad;
  osc_hushd_handle(o->ns, &o->from, (const char *)data, m); /* the path leads the data */
  lo_message_free(m);
  return;
bad:
  atomic_fetch_add_explicit(&o->dropped, 1, memory_order_relaxed);
}

/* One datagram from o->from. */
static void handle_datagram(struct osc *o, const unsigned char *data, size_t size) {
  if (!osc_allow_match(&o->allow, (const struct sockaddr *)&o->from.addr, o->from.len)) {
    /* unanswered: a reply would let anyone aim our datagrams at a forged address */
    atomic_fetch_add_explicit(&o->refused, 1, memory_order_relaxed);
    return;
  }
  int budget = MAX_PACKET_MESSAGES;
  handle_packet(o, data, size, 0, &budget);
}

void osc_dispatch_datagram(struct osc *o, const void *data, size_t size,
                           const struct sockaddr *from, socklen_t fromlen) {
  if (fromlen > sizeof o->from.addr || size > sizeof o->in) return;
  memcpy(&o->from.addr, from, fromlen);
  o->from.len = fromlen;
  memcpy(o->in, data, size); /* liblo reads the data in place: give it aligned memory */
  handle_datagram(o, o->in, size);
  osc_hushd_serve(o->ns);
}

/* ---- the thread ---- */

static void receive(struct osc *o) {
  for (int i = 0; i < RECV_BURST; i++) {
    o->from.len = sizeof o->from.addr;
    ssize_t n = recvfrom(o->fd, o->in, sizeof o->in, MSG_DONTWAIT,
                         (struct sockaddr *)&o->from.addr, &o->from.len);
    if (n < 0) return;
    handle_datagram(o, o->in, (size_t)n);
  }
}

static void *run(void *arg) {
  struct osc *o = arg;
  struct pollfd fds[3] = {{.fd = o->fd, .events = POLLIN},
                          {.fd = o->wake[0], .events = POLLIN},
                          {.fd = osc_hushd_fd(o->ns), .events = POLLIN}};
  for (;;) {
    int timeout = osc_hushd_serve(o->ns);
    if (poll(fds, 3, timeout) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    if (fds[0].revents) receive(o);
  }
  return NULL;
}

/* ---- life cycle ---- */

static int open_socket(const char *addr, int port, char *err, size_t errlen) {
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                  *ai;
  int rc = getaddrinfo(addr, service, &hints, &ai);
  if (rc) {
    snprintf(err, errlen, "OSC address '%s': %s", addr, gai_strerror(rc));
    return -1;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen)) {
    if (errno == EADDRINUSE)
      snprintf(err, errlen,
               "OSC port %d on %s is already in use (is another hushd running? "
               "choose another with --osc-port or disable OSC with --no-osc)",
               port, addr);
    else
      snprintf(err, errlen, "cannot listen for OSC on %s port %d: %s", addr, port,
               strerror(errno));
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  getsockname(fd, (struct sockaddr *)&sa, &len);
  getnameinfo((struct sockaddr *)&sa, len, host, sizeof host, serv, sizeof serv,
              NI_NUMERICHOST | NI_NUMERICSERV);
  return atoi(serv);
}

static void free_osc(struct osc *o) {
  osc_hushd_destroy(o->ns);
  if (o->fd >= 0) close(o->fd);
  if (o->wake[0] >= 0) close(o->wake[0]);
  if (o->wake[1] >= 0) close(o->wake[1]);
  free(o);
}

struct osc *osc_create_detached(const char *allow, struct control *ctl, char *err,
                                size_t errlen) {
  struct osc *o = calloc(1, sizeof *o);
  if (!o) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  o->fd = o->wake[0] = o->wake[1] = -1;
  atomic_init(&o->dropped, 0);
  atomic_init(&o->refused, 0);
  if (osc_allow_parse(&o->allow, allow, err, errlen) ||
      !(o->ns = osc_hushd_create(o, ctl, err, errlen))) {
    free_osc(o);
    return NULL;
  }
  return o;
}

struct osc *osc_create(const char *bind_addr, int port, const char *allow,
                       struct control *ctl, char *err, size_t errlen) {
  if (port < 0 || port > 65535) {
    snprintf(err, errlen, "OSC port %d is out of range [0, 65535]", port);
    return NULL;
  }
  struct osc *o = osc_create_detached(allow, ctl, err, errlen);
  if (!o) return NULL;
  if ((o->fd = open_socket(bind_addr, port, err, errlen)) < 0) goto fail;
  o->port = bound_port(o->fd);
  if (pipe2(o->wake, O_CLOEXEC)) {
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    goto fail;
  }
  if ((errno = pthread_create(&o->thread, NULL, run, o))) {
    snprintf(err, errlen, "cannot start the OSC thread: %s", strerror(errno));
    goto fail;
  }
  return o;
fail:
  free_osc(o);
  return NULL;
}

void osc_destroy(struct osc *o) {
  if (!o) return;
  if (o->wake[1] >= 0) {
    ssize_t w = write(o->wake[1], "q", 1); /* a pipe with room: cannot fail */
    (void)w;
    pthread_join(o->thread, NULL);
  }
  free_osc(o);
}

int osc_port(const struct osc *o) { return o->port; }

unsigned long long osc_dropped(const struct osc *o) {
  return atomic_load_explicit(&((struct osc *)o)->dropped, memory_order_relaxed);
}

unsigned long long osc_refused(const struct osc *o) {
  return atomic_load_explicit(&((struct osc *)o)->refused, memory_order_relaxed);
}
