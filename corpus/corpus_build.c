/* corpus-build: the C side of corpus/prepare.sh. See docs/corpus.md. */
#include "build.h"
#include "cbuf.h"
#include "clean.h"
#include "rdata.h"
#include "sword.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void usage(FILE *f) {
    fputs("usage: corpus-build --list DOCS.tsv --out DIR [--sources SOURCES.tsv]\n"
          "                    [--tier NAME] [--seed N] [--max-piece BYTES]\n"
          "                    [--dedup-min BYTES] [--val-per-mille N] [--missing NAME]...\n"
          "       corpus-build --clean FORMAT FILE   (cleaned text of one file to stdout)\n"
          "       corpus-build --sword-dump MODULE_DIR (zText verses to stdout)\n"
          "       corpus-build --rdata-dump FILE.rdb DIR (R character vectors of 100+\n"
          "                    strings to DIR/vector-NNN.txt; prints how many)\n"
          "\n"
          "DOCS.tsv: source<TAB>format<TAB>id<TAB>path, one document per line.\n"
          "Formats: text gutenberg fortune brown man html rst pod asciidoc vimhelp dictd\n"
          "         wordnet debdesc osis\n"
          "Writes DIR/train.txt, DIR/val.txt (NUL-terminated pieces) and DIR/manifest.json.\n",
          f);
}

static int parse_u64(const char *opt, const char *s, uint64_t *v) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "corpus-build: %s expects a non-negative integer, got '%s'\n", opt, s);
        return -1;
    }
    *v = x;
    return 0;
}

static int clean_one(const char *format, const char *path) {
    enum corpus_format f;
    if (corpus_format_parse(format, &f)) {
        fprintf(stderr, "corpus-build: unknown format '%s'\n", format);
        return 2;
    }
    gzFile g = gzopen(path, "rb");
    if (!g) {
        fprintf(stderr, "corpus-build: cannot read '%s': %s\n", path, strerror(errno));
        return 1;
    }
    struct cbuf raw = {0}, fixed = {0}, cleaned = {0}, norm = {0};
    char tmp[65536], err[1024];
    int r, rc = 0;
    while ((r = gzread(g, tmp, sizeof tmp)) > 0) cbuf_add(&raw, tmp, (size_t)r);
    gzclose(g);
    if (r < 0) {
        fprintf(stderr, "corpus-build: cannot read '%s'\n", path);
        rc = 1;
    } else {
        if (corpus_clean(f, raw.p, raw.n, path, &cleaned, err, sizeof err)) {
            fprintf(stderr, "corpus-build: %s\n", err);
            rc = 1;
        } else {
            corpus_utf8_repair(cleaned.p, cleaned.n, &fixed);
            corpus_normalize(fixed.p, fixed.n, &norm);
            fwrite(norm.p, 1, norm.n, stdout);
            if (norm.n) fputc('\n', stdout);
        }
    }
    cbuf_free(&raw);
    cbuf_free(&fixed);
    cbuf_free(&cleaned);
    cbuf_free(&norm);
    return rc;
}

int main(int argc, char **argv) {
    struct corpus_opts o;
    corpus_opts_default(&o);
    /* --missing NAME: sources prepare.sh could not fetch, recorded in the manifest */
    const char *missing[argc];
    size_t nmissing = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--clean")) {
            if (i + 2 >= argc) {
                usage(stderr);
                return 2;
            }
            return clean_one(argv[i + 1], argv[i + 2]);
        }
        if (!strcmp(a, "--rdata-dump")) {
            if (i + 2 >= argc) {
                usage(stderr);
                return 2;
            }
            char err[1024];
            int nvec = rdata_dump(argv[i + 1], argv[i + 2], 100, err, sizeof err);
            if (nvec < 0) {
                fprintf(stderr, "corpus-build: %s\n", err);
                return 1;
            }
            printf("%d\n", nvec);
            return 0;
        }
        if (!strcmp(a, "--sword-dump")) {
            if (i + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            char err[1024];
            if (sword_dump(argv[i + 1], stdout, err, sizeof err)) {
                fprintf(stderr, "corpus-build: %s\n", err);
                return 1;
            }
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "corpus-build: %s needs a value (see --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        uint64_t x;
        if (!strcmp(a, "--list")) {
            o.list_path = v;
        } else if (!strcmp(a, "--out")) {
            o.out_dir = v;
        } else if (!strcmp(a, "--sources")) {
            o.sources_path = v;
        } else if (!strcmp(a, "--tier")) {
            o.tier = v;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(a, v, &o.seed)) return 2;
        } else if (!strcmp(a, "--max-piece")) {
            if (parse_u64(a, v, &x)) return 2;
            o.max_piece = (size_t)x;
        } else if (!strcmp(a, "--dedup-min")) {
            if (parse_u64(a, v, &x)) return 2;
            o.dedup_min = (size_t)x;
        } else if (!strcmp(a, "--val-per-mille")) {
            if (parse_u64(a, v, &x)) return 2;
            o.val_per_mille = x > 1000 ? 1001 : (unsigned)x;
        } else if (!strcmp(a, "--missing")) {
            missing[nmissing++] = v;
        } else {
            fprintf(stderr, "corpus-build: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!o.list_path || !o.out_dir) {
        fprintf(stderr, "corpus-build: --list and --out are required (see --help)\n");
        return 2;
    }
    o.missing = missing;
    o.nmissing = nmissing;
    char err[2048];
    int rc = corpus_build(&o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "corpus-build: %s\n", err);
        return 1;
    }
    return 0;
}
