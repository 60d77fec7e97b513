/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "state.h"

#include "strv.h"
#include "test-util.h"

static void state_dir_closep(StateDir *d) {
        state_dir_close(d);
}
#define _cleanup_state_dir_ _cleanup_(state_dir_closep)

static char **strv_new4(const char *a, const char *b, const char *c, const char *d) {
        char **l = calloc(5, sizeof(char *));

        ASSERT(l);
        ASSERT((l[0] = strdup(a)) && (l[1] = strdup(b)) && (l[2] = strdup(c)) && (l[3] = strdup(d)));
        return l;
}

/* A state with every field set. */
static ContainerState *state_new(const char *id) {
        ContainerState *s = calloc(1, sizeof *s);

        ASSERT(s);
        ASSERT((s->oci_version = strdup("1.0.2")));
        ASSERT((s->id = strdup(id)));
        ASSERT((s->bundle = strdup("/srv/bundles/c1")));
        ASSERT((s->rootfs = strdup("/srv/bundles/c1/rootfs")));
        ASSERT((s->created = strdup("2024-05-06T07:08:09.123456789Z")));
        ASSERT((s->owner = strdup("root")));
        ASSERT((s->unit = strdup("runsd-c1.scope")));
        s->pid = 4242;
        s->pid_start_time = UINT64_C(123456789012);
        s->status = STATUS_CREATING;
        s->annotations = strv_new4("org.example.key", "value with \"quotes\" and ünïcode", "empty", "");
        return s;
}

static void assert_state_equal(const ContainerState *a, const ContainerState *b) {
        ASSERT_STR_EQ(a->oci_version, b->oci_version);
        ASSERT_STR_EQ(a->id, b->id);
        ASSERT_STR_EQ(a->bundle, b->bundle);
        ASSERT_STR_EQ(a->rootfs, b->rootfs);
        ASSERT_STR_EQ(a->created, b->created);
        ASSERT_STR_EQ(a->owner, b->owner);
        ASSERT_STR_EQ(a->unit, b->unit);
        ASSERT_INT_EQ(a->pid, b->pid);
        ASSERT_U64_EQ(a->pid_start_time, b->pid_start_time);
        ASSERT_INT_EQ(a->status, b->status);
        /* Annotations: the same pairs, in any order. */
        ASSERT_INT_EQ(strv_length(a->annotations), strv_length(b->annotations));
        for (char **k = a->annotations; k && k[0]; k += 2) {
                bool found = false;

                for (char **l = b->annotations; l && l[0]; l += 2)
                        if (streq(k[0], l[0])) {
                                ASSERT_STR_EQ(k[1], l[1]);
                                found = true;
                        }
                ASSERT_MSG(found, "annotation %s missing", k[0]);
        }
}

static void test_status_names(void) {
        for (int i = 0; i < _STATUS_MAX; i++)
                ASSERT_INT_EQ(container_status_from_string(container_status_to_string(i)), i);
        ASSERT_STR_EQ(container_status_to_string(STATUS_CREATED), "created");
        ASSERT_STR_EQ(container_status_to_string(STATUS_RUNNING), "running");
        ASSERT_STR_EQ(container_status_to_string(STATUS_STOPPED), "stopped");
        ASSERT_STR_EQ(container_status_to_string(_STATUS_MAX), NULL);
        ASSERT_INT_EQ(container_status_from_string("Running"), -EINVAL);
        ASSERT_INT_EQ(container_status_from_string(""), -EINVAL);
}

