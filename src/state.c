/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "path.h"
#include "state.h"
#include "strv.h"

static const char *const status_names[_STATUS_MAX] = {
        [STATUS_CREATING] = "creating",
        [STATUS_CREATED] = "created",
        [STATUS_RUNNING] = "running",
        [STATUS_PAUSED] = "paused",
        [STATUS_STOPPED] = "stopped",
};

const char *container_status_to_string(ContainerStatus s) {
        return s < _STATUS_MAX ? status_names[s] : NULL;
}

int container_status_from_string(const char *s) {
        for (ContainerStatus i = 0; i < _STATUS_MAX; i++)
                if (streq(status_names[i], s))
                        return i;
        return -EINVAL;
}

ContainerState *container_state_free(ContainerState *s) {
        if (!s)
                return NULL;
        free(s->oci_version);
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->owner);
        free(s->unit);
        free(s->cgroup);
        strv_free(s->annotations);
        free(s);
        return NULL;
}

int container_id_validate(const char *id) {
        size_t n = strlen(id);

        if (n == 0)
                return error_set(-EINVAL, "invalid container ID: must not be empty");
        if (n > CONTAINER_ID_MAX)
                return error_set(-EINVAL, "invalid container ID: longer than %d characters", CONTAINER_ID_MAX);
        if (id[0] == '.' || id[0] == '-')
                return error_set(-EINVAL, "invalid container ID \"%s\": must not start with \"%c\"", id, id[0]);
        for (const char *c = id; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      strchr("_+.-", *c)))
                        return error_set(-EINVAL, "invalid container ID \"%s\": only letters, digits and \"_+.-\" are allowed", id);
        return 0;
}

void state_dir_close(StateDir *d) {
        closep(&d->fd);
        closep(&d->root_fd);
        free(d->id);
        free(d->path);
        *d = STATE_DIR_NULL;
}

static int open_root(const char *root, bool create) {
        int fd;

        if (create) {
                int r = mkdir_p(root, 0700);

                if (r < 0)
                        return error_set(r, "create state root %s: %m", root);
        }
        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : error_set(-errno, "state root %s: %m", root);
        return fd;
}

int state_dir_lock(StateDir *d, int lock_op) {
        struct stat st;

        if (lock_op == 0)
                return 0;
        if (lock_op == LOCK_UN) {
                d->lock_op = 0;
                return flock(d->fd, LOCK_UN) < 0 ? -errno : 0;
        }
        if (RETRY_EINTR(flock(d->fd, lock_op)) < 0)
                return error_set(-errno, "lock %s: %m", d->path);
        /* A delete that held the lock before us has removed the directory. */
        if (fstat(d->fd, &st) < 0)
                return -errno;
        if (st.st_nlink == 0)
                return -ENOENT;
        d->lock_op = lock_op;
        return 0;
}

/* The root, the id and the path of a StateDir; not yet its fd. */
static int state_dir_begin(StateDir *d, const char *root, const char *id, bool create) {
        d->root_fd = open_root(root, create);
        if (d->root_fd < 0)
                return d->root_fd;
        d->id = strdup(id);
        d->path = path_join(root, id);
        if (!d->id || !d->path)
                return -ENOMEM;
        return 0;
}

