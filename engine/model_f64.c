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
/* GEMM(gemm, transA, transB, ...): cblas_dgemm, row-major; the gemm argument (the float
 * model's GEMM choice) is ignored here. */
#define GEMM(g, ...) ((void)(g), cblas_dgemm(CblasRowMajor, __VA_ARGS__))
#define SQRT         sqrt
#define REXP         exp
#define RLOG         log
#include "model_pass.inc"
