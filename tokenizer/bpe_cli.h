/* bpe_cli.h — the subcommands of pmp-bpe (each parses its own flags). */
#ifndef PMP_BPE_CLI_H
#define PMP_BPE_CLI_H

int pmp_bpe_cmd_encode(int argc, char **argv);
int pmp_bpe_cmd_decode(int argc, char **argv);
int pmp_bpe_cmd_info(int argc, char **argv);
int pmp_bpe_cmd_train(int argc, char **argv);
int pmp_bpe_cmd_convert(int argc, char **argv);

#endif