static void test_round_trip(void) {
        for (int status = 0; status < _STATUS_MAX; status++) {
                _cleanup_(container_state_freep) ContainerState *s = state_new("c1"), *t = NULL;
                _cleanup_(json_decrefp) json_t *o = NULL;
                _cleanup_free_ char *text = NULL;

                s->status = status;
                o = state_to_json(s, status, true);
                ASSERT(o);
                ASSERT_STR_EQ(json_string_value(json_object_get(o, "systemd-unit")), "runsd-c1.scope");
                ASSERT_STR_EQ(json_string_value(json_object_get(o, "status")), container_status_to_string(status));
                ASSERT_INT_EQ(json_integer_value(json_object_get(o, "pid")), 4242);
                ASSERT_INT_EQ(json_integer_value(json_object_get(o, "initStartTime")), 123456789012);
                text = test_json_dump(o);
                ASSERT_INT_EQ(state_parse(text, strlen(text), &t), 0);
                ASSERT(t);
                assert_state_equal(s, t);
        }
}

/* What `runsd state` prints: no internal fields, and a stopped
 * container's pid is 0, as in runc. */
static void test_to_json_public(void) {
        _cleanup_(container_state_freep) ContainerState *s = state_new("c1");
        _cleanup_(json_decrefp) json_t *o = NULL, *stopped = NULL, *internal = NULL;
        json_t *ann;

        o = state_to_json(s, STATUS_RUNNING, false);
        ASSERT(o);
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "ociVersion")), "1.0.2");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "id")), "c1");
        ASSERT_INT_EQ(json_integer_value(json_object_get(o, "pid")), 4242);
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "status")), "running");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "bundle")), "/srv/bundles/c1");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "rootfs")), "/srv/bundles/c1/rootfs");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "created")), "2024-05-06T07:08:09.123456789Z");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "owner")), "root");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "systemd-unit")), "runsd-c1.scope");
        ASSERT(!json_object_get(o, "initStartTime"));
        ann = json_object_get(o, "annotations");
        ASSERT(json_is_object(ann));
        ASSERT_INT_EQ(json_object_size(ann), 2);
        ASSERT_STR_EQ(json_string_value(json_object_get(ann, "empty")), "");

        /* The status given, not the one recorded. */
        s->status = STATUS_CREATED;
        stopped = state_to_json(s, STATUS_STOPPED, false);
        ASSERT(stopped);
        ASSERT_STR_EQ(json_string_value(json_object_get(stopped, "status")), "stopped");
        ASSERT_INT_EQ(json_integer_value(json_object_get(stopped, "pid")), 0);

        internal = state_to_json(s, STATUS_STOPPED, true);
        ASSERT(internal);
        ASSERT_INT_EQ(json_integer_value(json_object_get(internal, "pid")), 4242);

        /* Unset optional fields come out as "" and the default version. */
        {
                _cleanup_(container_state_freep) ContainerState *m = calloc(1, sizeof *m), *back = NULL;
                _cleanup_(json_decrefp) json_t *mo = NULL;
                _cleanup_free_ char *text = NULL;

                ASSERT(m);
                ASSERT((m->id = strdup("m")));
                mo = state_to_json(m, STATUS_CREATING, true);
                ASSERT(mo);
                ASSERT_STR_EQ(json_string_value(json_object_get(mo, "ociVersion")), OCI_VERSION);
                ASSERT_STR_EQ(json_string_value(json_object_get(mo, "bundle")), "");
                ASSERT_STR_EQ(json_string_value(json_object_get(mo, "systemd-unit")), "");
                ASSERT_INT_EQ(json_object_size(json_object_get(mo, "annotations")), 0);
                text = test_json_dump(mo);
                ASSERT_INT_EQ(state_parse(text, strlen(text), &back), 0);
                ASSERT_STR_EQ(back->id, "m");
                ASSERT_INT_EQ(back->pid, 0);
                ASSERT(back->annotations && !back->annotations[0]);
        }
}

