/* Stands in for engine/provenance.h when analysis/CMakeLists.txt compiles the engine's
 * generated git_commit.c into fitlaws (which never links the engine): the function is
 * renamed there to psl_analysis_git_commit, so a program linking both has no clash. */
#ifndef PSL_ANALYSIS_COMMIT_PROVENANCE_H
#define PSL_ANALYSIS_COMMIT_PROVENANCE_H
const char *provenance_git_commit(void);
#endif
