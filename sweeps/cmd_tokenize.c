/* `sweep tokenize`: trains the BPE tokenizer on a corpus directory's train.txt and
 * encodes train.txt and val.txt into token files (docs/data.md sections 2 and 3). */
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "tokenizer.h"
#include "tokfile.h"
#include "clock.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: sweep tokenize [--vocab V] [--threads N] [--retrain] CORPUS_DIR\n"
            "\n"
            "Trains a byte-level BPE tokenizer on CORPUS_DIR/train.txt and writes it to\n"
            "CORPUS_DIR/tokenizer.bpe, then encodes CORPUS_DIR/train.txt and val.txt into\n"
            "train.tok and val.tok (uint16 tokens; formats in docs/data.md). An existing\n"
            "tokenizer.bpe is reused when it has vocab V and was trained on the current\n"
            "train.txt (same size and FNV-1a 64); otherwise it is retrained.\n"
            "\n"
            "  --vocab V     vocabulary size, %d..%d (default %d: 256 bytes + V-256 merges)\n"
            "  --threads N   threads for counting pieces and for encoding (default:\n"
            "                OMP_NUM_THREADS or all cores); merges and tokens do not\n"
            "                depend on N\n"
            "  --retrain     train a new tokenizer even if an up-to-date one exists\n"
            "  -h, --help    show this help\n",
            BPE_MIN_VOCAB, BPE_MAX_VOCAB, BPE_DEFAULT_VOCAB);
}

typedef struct {
    const uint8_t *p;
    size_t n;
    void *map;
} text_map;