static void test_parse_bad(void) {
        /* Each: the valid state with one member set or deleted. */
        static const struct {
                const char *path, *value;
        } patches[] = {
                { "ociVersion", NULL },
                { "ociVersion", "1" },
                { "id", NULL },
                { "id", "null" },
                { "id", "5" },
                { "status", NULL },
                { "status", "\"zombie\"" },
                { "status", "\"\"" },
                { "status", "\"Running\"" },
                { "status", "1" },
                { "bundle", NULL },
                { "bundle", "[]" },
                { "rootfs", "5" },
                { "created", "true" },
                { "owner", "{}" },
                { "systemd-unit", NULL },
                { "systemd-unit", "5" },
                { "pid", NULL },
                { "pid", "-1" },
                { "pid", "\"42\"" },
                { "pid", "4.2" },
                { "pid", "2147483648" },
                { "pid", "null" },
                { "initStartTime", NULL },
                { "initStartTime", "-1" },
                { "initStartTime", "\"1\"" },
                { "annotations", "[]" },
                { "annotations", "\"a=b\"" },
                { "annotations", "{\"a\": 1}" },
                { "annotations", "{\"a\": \"b\", \"c\": null}" },
        };
        static const char *const texts[] = {
                "", "{", "[]", "null", "\"x\"", "5", "{}", "garbage",
        };
        _cleanup_(container_state_freep) ContainerState *s = state_new("c1");
        _cleanup_(json_decrefp) json_t *good = state_to_json(s, STATUS_RUNNING, true);
        _cleanup_free_ char *good_text = NULL;

        ASSERT(good);
        good_text = test_json_dump(good);

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                ContainerState *t = NULL;

                ASSERT_MSG(state_parse(texts[i], strlen(texts[i]), &t) == -EBADMSG, "\"%s\"", texts[i]);
                ASSERT(!t);
        }

        /* Truncated anywhere. */
        for (size_t len = 0; len < strlen(good_text); len++) {
                ContainerState *t = NULL;

                ASSERT_MSG(state_parse(good_text, len, &t) == -EBADMSG, "cut at %zu", len);
                ASSERT(!t);
        }

        for (size_t i = 0; i < ELEMENTSOF(patches); i++) {
                _cleanup_(json_decrefp) json_t *o = json_deep_copy(good);
                _cleanup_free_ char *text = NULL;
                ContainerState *t = NULL;
                int r;

                ASSERT(o);
                test_json_set(o, patches[i].path, patches[i].value);
                text = test_json_dump(o);
                r = state_parse(text, strlen(text), &t);
                ASSERT_MSG(r == -EBADMSG, "%s = %s: returned %d", patches[i].path, patches[i].value ?: "(deleted)", r);
                ASSERT(!t);
        }

        /* Optional members may be missing. */
        {
                _cleanup_(json_decrefp) json_t *o = json_deep_copy(good);
                _cleanup_(container_state_freep) ContainerState *t = NULL;
                _cleanup_free_ char *text = NULL;

                ASSERT(o);
                test_json_set(o, "rootfs", NULL);
                test_json_set(o, "created", NULL);
                test_json_set(o, "owner", NULL);
                test_json_set(o, "annotations", NULL);
                text = test_json_dump(o);
                ASSERT_INT_EQ(state_parse(text, strlen(text), &t), 0);
                ASSERT_STR_EQ(t->rootfs, NULL);
                ASSERT_STR_EQ(t->created, NULL);
                ASSERT_STR_EQ(t->owner, NULL);
                ASSERT_INT_EQ(strv_length(t->annotations), 0);
                ASSERT_STR_EQ(t->unit, "runsd-c1.scope");
                ASSERT_INT_EQ(t->status, STATUS_RUNNING);
        }
}

