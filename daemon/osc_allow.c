/* osc_allow: see osc_allow.h. */
#include "osc_allow.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses one "ADDR" or "ADDR/BITS" of len bytes into net. Returns 0 or -1. */
static int parse_net(struct osc_net *net, const char *text, size_t len) {
  char buf[INET6_ADDRSTRLEN + 8];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, text, len);
  buf[len] = 0;
  char *slash = strchr(buf, '/');
  if (slash) *slash = 0;
  net->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
  int max_bits = net->family == AF_INET ? 32 : 128;
  memset(net->addr, 0, sizeof net->addr);
  if (inet_pton(net->family, buf, net->addr) != 1) return -1;
  net->prefix_bits = max_bits;
  if (slash) {
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || *end || bits < 0 || bits > max_bits) return -1;
    net->prefix_bits = (int)bits;
  }
  /* clear the host bits, so that 192.168.1.7/24 means 192.168.1.0/24 */
  for (int bit = net->prefix_bits; bit < max_bits; bit++)
    net->addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
  return 0;
}

int osc_allow_parse(struct osc_allow *a, const char *list, char *err, size_t errlen) {
  if (!list || !*list) list = OSC_ALLOW_DEFAULT;
  a->n = 0;
  for (const char *p = list;;) {
    size_t len = strcspn(p, ",");
    while (len && p[len - 1] == ' ') len--;
    if (a->n == OSC_ALLOW_MAX) {
      snprintf(err, errlen, "OSC allow list: more than %d entries", OSC_ALLOW_MAX);
      return -1;
    }
    if (parse_net(&a->nets[a->n], p, len)) {
      snprintf(err, errlen,
               "OSC allow list: '%.*s' is not an address or network (e.g. 192.168.1.0/24, "
               "fd00::/8, 10.0.0.7)",
               (int)(len > 64 ? 64 : len), p);
      return -1;
    }
    a->n++;
    p += strcspn(p, ",");
    if (!*p) return 0;
    p++;
    while (*p == ' ') p++;
  }
}

static int in_net(const struct osc_net *net, int family, const unsigned char *addr) {
  if (net->family != family) return 0;
  int full = net->prefix_bits / 8, rest = net->prefix_bits % 8;
  if (memcmp(net->addr, addr, (size_t)full)) return 0;
  return rest == 0 || ((addr[full] ^ net->addr[full]) & (0xff00u >> rest)) == 0;
}

int osc_allow_match(const struct osc_allow *a, const struct sockaddr *sa, socklen_t len) {
  static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  int family;
  const unsigned char *addr;
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    family = AF_INET;
    addr = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
  } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    family = AF_INET6;
    addr = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    if (memcmp(addr, v4mapped, sizeof v4mapped) == 0) family = AF_INET, addr += 12;
  } else {
    return 0;
  }
  for (int i = 0; i < a->n; i++)
    if (in_net(&a->nets[i], family, addr)) return 1;
  return 0;
}
