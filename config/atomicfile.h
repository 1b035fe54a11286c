/* atomicfile: replace a file whole, or not at all.
 *
 * Every file hushd writes for later (the config file, noise profiles, the remembered noise
 * model, FFTW wisdom) goes through here: a fresh temporary file in the same folder (made
 * with O_EXCL under an unpredictable name, so no symlink planted in advance is followed),
 * fsync, rename over the target, fsync of the folder. A reader and a crash see the old
 * file or the new one. Main or control threads only: it blocks on the disk.
 */
#ifndef HUSHD_ATOMICFILE_H
#define HUSHD_ATOMICFILE_H

#include <stddef.h>

/* Writes len bytes of data as path (a symlink at path is kept: what it points to is
 * replaced). The new file keeps the old one's mode, else 0644 & ~umask. Returns 0, or -1
 * with "PATH: cannot ...: reason (the old file is unchanged)" in err. */
int atomic_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* mkdir -p of the folders above path (not path itself), mode 0755 & ~umask. Returns 0, or
 * -1 with errno set. */
int atomic_make_parent(const char *path);

#endif
