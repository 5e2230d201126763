#include "model_f64.h"
#include "bigalloc.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL      double
#define SFX(name) name##_f64
#define GEMM      cblas_dgemm
#define SQRT      sqrt
#define REXP      exp
#define RLOG      log
#include "model_pass.inc"
