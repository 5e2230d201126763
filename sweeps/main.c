/* sweep: train runs, sweeps of runs, and post-training quantization.
 * Each subcommand lives in cmd_<name>.c. */
#include "commands.h"
#include "procenv.h"
#include "provenance.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"tokenize", cmd_tokenize, "train the BPE tokenizer on a corpus and write token files"},
    {"train", cmd_train, "train one run from KEY=VALUE knobs"},
    {"plan", cmd_plan, "list the runs of a sweep config with their cost"},
    {"run", cmd_run, "train every run of a sweep not yet done (locally or on Slurm)"},
    {"status", cmd_status, "show the state of a sweep's runs"},
    {"exec", cmd_exec, "train one run of a sweep (what run and Slurm tasks start)"},
    {"ptq", cmd_ptq, "quantize trained runs after training (RTN, GPTQ) and log the losses"},
    {"export", cmd_export, "write a sweep's runs and training curves as CSV tables"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: sweep COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'sweep help COMMAND' (or 'sweep COMMAND --help') describes one command;\n"
               "'sweep --version' says which build this is.\n");
}

int main(int argc, char **argv) {
    procenv_reexec(argv); /* passive thread pools: see engine/procenv.h */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sweep %s (commit %s; %s)\n", provenance_version(), provenance_git_commit(),
               provenance_build_flags());
        return 0;
    }
    /* sweep help COMMAND is sweep COMMAND --help */
    int help = !strcmp(argv[1], "help");
    if (help && argc == 2) {
        usage(stdout);
        return 0;
    }
    const char *name = argv[1 + help];
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(name, commands[i].name)) continue;
        if (help) {
            char *args[] = {argv[2], "--help", NULL};
            return commands[i].run(2, args);
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "sweep: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