static void test_id_validate(void) {
        static const char *const good[] = {
                "abc", "a.b-c_d+e", "A", "0", "abc.", "x-", "_x", "+x", "a..b",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        };
        static const char *const bad[] = {
                "", ".x", "..", ".", "-x", "a/b", "../x", "/x", "x/", "a b", " x", "a\tb", "a\nb",
                "a:b", "a@b", "a\\b", "ä", "a*",
        };
        char id[CONTAINER_ID_MAX + 2];

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                error_clear();
                ASSERT_MSG(container_id_validate(good[i]) == 0, "\"%s\"", good[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r;

                error_clear();
                r = container_id_validate(bad[i]);
                ASSERT_MSG(r == -EINVAL, "\"%s\": returned %d", bad[i], r);
                ASSERT_STR_CONTAINS(error_message(r), "invalid container ID");
        }

        memset(id, 'a', CONTAINER_ID_MAX);
        id[CONTAINER_ID_MAX] = '\0';
        ASSERT_INT_EQ(CONTAINER_ID_MAX, 200);
        ASSERT_INT_EQ(container_id_validate(id), 0);
        id[CONTAINER_ID_MAX] = 'a';
        id[CONTAINER_ID_MAX + 1] = '\0';
        error_clear();
        ASSERT_INT_EQ(container_id_validate(id), -EINVAL);
        ASSERT_STR_CONTAINS(error_message(-EINVAL), "invalid container ID");
}

static bool exists_at(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        ASSERT(asprintf(&p, "%s/%s", dir, name) > 0);
        if (lstat(p, &st) == 0)
                return true;
        ASSERT_MSG(errno == ENOENT, "stat %s: %s", p, strerror(errno));
        return false;
}

/* The entries of a directory besides "." and "..". */
static size_t count_entries(const char *dir) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        ASSERT_MSG(d, "opendir %s: %s", dir, strerror(errno));
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        return n;
}

