#include "procenv.h"

#include <stdlib.h>
#include <unistd.h>

void procenv_reexec(char **argv) {
    if (getenv("PSL_PROCENV_DONE")) return;
    int changed = 0;
    if (!getenv("OMP_WAIT_POLICY")) changed |= !setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    if (!getenv("OPENBLAS_THREAD_TIMEOUT")) changed |= !setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    setenv("PSL_PROCENV_DONE", "1", 1);
    if (changed) execv("/proc/self/exe", argv);
}
