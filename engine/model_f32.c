#include "model_f32.h"
#include "bigalloc.h"
#include "qat_model.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL      float
#define SFX(name) name##_f32
#define GEMM      cblas_sgemm
#define SQRT      sqrtf
#define REXP      expf
#define RLOG      logf
#define MODEL_QUANT
#include "model_pass.inc"
