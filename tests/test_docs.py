"""The man pages and the bash completion against the binary: every command
of `runsd --help` has a page and a completion, every option of `runsd CMD
--help` appears in its page and is completed, every page renders without a
warning, and meson installs them all."""
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAN = REPO / "man"
COMPLETION = REPO / "completion" / "runsd"

# an option as --help and the rendered pages write it
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def _section(text, title):
    """The lines of `runsd ... --help` after "title:" up to a blank line."""
    lines = text.split(title + ":\n", 1)[1].splitlines()
    return lines[:lines.index("")] if "" in lines else lines


def commands(runsd):
    return [line.split()[0] for line in _section(runsd.ok("--help"), "Commands")]


def _options(lines):
    """The options of help lines "  -b, --bundle DIR   what it does": the
    column before the description only (which may say "-ef")."""
    return {o for line in lines if (m := re.match(r"\s+(-\S.*?)(?:\s{2,}|$)", line))
            for o in OPTION.findall(m.group(1))}


def global_options(runsd):
    return _options(_section(runsd.ok("--help"), "Global options"))


def command_options(runsd, cmd):
    return _options(_section(runsd.ok(cmd, "--help"), "Options"))


def render(page):
    """man's text of a page; a warning of groff's or man's fails the test."""
    if not shutil.which("man") or not shutil.which("groff"):
        pytest.skip("man-db and groff are not installed (scripts/deps installs them)")
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)], capture_output=True,
                       text=True, env={**os.environ, "MANWIDTH": "80", "MAN_KEEP_FORMATTING": ""})
    assert r.returncode == 0 and r.stderr == "", f"man -l {page.name}: {r.stderr}"
    g = subprocess.run(["groff", "-ww", "-z", "-man", str(page)], capture_output=True, text=True)
    assert g.returncode == 0 and g.stderr == "", f"groff -ww {page.name}: {g.stderr}"
    # hyphens as a UTF-8 terminal may get them
    return r.stdout.replace("\u2010", "-").replace("\u2212", "-")


def test_every_page_renders_without_warnings():
    pages = sorted(MAN.glob("*.8"))
    assert len(pages) > 1
    for page in pages:
        assert "NAME" in render(page), page.name


def test_a_page_per_command(runsd):
    have = {p.name for p in MAN.glob("runsd-*.8")}
    want = {f"runsd-{c}.8" for c in commands(runsd)}
    assert have == want, f"pages without a command: {have - want}; commands without a page: {want - have}"
    overview = render(MAN / "runsd.8")
    for c in commands(runsd):
        assert f"runsd-{c}(8)" in overview, f"runsd(8) does not point to runsd-{c}(8)"


def test_every_option_is_in_its_page(runsd):
    missing = []
    for c in commands(runsd):
        text = set(OPTION.findall(render(MAN / f"runsd-{c}.8")))
        missing += [f"runsd-{c}(8): {o}" for o in sorted(command_options(runsd, c) - text)]
    text = set(OPTION.findall(render(MAN / "runsd.8")))
    missing += [f"runsd(8): {o}" for o in sorted(global_options(runsd) - text)]
    assert not missing, "options --help lists that the pages do not:\n" + "\n".join(missing)


def test_meson_installs_pages_and_completion(runsd_bin):
    build = Path(runsd_bin).parent
    if not (build / "meson-info").is_dir():
        pytest.skip(f"{runsd_bin} is not in a meson build directory")
    r = subprocess.run(["meson", "introspect", str(build), "--installed"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    installed = json.loads(r.stdout)
    for page in MAN.glob("*.8"):
        assert installed.get(str(page), "").endswith(f"/man8/{page.name}"), page.name
    assert installed.get(str(COMPLETION), "").endswith("/completions/runsd"), installed


# ------------------------------------------------------------ completion

def complete(host, runsd, *words):
    """What the completion offers for the command line `runsd WORDS`, the
    last word being the one completed (bash drives _runsd so)."""
    argv = [runsd.binary, *(["--root", runsd.root] if runsd._pass_root else []), *words]
    script = (f"source {shlex.quote(str(COMPLETION))}\n"
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in argv)})\n"
              f"COMP_CWORD={len(argv) - 1}\n"
              "_runsd\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = host.run(["bash", "-c", script])
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_completion_is_registered(host):
    r = host.run(["bash", "-c", f"source {shlex.quote(str(COMPLETION))}; complete -p runsd"])
    assert r.stdout.strip() == "complete -F _runsd runsd", r.stdout + r.stderr


def test_completion_offers_every_command_and_option(host, runsd):
    assert complete(host, runsd, "") == set(commands(runsd))
    assert complete(host, runsd, "ru") == {"run"}
    assert complete(host, runsd, "-") == global_options(runsd)
    wrong = {}
    for c in commands(runsd):
        offered, listed = complete(host, runsd, c, "-"), command_options(runsd, c)
        if offered != listed:
            wrong[c] = (sorted(listed - offered), sorted(offered - listed))
    assert not wrong, "runsd CMD --help lists, completion lacks / adds:\n" + \
        "\n".join(f"{c}: {a} / {b}" for c, (a, b) in wrong.items())
    assert complete(host, runsd, "list", "--format", "") == {"table", "json"}
    assert complete(host, runsd, "--log-format", "") == {"text", "json"}


def test_completion_offers_container_ids(host, runsd, bundle, cid):
    runsd.ok("create", "--bundle", bundle.path, cid)
    for cmd in ("start", "state", "kill", "delete", "exec", "pause", "ps", "events", "update"):
        assert cid in complete(host, runsd, cmd, ""), cmd
    assert cid in complete(host, runsd, "delete", "--force", cid[:3])
    # after the ID: kill's signal; list, spec and features take no ID
    assert "KILL" in complete(host, runsd, "kill", cid, "")
    assert cid not in complete(host, runsd, "kill", cid, "")
    for cmd in ("list", "spec", "features"):
        assert complete(host, runsd, cmd, "") == set(), cmd
    runsd.ok("delete", "--force", cid)
    assert cid not in complete(host, runsd, "start", "")
