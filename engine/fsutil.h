#ifndef ENGINE_FSUTIL_H
#define ENGINE_FSUTIL_H
/* Durable file replacement: write a temporary file beside the target, fsync it,
 * rename it over the target, fsync the directory. Readers see the old file or the
 * complete new one, never a mixture, even if the process is killed. */
#include <stddef.h>

/* Creates every missing directory of path's parent. */
int make_parent_dirs(const char *path, char *err, size_t errlen);
int fsync_path(const char *path, char *err, size_t errlen);
/* fsync(tmp), rename(tmp, path), fsync(dirname(path)). */
int commit_tmp_file(const char *tmp, const char *path, char *err, size_t errlen);
/* The temporary name for path: "<path>.tmp.<pid>", so that two processes never write
 * the same temporary file (a crash leaves it behind; `sweep exec` removes them). */
void tmp_file_name(const char *path, char *buf, size_t len);

/* Exclusive lock of a run (flock on "<run file without .h5>.lock", the file `sweep`
 * uses): every process that rewrites a run file or its checkpoint holds it, so two
 * writers never load, change and save the same file at once (the later save would drop
 * the other's rows). Returns the descriptor (keep it open; run_file_unlock releases the
 * lock and removes the file, and the kernel releases it when the process dies, leaving
 * an empty file that the next locker reuses), -2 when another process holds it, -1 on
 * an error (message in err). */
int run_file_lock(const char *run_file, char *err, size_t errlen);
/* Removes the lock file and releases the lock (fd from run_file_lock; -1: nothing). */
void run_file_unlock(int fd, const char *run_file);
/* The lock file's path for run_file. */
void run_lock_path(const char *run_file, char *buf, size_t len);
#endif
