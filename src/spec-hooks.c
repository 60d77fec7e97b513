/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <string.h>

#include "error.h"
#include "path.h"
#include "spec-parse.h"
#include "spec.h"
#include "strv.h"

/* config.json's "hooks": runtime-spec config.md, "POSIX-platform Hooks". */

static const char *const hook_names[_HOOK_MAX] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *hook_type_to_string(HookType t) {
        return t >= 0 && t < _HOOK_MAX ? hook_names[t] : NULL;
}

static int parse_hook(const Parser *p, json_t *v, const char *name, size_t i _unused_, void *element,
                      void *userdata _unused_) {
        SpecHook *h = element;
        long long timeout;
        char f[256];
        int r;

        snprintf(f, sizeof f, "%s.path", name);
        r = get_required_string(p, v, "path", f, &h->path);
        if (r < 0)
                return r;
        /* The spec's extension of execv(): the path MUST be absolute. */
        if (!path_is_absolute(h->path))
                return field_error(p, f, "\"%s\" must be an absolute path", h->path);

        snprintf(f, sizeof f, "%s.args", name);
        r = get_strv(p, v, "args", f, &h->args);
        if (r < 0)
                return r;

        snprintf(f, sizeof f, "%s.env", name);
        r = get_strv(p, v, "env", f, &h->env);
        if (r < 0)
                return r;
        STRV_FOREACH(e, h->env)
                if (!strchr(*e, '=') || **e == '=')
                        return field_error(p, f, "\"%s\" is not of the form NAME=VALUE", *e);

        snprintf(f, sizeof f, "%s.timeout", name);
        r = get_integer(p, v, "timeout", f, LLONG_MIN, LLONG_MAX, &timeout);
        if (r < 0)
                return r;
        if (r > 0 && timeout <= 0)
                return field_error(p, f, "must be greater than zero (seconds), not %lld", timeout);
        if (r > 0 && timeout > INT_MAX)
                return field_error(p, f, "%lld seconds is more than %d", timeout, INT_MAX);
        h->timeout = r > 0 ? (unsigned) timeout : 0;
        return 0;
}

int spec_hooks_parse(const Parser *p, json_t *root, SpecHooks *ret) {
        const char *key;
        json_t *hooks, *v;
        int r;

        r = get_object(p, root, "hooks", "hooks", &hooks);
        if (r <= 0)
                return r;
        /* A misspelt hook silently not run is worse than a refused config. */
        json_object_foreach(hooks, key, v) {
                HookType t;
                char f[192];

                for (t = 0; t < _HOOK_MAX; t++)
                        if (streq(key, hook_names[t]))
                                break;
                snprintf(f, sizeof f, "hooks.%s", key);
                if (t == _HOOK_MAX)
                        return field_error(p, f, "unknown hook type");
                r = get_object_array(p, hooks, key, f, sizeof(SpecHook), (void **) &ret->list[t], &ret->n[t],
                                     parse_hook, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

void spec_hooks_done(SpecHooks *h) {
        for (HookType t = 0; t < _HOOK_MAX; t++) {
                for (size_t i = 0; i < h->n[t]; i++) {
                        free(h->list[t][i].path);
                        strv_free(h->list[t][i].args);
                        strv_free(h->list[t][i].env);
                }
                free(h->list[t]);
                h->list[t] = NULL;
                h->n[t] = 0;
        }
}

static json_t *strv_to_json(char **l) {
        _cleanup_(json_decrefp) json_t *a = json_array();

        if (!a)
                return NULL;
        STRV_FOREACH(s, l)
                if (json_array_append_new(a, json_string(*s)) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

static json_t *hook_to_json(const SpecHook *h) {
        _cleanup_(json_decrefp) json_t *o = json_pack("{s:s}", "path", h->path);

        if (!o)
                return NULL;
        if (h->args && json_object_set_new(o, "args", strv_to_json(h->args)) < 0)
                return NULL;
        if (h->env && json_object_set_new(o, "env", strv_to_json(h->env)) < 0)
                return NULL;
        if (h->timeout && json_object_set_new(o, "timeout", json_integer(h->timeout)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_t *spec_hooks_to_json(const SpecHooks *h, unsigned mask) {
        _cleanup_(json_decrefp) json_t *hooks = json_object();

        if (!hooks)
                return NULL;
        for (HookType t = 0; t < _HOOK_MAX; t++) {
                json_t *a;

                if (!(mask & (1U << t)) || h->n[t] == 0)
                        continue;
                a = json_array();
                if (json_object_set_new(hooks, hook_names[t], a) < 0)
                        return NULL;
                for (size_t i = 0; i < h->n[t]; i++)
                        if (json_array_append_new(a, hook_to_json(&h->list[t][i])) < 0)
                                return NULL;
        }
        return json_pack("{s:O}", "hooks", hooks);
}

int spec_hooks_parse_text(const char *text, size_t len, const char *path, SpecHooks *ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        Parser p = { .path = path };
        json_error_t jerr;
        int r;

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return error_set(-EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                                 path, jerr.line, jerr.column, jerr.text);
        r = spec_hooks_parse(&p, root, ret);
        if (r < 0)
                spec_hooks_done(ret);
        return r;
}
