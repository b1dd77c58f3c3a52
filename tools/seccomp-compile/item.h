/* SPDX-License-Identifier: GPL-2.0 */
/*
 * item.h - write compiled programs into a speaker item or a directory
 */
#ifndef SPEAKER_ITEM_H
#define SPEAKER_ITEM_H

#include "speaker-compile.h"

/**
 * item_load() - replace the three programs of a configfs item
 * @dir: the item, /sys/kernel/config/speaker/NAME
 * @prog: the new programs, by phase
 *
 * Reads the current programs first. Writes each phase, reads it back and
 * compares: configfs drops the kernel's verdict at close(), so a refused
 * program shows only as a read-back that differs. On any failure, every
 * phase already replaced gets its old program back, and the kernel's
 * reason is taken from the item's status attribute.
 *
 * Return: EXIT_OK, EXIT_WRITE, EXIT_REFUSED or EXIT_INCONSISTENT.
 */
int item_load(const char *dir, const struct buf prog[NR_PHASES]);

/* Write the programs as files DIR/{booting,running,shutdown}. */
int output_write(const char *dir, const struct buf prog[NR_PHASES]);

#endif /* SPEAKER_ITEM_H */
