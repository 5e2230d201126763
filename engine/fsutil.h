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
#endif
