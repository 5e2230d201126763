#include "provenance.h"
#include "cpu_gemm.h"

#include <cblas.h>
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

/* OpenBLAS's own queries, declared weak so the engine still links against another
 * BLAS (the pointers are then NULL and the attributes say "unknown"). Their types are
 * those of OpenBLAS's cblas.h, which may or may not have declared them already. */
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

#ifndef PSL_VERSION
#define PSL_VERSION "unknown"
#endif
#ifndef PSL_BUILD_FLAGS
#define PSL_BUILD_FLAGS "unknown"
#endif
const char *provenance_version(void) {
    return PSL_VERSION;
}

const char *provenance_build_flags(void) {
    return PSL_BUILD_FLAGS;
}

/* The compiler of this file is the compiler of the engine (one CMake toolchain).
 * Clang's __VERSION__ names itself ("Debian Clang 14.0.6"), GCC's is the number only. */
#if defined(__clang__)
#define PSL_COMPILER __VERSION__
#elif defined(__GNUC__)
#define PSL_COMPILER "gcc " __VERSION__
#else
#define PSL_COMPILER "unknown"
#endif

/* ---------- SHA-256 (FIPS 180-4) ----------
 * The corpus manifest's SHA-256 is what prepare.sh and sha256sum users compare; the
 * project has no other SHA-256 in C, and a dependency for 80 lines is not worth it. */

typedef struct {
    uint32_t h[8];
    uint8_t buf[64];
    size_t nbuf;
    uint64_t bytes;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->nbuf = 0;
    c->bytes = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = data;
    c->bytes += n;
    while (n) {
        size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take, p += take, n -= take;
        if (c->nbuf == 64) {
            sha256_block(c->h, c->buf);
            c->nbuf = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, char hex[65]) {
    uint64_t bits = c->bytes * 8;
    uint8_t pad[72] = {0x80};
    /* a 0x80 byte, zeros up to 56 mod 64, the length in bits as 64-bit big-endian */
    size_t npad = (c->nbuf < 56 ? 56 : 120) - c->nbuf;
    for (int i = 0; i < 8; i++) pad[npad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, pad, npad + 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", c->h[i]);
}

void provenance_sha256(const void *data, size_t n, char hex[65]) {
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, n);
    sha256_final(&c, hex);
}

int provenance_sha256_file(const char *path, char hex[65], char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    sha256_ctx c;
    sha256_init(&c);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&c, buf, n);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        return -1;
    }
    sha256_final(&c, hex);
    return 0;
}

/* ---------- the machine ---------- */

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    size_t i = strspn(s, " \t");
    memmove(s, s + i, n - i + 1);
}

void provenance_cpu_model(char *buf, size_t len) {
    /* x86 has "model name"; MIPS "cpu model"; 32-bit ARM "Hardware"/"Processor"; POWER
     * "cpu"; arm64 kernels name no model, only the implementer and part numbers. */
    static const char *const keys[] = {"model name", "cpu model", "Hardware", "Processor", "cpu"};
    enum { NKEYS = sizeof keys / sizeof *keys };
    char found[NKEYS][256] = {{0}}, impl[64] = "", part[64] = "";
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        char *value = colon + 1;
        trim(line);
        trim(value);
        if (!*value) continue;
        for (int k = 0; k < NKEYS; k++)
            if (!found[k][0] && !strcasecmp(line, keys[k]))
                snprintf(found[k], sizeof found[k], "%s", value);
        if (!impl[0] && !strcmp(line, "CPU implementer")) snprintf(impl, sizeof impl, "%s", value);
        if (!part[0] && !strcmp(line, "CPU part")) snprintf(part, sizeof part, "%s", value);
    }
    fclose(f);
    for (int k = 0; k < NKEYS; k++)
        if (found[k][0]) {
            snprintf(buf, len, "%s", found[k]);
            return;
        }
    if (impl[0] && part[0]) snprintf(buf, len, "CPU implementer %s part %s", impl, part);
}

/* The file the BLAS was loaded from, resolved through symlinks: on Debian libblas.so.3
 * is an alternative (OpenBLAS, BLIS, reference BLAS) and only the path tells which. */