static int map_text(const char *path, text_map *t) {
    memset(t, 0, sizeof *t);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "sweep tokenize: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "sweep tokenize: %s: cannot stat: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    t->n = (size_t)st.st_size;
    if (t->n > 0) {
        t->map = mmap(NULL, t->n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (t->map == MAP_FAILED) {
            fprintf(stderr, "sweep tokenize: %s: cannot map: %s\n", path, strerror(errno));
            t->map = NULL;
            close(fd);
            return -1;
        }
        madvise(t->map, t->n, MADV_SEQUENTIAL);
        t->p = t->map;
    } else {
        t->p = (const uint8_t *)"";
    }
    close(fd);
    return 0;
}

static void unmap_text(text_map *t) {
    if (t->map) munmap(t->map, t->n);
    memset(t, 0, sizeof *t);
}

static int parse_int(const char *s, long lo, long hi, long *v) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

/* Loads dir/tokenizer.bpe if it matches vocab and the training text; else NULL. */
static bpe *load_if_current(const char *path, int vocab, const text_map *train) {
    if (access(path, F_OK) != 0) return NULL;
    char err[512];
    bpe *b;
    if (bpe_load(path, &b, err, sizeof err) != 0) {
        printf("tokenizer: existing %s is unreadable (%s); retraining\n", path, err);
        return NULL;
    }
    uint64_t bytes, fnv;
    if (bpe_vocab(b) != vocab) {
        printf("tokenizer: existing %s has vocab %d, asked for %d; retraining\n", path,
               bpe_vocab(b), vocab);
    } else if (!bpe_trained_on(b, &bytes, &fnv) || bytes != train->n ||
               fnv != tok_fnv1a64(train->p, train->n)) {
        printf("tokenizer: existing %s was trained on another train.txt; retraining\n", path);
    } else {
        return b;
    }
    bpe_free(b);
    return NULL;
}

static int encode_split(const bpe *b, const char *dir, const char *name, int threads) {
    char txt[4096], tok[4096], err[512];
    snprintf(txt, sizeof txt, "%s/%s.txt", dir, name);
    snprintf(tok, sizeof tok, "%s/%s.tok", dir, name);
    text_map t;
    if (map_text(txt, &t) != 0) return -1;
    uint16_t *ids;
    size_t n;
    double t0 = now_s();
    int rc = bpe_encode(b, t.p, t.n, threads, &ids, &n, err, sizeof err);
    double dt = now_s() - t0;
    if (rc != 0) {
        fprintf(stderr, "sweep tokenize: %s: %s\n", txt, err);
        unmap_text(&t);
        return -1;
    }
    rc = tokfile_write(tok, ids, n, (uint32_t)bpe_vocab(b), bpe_hash(b), err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "sweep tokenize: %s\n", err);
    else
        printf("%s.txt: %.2f MB -> %zu tokens (%.3f bytes/token) in %.2f s (%.1f MB/s, %d "
               "thread%s) -> %s\n",
               name, (double)t.n / 1e6, n, n ? (double)t.n / (double)n : 0.0, dt,
               dt > 0 ? (double)t.n / 1e6 / dt : 0.0, threads, threads == 1 ? "" : "s", tok);
    free(ids);
    unmap_text(&t);
    return rc;
}

int cmd_tokenize(int argc, char **argv) {
    long vocab = BPE_DEFAULT_VOCAB, threads = 0;
    int retrain = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--retrain")) {
            retrain = 1;
        } else if (!strncmp(a, "--vocab", 7) || !strncmp(a, "--threads", 9)) {
            int is_vocab = !strncmp(a, "--vocab", 7);
            const char *name = is_vocab ? "--vocab" : "--threads", *v = NULL;
            char why[200];
            int r = cli_value(argc, argv, &i, name, &v, why, sizeof why);
            if (r == 0) {
                fprintf(stderr, "sweep tokenize: unknown option \"%s\" (see --help)\n", a);
                return 2;
            }
            if (r < 0 || (is_vocab ? parse_int(v, BPE_MIN_VOCAB, BPE_MAX_VOCAB, &vocab)
                                   : parse_int(v, 1, 1024, &threads))) {
                if (r < 0)
                    fprintf(stderr, "sweep tokenize: %s\n", why);
                else
                    fprintf(stderr, "sweep tokenize: %s \"%s\": expected an integer in %s\n", name,
                            v, is_vocab ? "257..65536" : "1..1024");
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "sweep tokenize: unknown option \"%s\" (see --help)\n", a);
            return 2;
        } else if (dir) {
            fprintf(stderr, "sweep tokenize: one CORPUS_DIR expected, got \"%s\" and \"%s\"\n", dir,
                    a);
            return 2;
        } else {
            dir = a;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    if (threads == 0) threads = omp_get_max_threads();

    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/train.txt", dir);
    text_map train;
    if (map_text(path, &train) != 0) return 1;
    if (train.n == 0) {
        fprintf(stderr, "sweep tokenize: %s is empty\n", path);
        return 1;
    }
    char bpe_path[4096];
    snprintf(bpe_path, sizeof bpe_path, "%s/tokenizer.bpe", dir);
    bpe *b = retrain ? NULL : load_if_current(bpe_path, (int)vocab, &train);
    if (b) {
        printf("tokenizer: %s is up to date (vocab %d; --retrain to train anew)\n", bpe_path,
               bpe_vocab(b));
    } else {
        printf("tokenizer: training vocab %ld on %s (%.2f MB)\n", vocab, path,
               (double)train.n / 1e6);
        fflush(stdout);
        double t0 = now_s();
        if (bpe_train_threads(train.p, train.n, (int)vocab, (int)threads, &b, err, sizeof err) !=
            0) {
            fprintf(stderr, "sweep tokenize: %s: %s\n", path, err);
            unmap_text(&train);
            return 1;
        }
        double dt = now_s() - t0;
        if (bpe_save(b, bpe_path, err, sizeof err) != 0) {
            fprintf(stderr, "sweep tokenize: %s\n", err);
            bpe_free(b);
            unmap_text(&train);
            return 1;
        }
        printf("tokenizer: %d merges in %.2f s (%.1f MB/s of training text) -> %s\n",
               bpe_vocab(b) - 256, dt, dt > 0 ? (double)train.n / 1e6 / dt : 0.0, bpe_path);
    }
    unmap_text(&train);
    fflush(stdout);
    int rc = encode_split(b, dir, "train", (int)threads);
    if (rc == 0) rc = encode_split(b, dir, "val", (int)threads);
    bpe_free(b);
    return rc == 0 ? 0 : 1;
}
