/* The subcommands of the somnus program, one file each (cmd_<name>.c); main.c
 * dispatches to them. Each returns the exit status (util.h: CLI_OK, CLI_FAIL, CLI_USAGE). */
#ifndef SOMNUS_CLI_COMMANDS_H
#define SOMNUS_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_plot(int argc, char **argv);

int cmd_experiment(int argc, char **argv);

#endif