static void blas_library(char *buf, size_t len) {
    Dl_info info;
    snprintf(buf, len, "unknown");
    if (!dladdr((void *)cblas_sgemm, &info) || !info.dli_fname) return;
    char real[PATH_MAX];
    snprintf(buf, len, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
}

/* "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64" -> "OpenBLAS 0.3.21" */
static void blas_version(const char *config, char *buf, size_t len) {
    const char *p = strstr(config, "OpenBLAS");
    if (!p) {
        snprintf(buf, len, "unknown");
        return;
    }
    size_t n = strcspn(p + 8 + strspn(p + 8, " "), " ");
    snprintf(buf, len, "%.*s", (int)(8 + strspn(p + 8, " ") + n), p);
}

static void set_hex(attr_set *a, const char *name, uint64_t v) {
    char hex[24];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)v);
    attr_set_str(a, name, hex);
}

void provenance_describe(attr_set *root, const provenance_data *data, int threads,
                         const backend *device) {
    attr_set_str(root, "engine_version", provenance_version());
    attr_set_str(root, "git_commit", provenance_git_commit());
    attr_set_str(root, "compiler", PSL_COMPILER);
    attr_set_str(root, "build", PSL_BUILD_FLAGS);

    char buf[PATH_MAX + 64];
    provenance_cpu_model(buf, sizeof buf);
    attr_set_str(root, "cpu_model", buf);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(buf, sizeof buf, "unknown");
    attr_set_str(root, "os", buf);
    /* libm's expf/logf are glibc's, and their last bits have changed between releases */
    snprintf(buf, sizeof buf, "glibc %s", gnu_get_libc_version());
    attr_set_str(root, "libc", buf);

    const char *config = openblas_get_config ? openblas_get_config() : NULL;
    const char *core = openblas_get_corename ? openblas_get_corename() : NULL;
    attr_set_str(root, "blas_config", config && *config ? config : "unknown");
    blas_version(config ? config : "", buf, sizeof buf);
    attr_set_str(root, "blas_version", buf);
    attr_set_str(root, "blas_core", core && *core ? core : "unknown");
    blas_library(buf, sizeof buf);
    attr_set_str(root, "blas_library", buf);
    /* OpenBLAS may cap the count it was asked for (MAX_THREADS of its build) */
    attr_set_int(root, "threads", threads);
    attr_set_int(root, "blas_threads", openblas_get_num_threads ? openblas_get_num_threads() : 0);
    attr_set_int(root, "omp_threads", omp_get_max_threads());
    /* The GEMM the steps ran on (the gemm knob) and, for the engine's own, the kernel path
     * cpuid chose or gemm_path forced: every path gives the same bits, this says which ran. */
    const char *gemm_name, *kernel_path;
    backend_gemm_describe(device, &gemm_name, &kernel_path);
    attr_set_str(root, "gemm", gemm_name);
    attr_set_str(root, "gemm_path", kernel_path);

    /* The GPU (engine/backend_cuda.c): its name and compute capability pick the kernels
     * cuBLAS runs, and the driver, runtime and cuBLAS versions their last bits. */
    backend_gpu_info gpu;
    backend_gpu_describe(device, &gpu);
    attr_set_str(root, "gpu_model", gpu.model);
    attr_set_str(root, "gpu_cc", gpu.cc);
    attr_set_str(root, "gpu_driver", gpu.driver);
    attr_set_int(root, "cuda_driver", gpu.cuda_driver);
    attr_set_int(root, "cuda_runtime", gpu.cuda_runtime);
    attr_set_int(root, "cublas_version", gpu.cublas);

    set_hex(root, "tokenizer_hash", data->tokenizer_hash);
    set_hex(root, "train_data_id", data->train_id);
    set_hex(root, "val_data_id", data->val_id);
    /* A data directory that sweep tokenize made from hand-copied text has no manifest:
     * "none". One that is there but cannot be read is "unknown", not an error: the
     * provenance must never stop a run. */
    char path[PATH_MAX], hex[65], err[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/manifest.json", data->dir);
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) {
        attr_set_str(root, "corpus_manifest_sha256", "none");
    } else {
        if (f) fclose(f);
        attr_set_str(root, "corpus_manifest_sha256",
                     provenance_sha256_file(path, hex, err, sizeof err) ? "unknown" : hex);
    }
}
