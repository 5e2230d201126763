#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int make_parent_dirs(const char *path, char *err, size_t errlen) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    strcpy(buf, path);
    char *slash = strrchr(buf, '/');
    if (!slash) return 0;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory: %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (buf[0] && mkdir(buf, 0777) && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

int fsync_path(const char *path, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd)) {
        snprintf(err, errlen, "%s: fsync failed: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int commit_tmp_file(const char *tmp, const char *path, char *err, size_t errlen) {
    if (fsync_path(tmp, err, errlen)) return -1;
    if (rename(tmp, path)) {
        snprintf(err, errlen, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    return fsync_path(dir[0] ? dir : "/", err, errlen);
}

void tmp_file_name(const char *path, char *buf, size_t len) {
    snprintf(buf, len, "%s.tmp.%ld", path, (long)getpid());
}

void run_lock_path(const char *run_file, char *buf, size_t len) {
    size_t n = strlen(run_file);
    if (n > 3 && !strcmp(run_file + n - 3, ".h5")) n -= 3;
    snprintf(buf, len, "%.*s.lock", (int)n, run_file);
}

int run_file_lock(const char *run_file, char *err, size_t errlen) {
    char path[4200];
    run_lock_path(run_file, path, sizeof path);
    if (make_parent_dirs(path, err, errlen)) return -1;
    /* run_file_unlock removes the file while holding the lock, so a lock taken on a file
     * that has since been unlinked (or replaced) guards nothing: take it again on the file
     * the path names now. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int busy = errno == EWOULDBLOCK;
            if (busy)
                snprintf(err, errlen,
                         "%s is being written by another process (a sweep, a training or a "
                         "`sweep ptq`: it holds %s); try again when it has finished",
                         run_file, path);
            else
                snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
            close(fd);
            return busy ? -2 : -1;
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            return fd;
        close(fd);
    }
    snprintf(err, errlen, "cannot lock %s: it is removed and made again by others repeatedly",
             path);
    return -1;
}

void run_file_unlock(int fd, const char *run_file) {
    if (fd < 0) return;
    char path[4200];
    run_lock_path(run_file, path, sizeof path);
    unlink(path); /* while still holding it: see run_file_lock */
    close(fd);
}
