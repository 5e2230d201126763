#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void kv_u64(FILE *f, const char *ind, const char *k, uint64_t v, int last) {
    fprintf(f, "%s\"%s\": %" PRIu64 "%s\n", ind, k, v, last ? "" : ",");
}

static void kv_str(FILE *f, const char *ind, const char *k, const char *v) {
    fprintf(f, "%s\"%s\": ", ind, k);
    json_str(f, v);
    fputs(",\n", f);
}

int manifest_write(const char *dir, const char *name, const struct manifest *m, char *err,
                   size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    uint64_t t_down = 0, t_in = 0, t_clean = 0, t_dup = 0, t_docs = 0, t_docs_val = 0;
    for (size_t i = 0; i < m->nsources; i++) {
        t_down += m->sources[i].bytes_download;
        t_in += m->sources[i].bytes_in;
        t_clean += m->sources[i].bytes_clean;
        t_dup += m->sources[i].dup_bytes;
        t_docs += m->sources[i].docs;
        t_docs_val += m->sources[i].docs_val;
    }
    fputs("{\n", f);
    fputs("  \"format\": \"psl-corpus-1\",\n", f);
    kv_str(f, "  ", "tier", m->tier ? m->tier : "custom");
    fprintf(f,
            "  \"split\": {\"rule\": \"fnv1a64(source id) %% 1000 < %u -> validation\", "
            "\"hash\": \"fnv1a64\", \"modulus\": 1000, \"threshold\": %u},\n",
            m->val_per_mille, m->val_per_mille);
    fprintf(f,
            "  \"shuffle\": {\"prng\": \"splitmix64\", \"method\": \"Fisher-Yates over train "
            "pieces\", \"seed\": %" PRIu64 "},\n",
            m->seed);
    fprintf(f, "  \"max_piece_bytes\": %zu,\n", m->max_piece);
    fprintf(f,
            "  \"dedup\": {\"unit\": \"paragraph\", \"key\": \"fnv1a64 of its words (whitespace "
            "runs as one space)\", \"min_bytes\": "
            "%zu},\n",
            m->dedup_min);
    fprintf(f,
            "  \"files\": {\n    \"train.txt\": {\"bytes\": %" PRIu64 ", \"pieces\": %" PRIu64
            ", \"fnv1a64\": \"%016" PRIx64 "\"},\n",
            m->train_bytes + m->train_pieces, m->train_pieces, m->train_hash);
    fprintf(f,
            "    \"val.txt\": {\"bytes\": %" PRIu64 ", \"pieces\": %" PRIu64
            ", \"fnv1a64\": \"%016" PRIx64 "\"}\n  },\n",
            m->val_bytes + m->val_pieces, m->val_pieces, m->val_hash);
    fputs("  \"missing_sources\": [", f);
    for (size_t i = 0; i < m->nmissing; i++) {
        if (i) fputs(", ", f);
        json_str(f, m->missing[i]);
    }
    fputs("],\n", f);
    fputs("  \"totals\": {\n", f);
    kv_u64(f, "    ", "sources", m->nsources, 0);
    kv_u64(f, "    ", "documents", t_docs, 0);
    kv_u64(f, "    ", "documents_val", t_docs_val, 0);
    kv_u64(f, "    ", "bytes_downloaded", t_down, 0);
    kv_u64(f, "    ", "bytes_extracted", t_in, 0);
    kv_u64(f, "    ", "bytes_clean", t_clean, 0);
    kv_u64(f, "    ", "bytes_duplicate", t_dup, 0);
    kv_u64(f, "    ", "bytes_kept", m->train_bytes + m->val_bytes, 0);
    kv_u64(f, "    ", "bytes_train", m->train_bytes, 0);
    kv_u64(f, "    ", "bytes_val", m->val_bytes, 1);
    fputs("  },\n  \"sources\": [\n", f);
    for (size_t i = 0; i < m->nsources; i++) {
        const struct source_stats *s = &m->sources[i];
        fputs("    {\n", f);
        kv_str(f, "      ", "name", s->name);
        kv_str(f, "      ", "registry", s->registry);
        kv_str(f, "      ", "package", s->package);
        kv_str(f, "      ", "version", s->version);
        kv_str(f, "      ", "licence", s->licence);
        kv_str(f, "      ", "file", s->file);
        kv_str(f, "      ", "sha256", s->sha256);
        kv_u64(f, "      ", "bytes_downloaded", s->bytes_download, 0);
        kv_u64(f, "      ", "files", s->files, 0);
        kv_u64(f, "      ", "documents", s->docs, 0);
        kv_u64(f, "      ", "documents_val", s->docs_val, 0);
        kv_u64(f, "      ", "bytes_extracted", s->bytes_in, 0);
        kv_u64(f, "      ", "bytes_clean", s->bytes_clean, 0);
        kv_u64(f, "      ", "paragraphs", s->paragraphs, 0);
        kv_u64(f, "      ", "paragraphs_duplicate", s->dup_paragraphs, 0);
        kv_u64(f, "      ", "bytes_duplicate", s->dup_bytes, 0);
        kv_u64(f, "      ", "bytes_kept", s->train_bytes + s->val_bytes, 0);
        kv_u64(f, "      ", "bytes_train", s->train_bytes, 0);
        kv_u64(f, "      ", "bytes_val", s->val_bytes, 0);
        kv_u64(f, "      ", "pieces_train", s->train_pieces, 0);
        kv_u64(f, "      ", "pieces_val", s->val_pieces, 1);
        fprintf(f, "    }%s\n", i + 1 < m->nsources ? "," : "");
    }
    fputs("  ]\n}\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}
