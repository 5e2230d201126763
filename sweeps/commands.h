#ifndef SWEEP_COMMANDS_H
#define SWEEP_COMMANDS_H

/* Each subcommand of `sweep` lives in sweeps/cmd_<name>.c. argv[0] is the
 * subcommand name. Returns the process exit status. */
int cmd_train(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ptq(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
