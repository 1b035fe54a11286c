/* osc-client: what the OSC tests share: start and stop the test driver (osc-testd or a
 * hushd), and talk OSC over a real UDP socket on 127.0.0.1 with liblo's message codec.
 * Test code only; one thread. */
#ifndef HUSHD_OSC_CLIENT_H
#define HUSHD_OSC_CLIENT_H

#include <lo/lo.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct driver {
  pid_t pid;
  int port;      /* the server's UDP port, read from its "listening on ADDR:PORT" line */
  int out_fd;    /* its stdout */
};

/* Runs argv (argv[0] the program) and waits up to 10 s for its "listening on" line.
 * Returns 0, or -1 when it exited or never said so. */
int driver_start(struct driver *d, char *const argv[]);
/* SIGTERM, then collects the rest of its stdout into out (NUL-terminated) and its exit
 * status: returns the exit code, or 128 + signal. */
int driver_stop(struct driver *d, char *out, size_t outlen);

struct client {
  int fd;
  int server_port;
  int local_port; /* our own UDP port */
  struct sockaddr_storage server;
  socklen_t server_len;
};

/* A socket on 127.0.0.1 talking to the server on 127.0.0.1. */
int client_open(struct client *c, int server_port);
/* A socket bound to local_ip talking to the server at server_ip (numeric, one family). */
int client_open_from(struct client *c, int server_port, const char *local_ip,
                     const char *server_ip);
void client_close(struct client *c);
/* Sends m (freed here) to path. */
void client_send(struct client *c, const char *path, lo_message m);
void client_send_raw(struct client *c, const void *data, size_t len);
/* Next well-formed message within timeout_ms, or NULL. path (64+ bytes) receives its
 * path, from_port (may be NULL) the port it came from. */
lo_message client_recv(struct client *c, int timeout_ms, char *path, size_t pathlen,
                       int *from_port);
/* Skips other messages until one for `path` or /hushd/error arrives (path receives which);
 * NULL after timeout_ms. */
lo_message client_expect(struct client *c, const char *want, int timeout_ms, char *path,
                         size_t pathlen);
/* Sends path with no arguments and returns the reply at the same path or the error. */
lo_message client_query(struct client *c, const char *path, char *got, size_t gotlen);

#endif
