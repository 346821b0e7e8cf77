/*
 * tests/user/shell_drive.h: drive an interactive busybox shell from a test that is init
 * (user_jobctl, user_jobs). The shell runs `sh -i` with PS1 "PROMPT$ " on the console, its
 * controlling terminal, so every key it reads is typed into the serial port by the runner
 * (tests/user/<test>.input, one chunk each time sd_ready prints JTEST-INPUT-READY); its
 * stdout and stderr go to a pipe this reads into one buffer, with a cursor that sd_expect
 * moves past each match.
 */
#ifndef SHELL_DRIVE_H
#define SHELL_DRIVE_H

#include <stddef.h>
#include <sys/types.h>

/* Start the shell; its pid, or -1. */
pid_t sd_start_shell(void);
/* Read the shell's output until want appears after the cursor: the match (the cursor then
 * just past it), or NULL at EOF or a full buffer. */
char *sd_expect(const char *want);
/* Ask the runner to type the next chunk. */
void sd_ready(void);
/* sd_ready, then sd_expect(want) as a TAP point named by what; keys names the chunk (the
 * .input file holds the bytes). The shell's recent output is a diagnostic on failure. */
char *sd_step(const char *keys, const char *want, const char *what);
/* The cursor, moving it, and the output from an offset on. */
size_t sd_cursor(void);
void sd_set_cursor(size_t at);
const char *sd_output(size_t at);

#endif
