/* osc_allow: the OSC allow-list, the networks whose datagrams hushd's OSC server reads.
 *
 * A list is addresses or CIDR networks, comma-separated ("192.168.1.0/24,fd00::/8,10.0.0.7").
 * An empty or NULL list means loopback only (127.0.0.0/8 and ::1), whatever address the
 * server is bound to: binding to 0.0.0.0 opens the port, not the control.
 * IPv4 senders seen through an IPv6 socket (::ffff:a.b.c.d) match the IPv4 networks.
 *
 * Parsed once on the main thread; matching is read-only and allocation-free (OSC thread).
 */
#ifndef HUSHD_OSC_ALLOW_H
#define HUSHD_OSC_ALLOW_H

#include <stddef.h>
#include <sys/socket.h>

#define OSC_ALLOW_MAX 32
#define OSC_ALLOW_DEFAULT "127.0.0.0/8,::1"

struct osc_net {
  int family;              /* AF_INET or AF_INET6 */
  unsigned char addr[16];  /* network bytes, the host bits cleared */
  int prefix_bits;         /* 0..32 or 0..128 */
};

struct osc_allow {
  int n;
  struct osc_net nets[OSC_ALLOW_MAX];
};

/* Parses list (NULL or "" = OSC_ALLOW_DEFAULT). Returns 0, or -1 with a message naming
 * the entry that is not an address or network, in err. */
int osc_allow_parse(struct osc_allow *a, const char *list, char *err, size_t errlen);

/* 1 when the sender sa is in one of a's networks, else 0. */
int osc_allow_match(const struct osc_allow *a, const struct sockaddr *sa, socklen_t len);

#endif
