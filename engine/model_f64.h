#ifndef ENGINE_MODEL_F64_H
#define ENGINE_MODEL_F64_H
/* The same transformer code instantiated in double, for finite-difference
 * gradient checks: central differences in float64 are accurate to ~1e-8, so the
 * checks can use tight bounds and still test the real code. */
#include "model.h"
#define REAL      double
#define SFX(name) name##_f64
#include "model_generic.h"
#undef REAL
#undef SFX
#endif