static void test_dir_lifecycle(const char *tmp) {
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL, d2 = STATE_DIR_NULL, d3 = STATE_DIR_NULL;
        _cleanup_(container_state_freep) ContainerState *s = state_new("c1"), *loaded = NULL;
        _cleanup_free_ char *root = NULL, *dir = NULL, *file = NULL, *text = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL;
        json_error_t jerr;
        struct stat st;
        size_t len;
        int r;

        /* The root does not exist yet: create makes it. */
        ASSERT(asprintf(&root, "%s/state/root", tmp) > 0);
        ASSERT(asprintf(&dir, "%s/c1", root) > 0);
        ASSERT(asprintf(&file, "%s/c1/" STATE_FILE, root) > 0);

        error_clear();
        r = state_dir_open(root, "c1", 0, &d);
        ASSERT_INT_EQ(r, -ENOENT);
        ASSERT_INT_EQ(d.fd, -1);

        error_clear();
        r = state_dir_create(root, "c1", s, &d);
        ASSERT_MSG(r == 0, "state_dir_create: %d: %s", r, error_message(r));
        ASSERT(d.fd >= 0 && d.root_fd >= 0);
        ASSERT_STR_EQ(d.id, "c1");
        ASSERT_STR_EQ(d.path, dir);
        /* 0711: the init, as the container's user, must reach exec.fifo;
         * the state file stays 0600 and the root 0700. */
        ASSERT(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
        ASSERT_INT_EQ(st.st_mode & 07777, 0711);
        ASSERT(stat(root, &st) == 0 && S_ISDIR(st.st_mode));
        ASSERT_INT_EQ(st.st_mode & 07777, 0700);
        ASSERT(stat(file, &st) == 0 && S_ISREG(st.st_mode));
        ASSERT_INT_EQ(st.st_mode & 07777, 0600);
        /* Nothing but the container: no temporary directory left behind. */
        ASSERT_INT_EQ(count_entries(root), 1);
        ASSERT_INT_EQ(count_entries(dir), 1);

        /* The file is valid JSON with the state. */
        ASSERT_INT_EQ(read_full_file(file, 1 << 20, &text, &len), 0);
        o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        ASSERT_MSG(o, "%s: %s", file, jerr.text);
        ASSERT(json_is_object(o));
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "id")), "c1");
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "status")), "creating");
        ASSERT_INT_EQ(json_integer_value(json_object_get(o, "pid")), 4242);
        ASSERT_INT_EQ(json_integer_value(json_object_get(o, "initStartTime")), 123456789012);

        /* A second create of the same id. */
        error_clear();
        r = state_dir_create(root, "c1", s, &d2);
        ASSERT_INT_EQ(r, -EEXIST);
        ASSERT_STR_CONTAINS(error_message(r), "container with given ID already exists");
        ASSERT_INT_EQ(d2.fd, -1);
        ASSERT_INT_EQ(count_entries(root), 1);

        ASSERT_INT_EQ(state_load(&d, &loaded), 0);
        assert_state_equal(s, loaded);
        loaded = container_state_free(loaded);

        /* A second open of the locked directory: it sees the lock, and
         * cannot take it. */
        r = state_dir_open(root, "c1", 0, &d2);
        ASSERT_INT_EQ(r, 0);
        ASSERT(state_dir_is_locked(&d2));
        error_clear();
        r = state_dir_open(root, "c1", LOCK_SH | LOCK_NB, &d3);
        ASSERT_INT_EQ(r, -EWOULDBLOCK);
        ASSERT_INT_EQ(d3.fd, -1);

        /* Save through the second handle, load through the first. */
        s->status = STATUS_RUNNING;
        s->pid = 77;
        free(s->created);
        s->created = NULL;
        ASSERT_INT_EQ(state_save(&d2, s), 0);
        ASSERT_INT_EQ(state_load(&d, &loaded), 0);
        ASSERT_INT_EQ(loaded->status, STATUS_RUNNING);
        ASSERT_INT_EQ(loaded->pid, 77);
        ASSERT_STR_EQ(loaded->created, "");
        loaded = container_state_free(loaded);
        ASSERT_INT_EQ(count_entries(dir), 1);

        /* Unlocked once the first handle is closed. */
        state_dir_close(&d);
        ASSERT_INT_EQ(d.fd, -1);
        ASSERT(!state_dir_is_locked(&d2));
        ASSERT_INT_EQ(state_dir_open(root, "c1", LOCK_EX | LOCK_NB, &d3), 0);
        ASSERT(state_dir_is_locked(&d2));
        state_dir_close(&d3);

        /* A corrupt state file. */
        {
                _cleanup_close_ int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);

                ASSERT(fd >= 0);
                ASSERT(write(fd, "{\"id\":", 6) == 6);
        }
        error_clear();
        r = state_load(&d2, &loaded);
        ASSERT_INT_EQ(r, -EBADMSG);
        ASSERT(!loaded);
        ASSERT_STR_CONTAINS(error_message(r), file);

        /* Removal takes everything in the directory, a FIFO too. */
        ASSERT(mkfifoat(d2.fd, EXEC_FIFO, 0600) == 0);
        ASSERT_INT_EQ(state_dir_remove(&d2), 0);
        ASSERT(!exists_at(root, "c1"));
        ASSERT_INT_EQ(count_entries(root), 0);
        state_dir_close(&d2);

        error_clear();
        ASSERT_INT_EQ(state_dir_open(root, "c1", LOCK_EX, &d2), -ENOENT);
        ASSERT_INT_EQ(state_dir_open(root, "other", 0, &d2), -ENOENT);

        /* The id can be used again. */
        s->status = STATUS_CREATED;
        ASSERT_INT_EQ(state_dir_create(root, "c1", s, &d), 0);
        ASSERT_INT_EQ(state_dir_remove(&d), 0);
        state_dir_close(&d);

        /* Not a directory, or a symbolic link: not a container. */
        {
                _cleanup_free_ char *p = NULL, *q = NULL;
                _cleanup_close_ int fd = -1;

                ASSERT(asprintf(&p, "%s/file", root) > 0);
                ASSERT(asprintf(&q, "%s/link", root) > 0);
                fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                ASSERT(fd >= 0);
                ASSERT(symlink(tmp, q) == 0);
                ASSERT_INT_EQ(state_dir_open(root, "file", 0, &d2), -ENOENT);
                ASSERT_INT_EQ(state_dir_open(root, "link", 0, &d2), -ENOENT);
                ASSERT(unlink(p) == 0 && unlink(q) == 0);
        }

        /* A missing root is "no such container". */
        {
                _cleanup_free_ char *missing = NULL;

                ASSERT(asprintf(&missing, "%s/missing", tmp) > 0);
                ASSERT_INT_EQ(state_dir_open(missing, "c1", 0, &d2), -ENOENT);
        }
}

