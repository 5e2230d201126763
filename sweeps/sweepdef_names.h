#ifndef SWEEP_SWEEPDEF_NAMES_H
#define SWEEP_SWEEPDEF_NAMES_H
/* The names the loader (sweepdef.c) gives a sweep's runs and the sweep itself, made in
 * sweepdef_names.c; the name rule and the labels the commands use are in sweepdef.h. */
#include "sweepdef.h"

/* Names every run the config did not name: d<model>-l<layers>-h<heads>_D<tokens>_
 * <precision>_s<seed>, then _<knob><value> (_<knob>-<value> for a text knob) for each
 * identity knob the config sets that differs between those runs. explicit_set is
 * [run][knob] over the nknobs of knobs: set by the config (not a default). */
void sweep_name_runs(sweep_def *d, const knob_def *knobs, size_t nknobs,
                     const unsigned char *explicit_set);
/* Appends "_" and the first 6 hex digits of the run id (names that collide). */
void sweep_name_add_id(sweep_run *r);
/* The sweep's name when the config gives none, from the config's path. */
void sweep_default_name(const char *path, char *buf, size_t len);
#endif
