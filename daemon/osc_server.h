/* osc_server: what the /hushd namespace (osc_hushd.c) uses of the OSC transport (osc.c):
 * a sender's address, and sending a message to one. OSC thread only.
 */
#ifndef HUSHD_OSC_SERVER_H
#define HUSHD_OSC_SERVER_H

#include <lo/lo.h>
#include <sys/socket.h>

struct osc;

struct osc_peer {
  struct sockaddr_storage addr;
  socklen_t len;
};

int osc_same_peer(const struct osc_peer *a, const struct osc_peer *b);

/* Sends m (freed here) to `to` from the server's port, never blocking: a full socket loses
 * the message, not time. A message over 8 KiB (an error echoing an absurdly long path) is
 * not sent. */
void osc_send(struct osc *o, const struct osc_peer *to, const char *path, lo_message m);

#endif