/* Wait for a child and return its exit status; anything but a normal exit
 * fails the test. */
static int wait_child(pid_t pid) {
        int status;

        ASSERT(RETRY_EINTR(waitpid(pid, &status, 0)) == pid);
        ASSERT_MSG(WIFEXITED(status), "child %d: status 0x%x", (int) pid, status);
        return WEXITSTATUS(status);
}

/* A forked child's end: it frees its copies of what the parent allocated
 * and would free at the end of the test (the compiler may keep no pointer
 * to them, so valgrind would call them lost), then leaves without running
 * the parent's cleanup handlers or atexit functions. */
static _noreturn_ void child_exit(int code, ContainerState *s, char *root) {
        container_state_free(s);
        free(root);
        _exit(code);
}

/* The lock as seen from another process. */
static void test_lock_other_process(const char *tmp) {
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL, obs = STATE_DIR_NULL;
        _cleanup_(container_state_freep) ContainerState *s = state_new("c2");
        _cleanup_free_ char *root = NULL;
        int ready[2], go[2];
        char c;
        pid_t pid;

        ASSERT(asprintf(&root, "%s/lock", tmp) > 0);
        ASSERT_INT_EQ(state_dir_create(root, "c2", s, &d), 0);
        /* Our own lock is not "another process". */
        ASSERT(!state_dir_is_locked(&d));
        state_dir_close(&d);

        /* An observer that holds no lock. */
        ASSERT_INT_EQ(state_dir_open(root, "c2", 0, &obs), 0);
        ASSERT(!state_dir_is_locked(&obs));

        ASSERT(pipe2(ready, O_CLOEXEC) == 0 && pipe2(go, O_CLOEXEC) == 0);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                StateDir cd = STATE_DIR_NULL;
                int r;

                /* Only our ends, so a parent that dies unblocks us. */
                close(ready[0]);
                close(go[1]);
                state_dir_close(&obs);
                r = state_dir_open(root, "c2", LOCK_EX, &cd);
                c = r == 0 ? 'L' : 'E';
                (void) !write(ready[1], &c, 1);
                (void) !read(go[0], &c, 1);
                state_dir_close(&cd);
                child_exit(r == 0 ? 0 : 1, s, root);
        }
        close(ready[1]);
        close(go[0]);
        ASSERT(read(ready[0], &c, 1) == 1);
        ASSERT_INT_EQ(c, 'L');
        ASSERT(state_dir_is_locked(&obs));
        ASSERT_INT_EQ(state_dir_open(root, "c2", LOCK_SH | LOCK_NB, &d), -EWOULDBLOCK);
        ASSERT_INT_EQ(d.fd, -1);
        ASSERT(write(go[1], "x", 1) == 1);
        ASSERT_INT_EQ(wait_child(pid), 0);
        ASSERT(!state_dir_is_locked(&obs));
        close(ready[0]);
        close(go[1]);
        state_dir_close(&obs);

        /* A process waiting for the lock of a container that the holder
         * then removes gets -ENOENT, not a removed directory. */
        ASSERT_INT_EQ(state_dir_open(root, "c2", LOCK_EX, &d), 0);
        ASSERT(!state_dir_is_locked(&d));
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                StateDir cd = STATE_DIR_NULL;
                int r;

                /* Our copy of the parent's descriptor would keep its
                 * lock alive after the parent closes it. */
                state_dir_close(&d);
                r = state_dir_open(root, "c2", LOCK_EX, &cd);
                state_dir_close(&cd);
                child_exit(r == -ENOENT ? 0 : r == 0 ? 2 : 3, s, root);
        }
        usleep(200 * 1000);
        ASSERT_INT_EQ(state_dir_remove(&d), 0);
        state_dir_close(&d);
        ASSERT_INT_EQ(wait_child(pid), 0);
}

