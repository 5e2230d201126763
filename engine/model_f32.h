#ifndef ENGINE_MODEL_F32_H
#define ENGINE_MODEL_F32_H
/* The transformer in float: what training runs. */
#include "model.h"
#define REAL      float
#define SFX(name) name##_f32
#include "model_generic.h"
#undef REAL
#undef SFX
typedef model_f32 model;
#endif
