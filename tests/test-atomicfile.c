/* test-atomicfile: a file is replaced whole or not at all, through a fresh temporary name
 * (never a planted link), a symlinked target stays a link, and nothing is left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomicfile.h"

static char dir[64];

static int make_dir(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hushd-test-atomic-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

static void read_back(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, len - 1, f);
  buf[n] = 0;
  fclose(f);
}

static int entries(void) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.' || e->d_name[1] > '.';
  closedir(d);
  return n;
}

static void test_replaces_whole_and_leaves_no_temporary(void **state) {
  (void)state;
  char path[128], buf[64], err[256];
  snprintf(path, sizeof path, "%s/a.profile", dir);
  assert_int_equal(atomic_write(path, "first\n", 6, err, sizeof err), 0);
  assert_int_equal(atomic_write(path, "second\n", 7, err, sizeof err), 0);
  read_back(path, buf, sizeof buf);
  assert_string_equal(buf, "second\n");
  assert_int_equal(entries(), 1);
}

static void test_symlinked_target_stays_a_link(void **state) {
  (void)state;
  char real[128], link[128], buf[64], err[256];
  snprintf(real, sizeof real, "%s/real.conf", dir);
  snprintf(link, sizeof link, "%s/link.conf", dir);
  assert_int_equal(atomic_write(real, "old\n", 4, err, sizeof err), 0);
  assert_int_equal(symlink(real, link), 0);
  assert_int_equal(atomic_write(link, "new\n", 4, err, sizeof err), 0);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  read_back(real, buf, sizeof buf);
  assert_string_equal(buf, "new\n");
}

/* the old writers used NAME.tmp: a link planted there wrote through to its target */
static void test_planted_link_at_old_temporary_name_is_not_followed(void **state) {
  (void)state;
  char path[128], planted[160], victim[128], buf[64], err[256];
  snprintf(path, sizeof path, "%s/b.profile", dir);
  snprintf(planted, sizeof planted, "%s.tmp", path);
  snprintf(victim, sizeof victim, "%s/victim", dir);
  assert_int_equal(atomic_write(victim, "keep\n", 5, err, sizeof err), 0);
  assert_int_equal(symlink(victim, planted), 0);
  assert_int_equal(atomic_write(path, "profile\n", 8, err, sizeof err), 0);
  read_back(victim, buf, sizeof buf);
  assert_string_equal(buf, "keep\n");
}

static void test_failure_keeps_old_file_and_says_so(void **state) {
  (void)state;
  char sub[128], path[160], buf[64], err[256];
  snprintf(sub, sizeof sub, "%s/ro", dir);
  snprintf(path, sizeof path, "%s/c.conf", sub);
  assert_int_equal(mkdir(sub, 0755), 0);
  assert_int_equal(atomic_write(path, "old\n", 4, err, sizeof err), 0);
  assert_int_equal(chmod(sub, 0555), 0);
  int rc = atomic_write(path, "new\n", 4, err, sizeof err);
  chmod(sub, 0755);
  if (geteuid() == 0) skip(); /* root writes into a read-only folder anyway */
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, path));
  read_back(path, buf, sizeof buf);
  assert_string_equal(buf, "old\n");
}

static void test_missing_folder_is_an_error_until_made(void **state) {
  (void)state;
  char path[160], err[256];
  snprintf(path, sizeof path, "%s/x/y/d.profile", dir);
  assert_int_equal(atomic_write(path, "d\n", 2, err, sizeof err), -1);
  assert_non_null(strstr(err, "cannot write a temporary file"));
  assert_int_equal(atomic_make_parent(path), 0);
  assert_int_equal(atomic_write(path, "d\n", 2, err, sizeof err), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_replaces_whole_and_leaves_no_temporary, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_symlinked_target_stays_a_link, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_planted_link_at_old_temporary_name_is_not_followed,
                                      make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_failure_keeps_old_file_and_says_so, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_missing_folder_is_an_error_until_made, make_dir,
                                      remove_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
