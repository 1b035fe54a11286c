/* atomicfile: see atomicfile.h. */
#define _GNU_SOURCE /* mkostemp */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_make_parent(const char *path) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *sl = strchr(dir + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
    *sl = 0;
    if (mkdir(dir, 0755) && errno != EEXIST) return -1;
    *sl = '/';
  }
  return 0;
}

static int write_all(int fd, const char *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

int atomic_write(const char *path, const void *data, size_t len, char *err, size_t errlen) {
  char target[PATH_MAX], dirbuf[PATH_MAX], basebuf[PATH_MAX], tmp[2 * PATH_MAX + 16];
  if (strlen(path) >= PATH_MAX) {
    snprintf(err, errlen, "%.200s...: path too long", path);
    return -1;
  }
  /* a symlinked file (dotfiles) stays a symlink: replace what it points to */
  if (!realpath(path, target)) snprintf(target, sizeof target, "%s", path);
  memcpy(dirbuf, target, sizeof dirbuf);
  memcpy(basebuf, target, sizeof basebuf);
  const char *dir = dirname(dirbuf), *base = basename(basebuf);
  snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base);
  struct stat st;
  mode_t mask = umask(0);
  umask(mask);
  mode_t mode = stat(target, &st) == 0 ? st.st_mode & 07777 : 0644 & ~mask;
  int fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL: never an existing file or link */
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot write a temporary file in %s: %s", path, dir,
             strerror(errno));
    return -1;
  }
  const char *what = "write";
  int ok = fchmod(fd, mode) == 0 && write_all(fd, data, len) == 0;
  if (ok && fsync(fd)) ok = 0, what = "fsync";
  int e = errno;
  if (close(fd) && ok) ok = 0, what = "close", e = errno;
  if (ok && rename(tmp, target)) ok = 0, what = "rename", e = errno;
  if (!ok) {
    unlink(tmp);
    snprintf(err, errlen, "%s: cannot %s the new file: %s (the old file is unchanged)", path,
             what, strerror(e));
    return -1;
  }
  /* the rename is durable once the folder is synced */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}
