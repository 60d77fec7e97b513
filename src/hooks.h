/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"
#include "state.h"

/* config.json's hooks, run: each fork+execve'd with exactly its args (just
 * its path when it has none) and its env (empty when it has none), the
 * container's state (as `runsd state` prints it, with the status the
 * runtime-spec gives type t) on stdin, and runsd's stdout and stderr.
 * One still running after its timeout is killed with its process group.
 *
 * The hooks of t run in the config's order.  Of prestart, createRuntime,
 * createContainer and startContainer the first to fail ends the run and
 * its error, naming it, is returned; a failed poststart or poststop hook
 * is a warning, and the rest run (runtime-spec runtime.md). */
int hooks_run(const SpecHooks *h, HookType t, const ContainerState *s);

/* The hooks run by later commands (poststart by `start`, poststop by
 * `delete`) are kept in the state directory between them: saved by
 * create (nothing when it has none), loaded by the others.  Those hooks
 * only warn when they fail, so a file that cannot be read is a warning
 * too, and none are loaded. */
int hooks_save(const StateDir *d, const SpecHooks *h);
void hooks_load(const StateDir *d, SpecHooks *ret);
