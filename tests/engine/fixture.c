#include "fixture.h"
#include "tokenizer.h"
#include "tokfile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t *fixture_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static int encode_to(const bpe *b, const char *src, const char *dst) {
    size_t n, nt;
    uint8_t *text = fixture_read_file(src, &n);
    uint16_t *tok = NULL;
    char err[256];
    int rc = !text || bpe_encode(b, text, n, 1, &tok, &nt, err, sizeof err) ||
             tokfile_write(dst, tok, nt, (uint32_t)bpe_vocab(b), bpe_hash(b), err, sizeof err);
    if (rc) fprintf(stderr, "fixture: %s: %s\n", src, err);
    free(text);
    free(tok);
    return rc ? -1 : 0;
}

/* The fixture text: PSL_FIXTURE_DIR from the environment when set (a test binary run
 * from a copy of the tree elsewhere, as on a GPU node), else the source tree's. */
static void fixture_text(const char *name, char *path, size_t len) {
    const char *dir = getenv("PSL_FIXTURE_DIR");
    snprintf(path, len, "%s/corpus/%s", dir && *dir ? dir : PSL_FIXTURE_DIR, name);
}

int fixture_make_data(char *dir, size_t len) {
    snprintf(dir, len, "/tmp/psl-test-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    size_t n;
    char train_txt[600], val_txt[600];
    fixture_text("train.txt", train_txt, sizeof train_txt);
    fixture_text("val.txt", val_txt, sizeof val_txt);
    uint8_t *text = fixture_read_file(train_txt, &n);
    if (!text) return -1;
    bpe *b = NULL;
    char err[256], path[512];
    int rc = bpe_train(text, n, 384, &b, err, sizeof err);
    free(text);
    if (rc) return -1;
    snprintf(path, sizeof path, "%s/train.tok", dir);
    rc = encode_to(b, train_txt, path);
    snprintf(path, sizeof path, "%s/val.tok", dir);
    rc |= encode_to(b, val_txt, path);
    bpe_free(b);
    return rc;
}

void fixture_remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            fixture_remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}
