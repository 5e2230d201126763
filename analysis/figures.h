/* The paper's figures, drawn with gnuplot: each figure is NAME.png and NAME.svg with
 * NAME.dat (data) and NAME.gp (script) beside it, so users can restyle it. */
#ifndef PSL_ANALYSIS_FIGURES_H
#define PSL_ANALYSIS_FIGURES_H

#include "derived.h"

/* Draws every figure the runs support into dir. Names of figures drawn go to done;
 * figures not drawn go to missing with the runs that would fill them. Returns the count
 * drawn. Needs gnuplot on PATH (a missing gnuplot is reported in missing). */
int psl_figures_paper(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                      const psl_derived *dv, psl_notes *done, psl_notes *missing);

/* The caption of figure name (one of the names psl_figures_paper puts in done): what is
 * drawn, from which points or law, and the axes; "" for an unknown name. */
const char *psl_figure_caption(const char *name);

#endif
