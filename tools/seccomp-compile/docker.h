/* SPDX-License-Identifier: GPL-2.0 */
/*
 * docker.h - exchange profiles with Docker and OCI runtimes (json-c)
 */
#ifndef SPEAKER_DOCKER_H
#define SPEAKER_DOCKER_H

#include "speaker-compile.h"

/**
 * docker_export() - print a profile as a Docker seccomp profile
 * @profile_dir: the speaker profile, PROFILE_DIR/{booting,running,shutdown}
 * @extra_arch: arches that --arch enabled for every phase
 *
 * Writes to standard output a profile whose defaultAction is
 * SCMP_ACT_ERRNO and whose one SCMP_ACT_ALLOW rule names the union of the
 * three phases, the calls every phase needs included.
 *
 * Return: EXIT_OK, or the profile's error (EXIT_PROFILE, EXIT_MISSING,
 * EXIT_UNREADABLE), EXIT_WRITE or EXIT_INTERNAL.
 */
int docker_export(const char *profile_dir, const bool extra_arch[NR_ARCHES]);

/**
 * docker_import() - print the calls a Docker seccomp profile allows
 * @path: a Docker seccomp profile, or an OCI config.json (its
 *	linux.seccomp is used)
 *
 * Writes one speaker phase list to standard output. Rules that depend on
 * capabilities count for Docker's default capabilities and those given
 * to docker_cap_add().
 *
 * Return: EXIT_OK, EXIT_MISSING, EXIT_UNREADABLE, EXIT_IMPORT, EXIT_WRITE
 * or EXIT_INTERNAL.
 */
int docker_import(const char *path);

/* Grant capability @name (CAP_X or X, any case) to docker_import(). */
int docker_cap_add(const char *name);

#endif /* SPEAKER_DOCKER_H */
