#ifndef ENGINE_MODEL_F32_H
#define ENGINE_MODEL_F32_H
/* The transformer in float: what training runs. */
#include "model.h"
#define REAL      float
#define SFX(name) name##_f32
#include "model_generic.h"
/* model_create on a device (engine/backend.h): the whole block in its memory; the
 * layers, the optimizer's loops and the copies go through its table. */
int model_create_on_f32(model_f32 *m, const model_shape *s, int max_batch, backend be, char *err,
                        size_t errlen);
#undef REAL
#undef SFX
typedef model_f32 model;
#endif