int state_dir_open(const char *root, const char *id, int lock_op, StateDir *ret) {
        StateDir d = STATE_DIR_NULL;
        int r;

        r = state_dir_begin(&d, root, id, false);
        if (r < 0)
                goto fail;
        d.fd = openat(d.root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (d.fd < 0) {
                r = errno == ENOTDIR || errno == ELOOP ? -ENOENT : -errno;
                goto fail;
        }
        r = state_dir_lock(&d, lock_op);
        if (r < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        state_dir_close(&d);
        return r;
}

bool state_dir_is_locked(const StateDir *d) {
        _cleanup_close_ int fd = -1;

        if (d->lock_op != 0)
                return false;
        /* A fresh open file description, which conflicts with any holder. */
        fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* A directory stream of the directory fd, which stays ours to close. */
static DIR *opendir_fd(int fd) {
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        DIR *dir;

        if (dfd < 0)
                return NULL;
        dir = fdopendir(dfd);
        if (!dir)
                closep(&dfd);
        return dir;
}

static int remove_dir_contents(int fd) {
        _cleanup_closedir_ DIR *dir = opendir_fd(fd);
        struct dirent *de;
        int r = 0;

        if (!dir)
                return -errno;
        while ((de = readdir(dir)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
                        r = -errno;
        return r;
}

int state_dir_remove(StateDir *d) {
        int r;

        r = remove_dir_contents(d->fd);
        if (r < 0)
                return error_set(r, "remove %s: %m", d->path);
        if (unlinkat(d->root_fd, d->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return error_set(-errno, "remove %s: %m", d->path);
        return 0;
}

#define CREATING_PREFIX ".creating-"

/* A create that died before its rename left its private directory.  One
 * whose creator (named in it) is gone and whose lock is free is nobody's;
 * the pid check keeps us off one whose creator has made it but not yet
 * locked it. */
static void remove_abandoned_at(int root_fd) {
        _cleanup_closedir_ DIR *dir = opendir_fd(root_fd);
        struct dirent *de;

        if (!dir)
                return;
        while ((de = readdir(dir))) {
                _cleanup_close_ int fd = -1;
                pid_t pid;

                if (strncmp(de->d_name, CREATING_PREFIX, strlen(CREATING_PREFIX)) != 0)
                        continue;
                pid = atoi(de->d_name + strlen(CREATING_PREFIX));
                if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
                        continue;
                fd = openat(root_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (remove_dir_contents(fd) == 0)
                        (void) unlinkat(root_fd, de->d_name, AT_REMOVEDIR);
        }
}

void state_remove_abandoned(const char *root) {
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0)
                remove_abandoned_at(fd);
}

int state_dir_create(const char *root, const char *id, const ContainerState *s, StateDir *ret) {
        StateDir d = STATE_DIR_NULL;
        char tmp[64];
        int r;

        r = state_dir_begin(&d, root, id, true);
        if (r < 0)
                goto fail;
        remove_abandoned_at(d.root_fd);

        /* Build the directory under a private name, locked and holding its
         * state, then give it the id's name: the rename is the moment the
         * container exists, and with RENAME_NOREPLACE only one creator wins. */
        for (unsigned attempt = 0;; attempt++) {
                snprintf(tmp, sizeof tmp, CREATING_PREFIX "%d-%u", getpid(), attempt);
                /* 0711: the init, as the container's user, opens exec.fifo in it */
                if (mkdirat(d.root_fd, tmp, 0711) == 0)
                        break;
                if (errno != EEXIST || attempt > 100) {
                        r = error_set(-errno, "create %s/%s: %m", root, tmp);
                        goto fail;
                }
        }
        d.fd = openat(d.root_fd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (d.fd < 0 || flock(d.fd, LOCK_EX) < 0) {
                r = -errno;
                goto fail_tmp;
        }
        d.lock_op = LOCK_EX;
        r = state_save(&d, s);
        if (r < 0)
                goto fail_tmp;
        if (renameat2(d.root_fd, tmp, d.root_fd, id, RENAME_NOREPLACE) < 0) {
                r = errno == EEXIST || errno == ENOTEMPTY ? -EEXIST : -errno;
                if (r == -EEXIST)
                        error_set(r, "container with given ID already exists: %s", id);
                else
                        error_set(r, "create %s: %m", d.path);
                goto fail_tmp;
        }
        *ret = d;
        return 0;

fail_tmp:
        if (d.fd >= 0)
                remove_dir_contents(d.fd);
        unlinkat(d.root_fd, tmp, AT_REMOVEDIR);
fail:
        state_dir_close(&d);
        return r;
}

/* systemd's words for ExecMainCode. */
static const char *exit_code_to_string(int code) {
        switch (code) {
        case CLD_EXITED:
                return "exited";
        case CLD_KILLED:
                return "killed";
        case CLD_DUMPED:
                return "dumped";
        default:
                return "unknown";
        }
}

json_t *state_to_json(const ContainerState *s, ContainerStatus status, bool internal) {
        _cleanup_(json_decrefp) json_t *o = NULL, *ann = json_object();

        if (!ann)
                return NULL;
        for (char **a = s->annotations; a && a[0] && a[1]; a += 2)
                if (json_object_set_new(ann, a[0], json_string(a[1])) < 0)
                        return NULL;

        o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:O, s:s}",
                      "ociVersion", s->oci_version ?: OCI_VERSION,
                      "id", s->id,
                      "pid", (json_int_t) (status == STATUS_STOPPED && !internal ? 0 : s->pid),
                      "status", container_status_to_string(status),
                      "bundle", s->bundle ?: "",
                      "rootfs", s->rootfs ?: "",
                      "created", s->created ?: "",
                      "owner", s->owner ?: "",
                      "annotations", ann,
                      "systemd-unit", s->unit ?: "");
        if (!o)
                return NULL;
        if (!internal && status == STATUS_STOPPED && s->exit_code > 0 &&
            (json_object_set_new(o, "systemd-exit-code", json_string(exit_code_to_string(s->exit_code))) < 0 ||
             json_object_set_new(o, "systemd-exit-status", json_integer(s->exit_status)) < 0))
                return NULL;
        if (internal && json_object_set_new(o, "initStartTime", json_integer((json_int_t) s->pid_start_time)) < 0)
                return NULL;
        if (internal && s->cgroup && json_object_set_new(o, "cgroupPath", json_string(s->cgroup)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

int state_save(const StateDir *d, const ContainerState *s) {
        _cleanup_(json_decrefp) json_t *o = state_to_json(s, s->status, true);
        _cleanup_free_ char *text = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        text = json_dumps(o, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        r = write_file_atomic(d->fd, STATE_FILE, text, strlen(text), 0600);
        if (r < 0)
                return error_set(r, "write %s/%s: %m", d->path, STATE_FILE);
        return 0;
}

static int dup_string(json_t *o, const char *key, bool required, char **ret) {
        json_t *v = json_object_get(o, key);

        if (!v)
                return required ? -EBADMSG : 0;
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : -ENOMEM;
}

int state_parse(const char *text, size_t len, ContainerState **ret) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL;
        _cleanup_free_ char *status = NULL;
        json_t *pid, *start, *ann, *v;
        const char *key;
        size_t n = 0;
        int r;

        o = json_loadb(text, len, 0, NULL);
        if (!json_is_object(o))
                return -EBADMSG;
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        if ((r = dup_string(o, "ociVersion", true, &s->oci_version)) < 0 ||
            (r = dup_string(o, "id", true, &s->id)) < 0 ||
            (r = dup_string(o, "status", true, &status)) < 0 ||
            (r = dup_string(o, "bundle", true, &s->bundle)) < 0 ||
            (r = dup_string(o, "rootfs", false, &s->rootfs)) < 0 ||
            (r = dup_string(o, "created", false, &s->created)) < 0 ||
            (r = dup_string(o, "owner", false, &s->owner)) < 0 ||
            (r = dup_string(o, "systemd-unit", true, &s->unit)) < 0 ||
            (r = dup_string(o, "cgroupPath", false, &s->cgroup)) < 0)
                return r;
        r = container_status_from_string(status);
        if (r < 0)
                return -EBADMSG;
        s->status = r;

        pid = json_object_get(o, "pid");
        start = json_object_get(o, "initStartTime");
        if (!json_is_integer(pid) || json_integer_value(pid) < 0 || json_integer_value(pid) > INT_MAX ||
            !json_is_integer(start) || json_integer_value(start) < 0)
                return -EBADMSG;
        s->pid = (pid_t) json_integer_value(pid);
        s->pid_start_time = (uint64_t) json_integer_value(start);

        ann = json_object_get(o, "annotations");
        if (ann && !json_is_object(ann))
                return -EBADMSG;
        s->annotations = calloc(2 * json_object_size(ann) + 1, sizeof(char *));
        if (!s->annotations)
                return -ENOMEM;
        json_object_foreach(ann, key, v) {
                if (!json_is_string(v))
                        return -EBADMSG;
                s->annotations[n] = strdup(key);
                if (!s->annotations[n++])
                        return -ENOMEM;
                s->annotations[n] = strdup(json_string_value(v));
                if (!s->annotations[n++])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int state_load(const StateDir *d, ContainerState **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        fd = openat(d->fd, STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : error_set(-errno, "open %s/%s: %m", d->path, STATE_FILE);
        r = read_full_fd(fd, 1024 * 1024, &text, &len);
        if (r < 0)
                return error_set(r, "read %s/%s: %m", d->path, STATE_FILE);
        r = state_parse(text, len, ret);
        if (r == -EBADMSG)
                return error_set(r, "%s/%s: not a valid state file", d->path, STATE_FILE);
        return r;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int state_list(const char *root, char ***ret) {
        _cleanup_closedir_ DIR *dir = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        struct dirent *de;

        dir = opendir(root);
        if (!dir) {
                if (errno != ENOENT)
                        return error_set(-errno, "open %s: %m", root);
        } else
                while ((de = readdir(dir))) {
                        char **nl;

                        if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                                continue;
                        nl = realloc(l, (n + 2) * sizeof(char *));
                        if (!nl)
                                return -ENOMEM;
                        l = nl;
                        l[n] = strdup(de->d_name);
                        if (!l[n])
                                return -ENOMEM;
                        l[++n] = NULL;
                }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        qsort(l, n, sizeof(char *), strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}
