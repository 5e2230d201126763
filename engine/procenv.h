#ifndef ENGINE_PROCENV_H
#define ENGINE_PROCENV_H
/* Thread-pool settings that must be in the environment before the OpenMP runtime
 * and OpenBLAS start (both read them in library constructors, before main).
 *
 * With two pools of threads (OpenMP's and OpenBLAS's) on few cores, idle threads
 * that spin steal the cores the other pool needs: measured here, 2 threads trained
 * 2.4-5x slower with the defaults (spinning) than with passive waiting. So the
 * programs' main() calls procenv_reexec() first: if OMP_WAIT_POLICY or
 * OPENBLAS_THREAD_TIMEOUT is unset, it sets OMP_WAIT_POLICY=PASSIVE and
 * OPENBLAS_THREAD_TIMEOUT=4 and re-executes the program once. Values the user set
 * are kept. For programs only; library code never calls it. Returns only when no
 * re-exec was needed or it failed (then the program runs with the defaults). */
void procenv_reexec(char **argv);
#endif
