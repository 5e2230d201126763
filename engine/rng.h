#ifndef ENGINE_RNG_H
#define ENGINE_RNG_H
/* A small explicit random generator (splitmix64): its whole state is one integer,
 * saved in checkpoints, so a resumed run continues the same stream. */
#include <stdint.h>

typedef struct rng {
    uint64_t state;
} rng;

static inline void rng_seed(rng *r, uint64_t seed) {
    r->state = seed ^ 0x5DEECE66DULL;
}

static inline uint64_t rng_next(rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so log() is safe. */
static inline double rng_uniform(rng *r) {
    return ((rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

double rng_normal(rng *r);
#endif
