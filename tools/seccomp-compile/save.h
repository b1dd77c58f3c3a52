/* SPDX-License-Identifier: GPL-2.0 */
/*
 * save.h - turn an item's recorded calls into profile files
 */
#ifndef SPEAKER_SAVE_H
#define SPEAKER_SAVE_H

#include "speaker-compile.h"

/**
 * save_profile() - write PROFILE_DIR/{booting,running,shutdown} from
 * ITEM_DIR/recorded
 * @item_dir: the item (or any directory with a "recorded" file)
 * @profile_dir: created if missing
 * @force: replace phase files that exist
 *
 * Return: EXIT_OK, EXIT_MISSING, EXIT_UNREADABLE, EXIT_RECORDED,
 * EXIT_WRITE or EXIT_INTERNAL.
 */
int save_profile(const char *item_dir, const char *profile_dir, bool force);

#endif /* SPEAKER_SAVE_H */