/* Many processes creating one id at once: exactly one wins. */
static void test_create_race(const char *tmp) {
        enum { N = 10 };
        _cleanup_(container_state_freep) ContainerState *s = state_new("race");
        _cleanup_free_ char *root = NULL;
        pid_t pids[N];
        int go[2], won = 0, lost = 0;

        ASSERT(asprintf(&root, "%s/race", tmp) > 0);
        ASSERT(pipe2(go, O_CLOEXEC) == 0);
        for (int i = 0; i < N; i++) {
                pids[i] = fork();
                ASSERT(pids[i] >= 0);
                if (pids[i] == 0) {
                        StateDir d = STATE_DIR_NULL;
                        char c;
                        int r;

                        close(go[1]);
                        (void) !read(go[0], &c, 1);   /* EOF: all go */
                        r = state_dir_create(root, "race", s, &d);
                        if (r == 0)
                                usleep(100 * 1000);   /* hold it while the others try */
                        state_dir_close(&d);
                        child_exit(r == 0 ? 0 : r == -EEXIST ? 17 : 100, s, root);
                }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < N; i++) {
                int st = wait_child(pids[i]);

                ASSERT_MSG(st == 0 || st == 17, "child %d exited %d", i, st);
                if (st == 0)
                        won++;
                else
                        lost++;
        }
        ASSERT_INT_EQ(won, 1);
        ASSERT_INT_EQ(lost, N - 1);
        /* One container, no temporary directories left. */
        ASSERT_INT_EQ(count_entries(root), 1);
        ASSERT(exists_at(root, "race/" STATE_FILE));
}

static void test_list(const char *tmp) {
        static const char *const dirs[] = { "zeta", "alpha", "mid.1", "Beta", ".hidden", ".creating-1-0", "a+b" };
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *root = NULL, *missing = NULL, *file = NULL;
        _cleanup_close_ int fd = -1;

        ASSERT(asprintf(&root, "%s/list", tmp) > 0);
        ASSERT(asprintf(&missing, "%s/list-missing", tmp) > 0);
        ASSERT(asprintf(&file, "%s/list/file", tmp) > 0);

        ASSERT_INT_EQ(state_list(missing, &l), 0);
        ASSERT(l && !l[0]);
        l = (strv_free(l), NULL);

        ASSERT(mkdir(root, 0700) == 0);
        ASSERT_INT_EQ(state_list(root, &l), 0);
        ASSERT(l && !l[0]);
        l = (strv_free(l), NULL);

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = NULL;

                ASSERT(asprintf(&p, "%s/%s", root, dirs[i]) > 0);
                ASSERT(mkdir(p, 0700) == 0);
        }
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ASSERT(fd >= 0);

        ASSERT_INT_EQ(state_list(root, &l), 0);
        ASSERT_INT_EQ(strv_length(l), 5);
        ASSERT_STR_EQ(l[0], "Beta");
        ASSERT_STR_EQ(l[1], "a+b");
        ASSERT_STR_EQ(l[2], "alpha");
        ASSERT_STR_EQ(l[3], "mid.1");
        ASSERT_STR_EQ(l[4], "zeta");
        ASSERT_STR_EQ(l[5], NULL);
}

/* Global, so forked children (valgrind checks them for leaks too) can
 * reach it. */
static char *test_tmp;

/* Also when an assertion exits; forked children leave with _exit(). */
static void remove_test_tmp(void) {
        if (test_tmp) {
                if (test_rm_rf(test_tmp) < 0)
                        fprintf(stderr, "rm -rf %s failed\n", test_tmp);
                free(test_tmp);
                test_tmp = NULL;
        }
}

int main(void) {
        const char *tmp = test_tmp = test_mkdtemp();

        ASSERT(atexit(remove_test_tmp) == 0);

        test_status_names();
        test_round_trip();
        test_to_json_public();
        test_parse_bad();
        test_id_validate();
        test_dir_lifecycle(tmp);
        test_lock_other_process(tmp);
        test_create_race(tmp);
        test_list(tmp);
        return 0;
}
