/* cmd.h — the pmp-extract subcommands (private to the program). Each cmd_*.c
 * parses its own flags with the common CLI conventions and calls the library. */
#ifndef PMP_CMD_H
#define PMP_CMD_H

int pmp_cmd_hh(int argc, char **argv);
int pmp_cmd_reddit(int argc, char **argv);
int pmp_cmd_stackexchange(int argc, char **argv);
int pmp_cmd_wikipedia(int argc, char **argv);

#endif
