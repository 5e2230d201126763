#pragma once
/* The readable name of a run: one scheme for `sweep train` (run_config_resolve's default
 * name) and `sweep run` (the sweep's generated names, which the committed results use):
 *     d<d_model>-l<n_layer>-h<n_head>[-pn]_<tokens>_<precision>_s<seed>   (-pn: proj_norm=1)
 * e.g. d64-l2-h2_D20N_fp32_s0, d96-l3-h3_D2.1G_w4a4-quest_s1. A sweep appends the knobs
 * that vary between its runs (sweeps/sweepdef_names.c); the run's identity is its id,
 * never its name. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The precision part from the knobs w_quant, a_quant, kv_quant, q_quant as written:
 * "fp32" when nothing is quantized; the format when all three of w, a, kv share it (and
 * q is fp32 or the same), e.g. "int4", "quest4:clipmask" -> "quest4-clipmask"; else one
 * tag per quantized point, compact when all are one family with bits ("w4a8kv4-int"),
 * else spelled out ("wint4-ae4m3"). */
void run_precision_label(const train_config *c, char *buf, size_t len);
/* The tokens part: "D<k>N" when tokens is k * n_nonembed rounded, for a k of two
 * significant digits (D20N, D2.5N), else "D" and the count with k/M/G/T ("D2.1G"). */
void run_tokens_label(int64_t tokens, int64_t n_nonembed, char *buf, size_t len);
/* The whole name without the sweep's varying-knob suffixes. c->tokens must be resolved. */
void run_base_name(const train_config *c, int64_t n_nonembed, char *buf, size_t len);
/* Appends printf output to the string in buf (nothing when buf is full). */
void run_name_append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* File names stay portable: anything but letters, digits, '.', '_', '-' becomes '-'. */
void run_name_sanitize(char *s);
