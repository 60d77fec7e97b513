/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Copy what directory from holds into directory to, recursively: files,
 * directories, symlinks and nodes with their modes, owners and times (what
 * tmpcopyup gives a tmpfs from the image it covers).  Symlinks are copied,
 * never followed.  Errors name the entry under path, what from is called. */
int copy_tree(int from, int to, const char *path);
