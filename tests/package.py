#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tool as a user gets it.

1. The bash completion and the man page agree with each command's --help
   (commands, options, --format values) and the man page with the rule
   table; the completion function is driven in bash as readline would.
2. The GitHub problem matcher's regexps pick file, line, column, severity,
   message and rule out of the binary's real text output (checked against
   its JSON output), and the GitLab Code Quality filter turns the JSON into
   a report GitLab reads.
3. .pre-commit-hooks.yaml through the real pre-commit, on a temporary
   repository: a good domain commits, a bad one is refused with our
   diagnostic, a file outside the hook's 'files' is not checked.
4. The Debian package: built with dpkg-buildpackage from a clean copy of
   the work tree's files, lintian run on it, installed with dpkg -i, the
   installed files checked, the installed binary run on the bundled
   examples from a temporary directory once the package's build tree is
   gone, then purged. Needs root (CI runs as root on a disposable
   machine): not root is a failure that says so.
"""
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, Tap, run  # noqa: E402

COMPLETION = os.path.join(SRCDIR, "completion", "hostdev-preflight")
MAN_SCD = os.path.join(SRCDIR, "man", "hostdev-preflight.1.scd")
MATCHER = os.path.join(SRCDIR, "data", "github-problem-matcher.json")
CODEQUALITY = os.path.join(SRCDIR, "data", "gitlab-codequality.jq")
EXAMPLES = os.path.join(SRCDIR, "examples")
MKHOST = os.path.join(SRCDIR, "tests", "hosts", "mkhost.py")
BCM5719 = os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host")
KREL = "6.12.0-hp"

OPTION_RE = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def sh(args, cwd=None, env=None, timeout=600):
    """Runs a helper program; returns (exit code, stdout + stderr)."""
    p = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# --- what --help says ---------------------------------------------------

def help_commands():
    rc, out, err = run(["--help"])
    cmds, inside = [], False
    for line in out.splitlines():
        if re.match(r"^Commands?:", line):
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            cmds.append(line.split()[0])
    return cmds


def help_options(command):
    """The options 'COMMAND --help' lists, and its --format values."""
    rc, out, err = run([command, "--help"])
    opts, formats = set(), []
    for line in out.splitlines():
        if not line.lstrip().startswith("-"):
            continue
        spec, _, desc = line.strip().partition("  ")
        names = OPTION_RE.findall(spec)
        opts.update(names)
        if "--format" in names:
            text = desc.split(":", 1)[-1]
            text = re.sub(r"\([^)]*\)", "", text)
            formats = [w.strip() for w in re.split(r",|\||\bor\b", text) if re.fullmatch(r"\s*[a-z]+\s*", w)]
    return opts, formats


def refused(command, option):
    """An option --help lists but the command refuses (exit 2 naming it).
    The probe may take the file for the option's value (-o FILE): it gets a
    copy in a directory of its own, never the bundled example."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "vm.xml")
        shutil.copy(os.path.join(EXAMPLES, "vm.xml"), copy)
        rc, out, err = run([command, option, copy], stdin=b"", cwd=tmp)
    return rc == 2 and option in err


# --- the completion, driven in bash --------------------------------------

def complete(words, cwd=None, script=COMPLETION, preamble=""):
    """COMPREPLY for the command line WORDS (the last one is being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    prog = (f"{preamble}\nsource '{script}' || exit 3\n"
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
            "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
            "COMPREPLY=(); _hostdev_preflight || exit 4\n"
            "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return sorted(x for x in p.stdout.split("\n") if x)


def check_completion(tap, tmp):
    cmds = help_commands()
    tap.ok(cmds, "--help lists the commands", cmds)
    got = complete(["hostdev-preflight", ""])
    tap.ok(got == sorted(cmds + ["--help", "--version"]), "completion: the commands of --help, --help, --version", got)
    tap.ok(complete(["hostdev-preflight", "va"]) == ["validate"], "completion: a command's prefix")
    for cmd in cmds:
        opts, formats = help_options(cmd)
        got = complete(["hostdev-preflight", cmd, "-"])
        want = set(opts)
        # an option --help shows but the command refuses is not offered
        tolerated = {o for o in want - set(got or []) if refused(cmd, o)}
        want -= tolerated
        tap.ok(got is not None and set(got) == want | {"--"},
               f"completion: {cmd}'s options are the ones '{cmd} --help' lists"
               + (f" (less {', '.join(sorted(tolerated))}, which it refuses)" if tolerated else ""),
               f"completion {got}\nhelp      {sorted(opts)}")
        if "--format" in opts:
            tap.ok(formats, f"'{cmd} --help' names the --format values", opts)
            got = complete(["hostdev-preflight", cmd, "--format", ""])
            tap.ok(got == sorted(formats), f"completion: {cmd} --format values {formats}", got)
            got = complete(["hostdev-preflight", cmd, "--format", "=", formats[-1][:1]])
            want = sorted(f for f in formats if f.startswith(formats[-1][:1]))
            tap.ok(got == want, f"completion: {cmd} --format={formats[-1][:1]}<TAB>", got)
            for f in formats:
                if cmd in ("apply", "release"):
                    # they act on this host only (--root is refused): on a stand-in root, no usage error
                    rc, out, err = run([cmd, "--format", f, "--state-dir", tmp + "/state", os.path.join(EXAMPLES, "vm.xml")],
                                       env={"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": tmp + "/host"})
                    tap.ok(rc in (0, 1) and f'"outcome"' in out if f == "json" else rc in (0, 1),
                           f"{cmd} --format {f} is accepted", err)
                    continue
                rc, out, err = run([cmd, "--format", f, "--no-libvirt-schemas", "--root", tmp + "/host",
                                    "--kernel-release", KREL, os.path.join(EXAMPLES, "vm.xml")])
                tap.ok(rc == 0, f"{cmd} --format {f} is accepted", err)

    # files and directories
    work = os.path.join(tmp, "comp")
    os.makedirs(os.path.join(work, "dir with space"))
    os.makedirs(os.path.join(work, "host", "lib", "modules", "6.1.0-a"))
    os.makedirs(os.path.join(work, "host", "lib", "modules", "6.1.0-b"))
    for name in ("vm1.xml", "vm2.XML", "notes.txt", "-dash.xml"):
        open(os.path.join(work, name), "w").close()
    got = complete(["hostdev-preflight", "validate", ""], cwd=work)
    tap.ok(got == sorted(["dir with space", "host", "vm1.xml", "vm2.XML", "-dash.xml"]),
           "completion: a FILE is a domain document (*.xml) or a directory", got)
    got = complete(["hostdev-preflight", "validate", "--root", ""], cwd=work)
    tap.ok(got == ["dir with space", "host"], "completion: --root takes a directory", got)
    got = complete(["hostdev-preflight", "plan", "--libvirt-schemas", "d"], cwd=work)
    tap.ok(got == ["dir with space"], "completion: --libvirt-schemas takes a directory", got)
    got = complete(["hostdev-preflight", "validate", "--root", "host", "--kernel-release", ""], cwd=work)
    tap.ok(got == ["6.1.0-a", "6.1.0-b"], "completion: --kernel-release from ROOT/lib/modules", got)
    got = complete(["hostdev-preflight", "normalize", "-o", "n"], cwd=work)
    tap.ok(got == ["notes.txt"], "completion: -o takes any file", got)
    got = complete(["hostdev-preflight", "validate", "--", "-"], cwd=work)
    tap.ok(got == ["-dash.xml"], "completion: after '--' a word beginning with '-' is a file", got)
    got = complete(["hostdev-preflight", "frobnicate", "-"], cwd=work)
    tap.ok(got == [], "completion: nothing after an unknown command", got)
    # bash-completion, when installed, loads it on demand from its directory
    loader = "/usr/share/bash-completion/bash_completion"
    if os.path.isfile(loader):
        rc, out = sh(["bash", "--norc", "--noprofile", "-c",
                      f"source {loader}; complete -F _hostdev_preflight hostdev-preflight 2>/dev/null;"
                      f" source '{COMPLETION}'; complete -p hostdev-preflight"])
        tap.ok(rc == 0 and "_hostdev_preflight" in out, "completion: sourced after bash-completion", out)
    rc, out = sh(["bash", "-n", COMPLETION])
    tap.ok(rc == 0, "completion: bash -n", out)
    return cmds


def check_man_source(tap, cmds):
    """The man page's per-command option lists and the rule table."""
    text = open(MAN_SCD).read()
    sections = re.split(r"^## ", text, flags=re.M)
    by_cmd = {s.split("\n", 1)[0].strip(): s for s in sections[1:]}
    for cmd in cmds:
        sec = by_cmd.get(cmd)
        if not tap.ok(sec is not None, f"man: a subsection for {cmd}"):
            continue
        sec = sec.split("\n# ", 1)[0]
        m = re.search(r"^Options: (.*?)\n\n", sec, flags=re.M | re.S)
        listed = set(re.findall(r"\*(--[\w-]+)\*", m.group(1))) if m else set()
        opts, formats = help_options(cmd)
        want = {o for o in opts if o.startswith("--")}
        want -= {o for o in want - listed if refused(cmd, o)}
        tap.ok(listed == want, f"man: {cmd}'s options are the ones '{cmd} --help' lists",
               f"man  {sorted(listed)}\nhelp {sorted(want)}")
        m = re.search(r"^\*--format\* values: (.*)$", sec, flags=re.M)
        listed = re.findall(r"\*(\w+)\*", m.group(1)) if m else []
        tap.ok(listed == formats, f"man: {cmd}'s --format values", f"man {listed}\nhelp {formats}")
    options_sec = text.split("# OPTIONS", 1)[1].split("\n# ", 1)[0]
    described = set()
    for line in options_sec.splitlines():
        if line.startswith("*-"):
            described.update(re.findall(r"\*(--?[\w-]+)\*", line))
    every = set()
    for cmd in cmds:
        every |= {o for o in help_options(cmd)[0] if o.startswith("--")}
    tap.ok(every <= described, "man: every option is described under OPTIONS",
           sorted(every - described))
    rc, out, err = run(["validate", "--no-host", "--no-libvirt-schemas", "--format", "sarif",
                        os.path.join(EXAMPLES, "vm.xml")])
    rules = {r["id"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    rules_sec = text.split("# RULES", 1)[1].split("\n# ", 1)[0]
    listed = set(re.findall(r"^\*([a-z0-9-]+)\* \(", rules_sec, re.M))
    tap.ok(listed == rules, "man: RULES lists every rule id of the SARIF output",
           f"missing {sorted(rules - listed)}, unknown {sorted(listed - rules)}")


# --- the problem matcher and the Code Quality filter ----------------------

def js_to_python(regexp):
    """The runner reads the regexps as ECMAScript; ours use only what Python
    reads the same way (no named groups, no \\u escapes, no lookbehind)."""
    assert "(?<" not in regexp and "\\u" not in regexp, regexp
    return re.compile(regexp, re.ASCII)


def matcher_apply(matchers, line):
    """What GitHub's runner makes of one output line (first matcher wins)."""
    for m in matchers:
        pat = m["pattern"][0]
        hit = js_to_python(pat["regexp"]).search(line)
        if hit:
            def g(key):
                return hit.group(pat[key]) if key in pat else None
            return {"owner": m["owner"], "file": g("file"), "line": g("line"), "column": g("column"),
                    "severity": g("severity") or m.get("severity", "error"), "message": g("message"),
                    "code": g("code")}
    return None


def check_matcher(tap, tmp):
    conf = json.load(open(MATCHER))
    matchers = conf["problemMatcher"]
    tap.ok(len({m["owner"] for m in matchers}) == len(matchers), "matcher: owners are distinct")
    tap.ok(all(m.get("severity", "error") in ("error", "warning", "notice") for m in matchers),
           "matcher: default severities are ones GitHub knows")
    # one input of each severity: an error, a warning (an octal-looking
    # address), a note (a root with no PCI sysfs), in a file name with a colon
    octal = open(os.path.join(EXAMPLES, "vm.xml")).read().replace("bus='0x01'", "bus='010'", 1)
    odd = os.path.join(tmp, "odd:name 1.xml")
    with open(odd, "w") as f:
        f.write(octal)
    empty = os.path.join(tmp, "empty-root")
    os.makedirs(empty, exist_ok=True)
    files = [os.path.join(EXAMPLES, "vm-bad.xml"), odd]
    env = {"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": empty}
    rc, text, err = run(["validate", "--no-libvirt-schemas"] + files, env=env)
    rc2, js, err2 = run(["validate", "--no-libvirt-schemas", "--format", "json"] + files, env=env)
    want = []
    for f in json.loads(js)["files"]:
        for d in f["diagnostics"]:
            want.append({"file": f["file"], "line": str(d["line"]), "column": str(d["column"]),
                         "severity": {"note": "notice"}.get(d["severity"], d["severity"]),
                         "message": d["message"], "code": d["rule"]})
    got = []
    for line in text.splitlines():
        m = matcher_apply(matchers, line)
        if m:
            m.pop("owner")
            got.append(m)
    sevs = sorted({w["severity"] for w in want})
    tap.ok(sevs == ["error", "notice", "warning"], "matcher: the inputs give an error, a warning and a note", sevs)
    tap.ok(got == want and len(got) == len(text.splitlines()),
           "matcher: every text line gives the file, line, column, severity, message and rule of the JSON",
           f"text:\n{text}\ngot {got}\nwant {want}")
    m = matcher_apply(matchers, "hostdev-preflight: cannot read x.xml: No such file or directory")
    tap.ok(m is None, "matcher: the tool's other messages are not taken for findings", m)

    if not shutil.which("jq"):
        tap.ok(False, "codequality: jq is installed (tools/hp-dev installs it)")
        return
    p = subprocess.run(["jq", "-f", CODEQUALITY], input=js, capture_output=True, text=True)
    ok = p.returncode == 0
    report = json.loads(p.stdout) if ok else []
    tap.ok(ok and isinstance(report, list) and len(report) == len(want),
           "codequality: one Code Quality entry per finding", p.stdout + p.stderr)
    required = all(isinstance(e.get("description"), str) and isinstance(e.get("check_name"), str)
                   and isinstance(e.get("fingerprint"), str)
                   and e.get("severity") in ("info", "minor", "major", "critical", "blocker")
                   and isinstance(e["location"].get("path"), str)
                   and isinstance(e["location"]["lines"].get("begin"), int) for e in report)
    tap.ok(required, "codequality: description, check_name, fingerprint, severity, location.path, lines.begin",
           json.dumps(report, indent=1))
    tap.ok(len({e["fingerprint"] for e in report}) == len(report), "codequality: fingerprints are distinct")
    tap.ok([(e["location"]["path"], e["location"]["lines"]["begin"], e["check_name"]) for e in report]
           == [(w["file"], int(w["line"]), w["code"]) for w in want],
           "codequality: paths, lines and rules are the findings'")


# --- pre-commit ------------------------------------------------------------

def check_pre_commit(tap, tmp):
    if not shutil.which("pre-commit"):
        tap.ok(False, "pre-commit is installed (tools/hp-dev installs it)")
        return
    env = dict(os.environ)
    bindir = os.path.join(tmp, "pc-bin")
    os.makedirs(bindir)
    os.symlink(BIN, os.path.join(bindir, "hostdev-preflight"))
    env.update({"PATH": bindir + os.pathsep + env.get("PATH", ""), "HOME": tmp,
                "PRE_COMMIT_HOME": os.path.join(tmp, "pc-cache"), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost"})

    def git(repo, *args):
        return sh(["git", "-C", repo] + list(args), env=env)

    # the hook repository: this work tree's .pre-commit-hooks.yaml, committed
    hooks = os.path.join(tmp, "hook-repo")
    os.makedirs(hooks)
    shutil.copy(os.path.join(SRCDIR, ".pre-commit-hooks.yaml"), hooks)
    git(hooks, "init", "-q")
    git(hooks, "add", ".")
    rc, out = git(hooks, "commit", "-q", "-m", "hooks")
    rc, rev = git(hooks, "rev-parse", "HEAD")
    # the user's repository of domains
    repo = os.path.join(tmp, "domains-repo")
    os.makedirs(os.path.join(repo, "domains"))
    os.makedirs(os.path.join(repo, "notes"))
    git(repo, "init", "-q")
    with open(os.path.join(repo, ".pre-commit-config.yaml"), "w") as f:
        f.write(f"repos:\n  - repo: {hooks}\n    rev: {rev.strip()}\n    hooks:\n      - id: hostdev-preflight\n")
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "--no-verify", "-m", "config")
    rc, out = sh(["pre-commit", "install"], cwd=repo, env=env)
    tap.ok(rc == 0, "pre-commit install", out)

    shutil.copy(os.path.join(EXAMPLES, "vm.xml"), os.path.join(repo, "domains", "good.xml"))
    git(repo, "add", "domains/good.xml")
    rc, out = git(repo, "commit", "-m", "a good domain")
    tap.ok(rc == 0 and re.search(r"hostdev-preflight validate\.+Passed", out),
           "pre-commit: a good domain commits (the hook ran and passed)", out)

    shutil.copy(os.path.join(EXAMPLES, "vm-bad.xml"), os.path.join(repo, "notes", "draft.xml"))
    git(repo, "add", "notes/draft.xml")
    rc, out = git(repo, "commit", "-m", "a draft outside domains/")
    tap.ok(rc == 0 and "(no files to check)" in out, "pre-commit: a file outside 'files' is not checked", out)

    shutil.copy(os.path.join(EXAMPLES, "vm-bad.xml"), os.path.join(repo, "domains", "bad.xml"))
    git(repo, "add", "domains/bad.xml")
    rc, out = git(repo, "commit", "-m", "a bad domain")
    tap.ok(rc != 0 and "Failed" in out
           and "domains/bad.xml:18:7: error: " in out and "[unassigned-has-guest-address]" in out,
           "pre-commit: a bad domain is refused with our diagnostic", out)
    rc, log = git(repo, "log", "--format=%s")
    tap.ok("a bad domain" not in log, "pre-commit: the bad commit was not made", log)


# --- the Debian package ----------------------------------------------------

def tracked_tree(dest):
    """The work tree's files (tracked, and new ones not ignored) copied to DEST."""
    rc, out = sh(["git", "-C", SRCDIR, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    if rc != 0:
        return None
    n = 0
    for rel in sorted(set(x for x in out.split("\0") if x)):
        src = os.path.join(SRCDIR, rel)
        if not os.path.lexists(src):
            continue  # deleted in the work tree
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        n += 1
    return n


INSTALLED = [
    "/usr/bin/hostdev-preflight",
    "/usr/share/man/man1/hostdev-preflight.1.gz",
    "/usr/share/bash-completion/completions/hostdev-preflight",
    "/usr/share/hostdev-preflight/hostdev-preflight.rng",
    "/usr/share/hostdev-preflight/normalize.xsl",
    "/usr/share/hostdev-preflight/github-problem-matcher.json",
    "/usr/share/hostdev-preflight/gitlab-codequality.jq",
    "/usr/share/doc/hostdev-preflight/README.md",
    "/usr/share/doc/hostdev-preflight/ci.md",
    "/usr/share/doc/hostdev-preflight/env.md",
    "/usr/share/doc/hostdev-preflight/examples/vm.xml",
    "/usr/share/doc/hostdev-preflight/copyright",
    "/usr/share/doc/hostdev-preflight/changelog.gz",
    "/etc/libvirt/hooks/qemu.d/hostdev-preflight",
    "/etc/hostdev-preflight/hook.conf",
]
# the libvirt hook and its settings: the package's only files outside /usr,
# where libvirt and an operator look for them; conffiles, so an operator's
# change survives an upgrade
ETC = ["/etc/libvirt/hooks/qemu.d/hostdev-preflight", "/etc/hostdev-preflight/hook.conf"]


def check_package(tap, tmp):
    if not tap.ok(os.geteuid() == 0, "the package test runs as root (it installs the .deb with dpkg -i)",
                  "run the suite as root on a disposable machine, as CI does"):
        return
    for tool in ("dpkg-buildpackage", "lintian", "dh", "man"):
        if not tap.ok(shutil.which(tool), f"{tool} is installed (tools/hp-dev installs it)"):
            return
    top = os.path.join(tmp, "pkg")
    src = os.path.join(top, "hostdev-preflight")
    os.makedirs(src)
    n = tracked_tree(src)
    if not tap.ok(n, "a clean copy of the work tree's files (git ls-files)", SRCDIR):
        return
    # as in a clone: the shared data beside the source tree (the modalias
    # unit test reads ../shared/kernel/modules.alias.*)
    shared = os.environ.get("HP_SHARED", "")
    if os.path.isdir(shared):
        os.symlink(os.path.abspath(shared), os.path.join(top, "shared"))
    rc, out = sh(["dpkg-checkbuilddeps"], cwd=src)
    if not tap.ok(rc == 0, "the package's Build-Depends are installed", out):
        return
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("HP_", "MESON", "ASAN_", "UBSAN_", "LSAN_", "G_DEBUG", "HOSTDEV_")):
            del env[k]
    env["DEB_BUILD_OPTIONS"] = "parallel=2"
    # the source package (native: a tarball of the tree), for lintian's
    # source checks (debian/copyright, debian/rules...)
    rc, out = sh(["dpkg-source", "-b", "hostdev-preflight"], cwd=top, env=env)
    tap.ok(rc == 0, "dpkg-source -b (3.0 native)", out)
    t0 = time.monotonic()
    rc, out = sh(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, timeout=1200)
    took = time.monotonic() - t0
    print(f"# dpkg-buildpackage took {took:.0f} s")
    if not tap.ok(rc == 0, "dpkg-buildpackage -us -uc -b", "\n".join(out.splitlines()[-60:])):
        return
    tap.ok(re.search(r"^Ok:\s+[1-9]", out, re.M) and re.search(r"^Fail:\s+0", out, re.M),
           "the unit tests ran at package build time (meson test --suite unit)",
           "\n".join(l for l in out.splitlines() if re.match(r"^(Ok|Fail|Skipped):", l)) or out[-3000:])
    debs = sorted(f for f in os.listdir(top) if f.endswith(".deb"))
    changes = sorted(f for f in os.listdir(top) if f.endswith(".changes"))
    if not tap.ok(len(debs) >= 1 and len(changes) == 1, "one .changes and the .deb", os.listdir(top)):
        return
    deb = os.path.join(top, [d for d in debs if "-dbgsym" not in d][0])

    dscs = [os.path.join(top, f) for f in os.listdir(top) if f.endswith(".dsc")]
    rc, out = sh(["lintian", "--no-tag-display-limit", "--display-info", "--pedantic",
                  os.path.join(top, changes[0])] + dscs, env=env, timeout=600)
    tags = [line for line in out.splitlines() if re.match(r"^[EWIPX]: ", line)]
    for line in tags:
        print(f"# lintian: {line}")
    tap.ok(not [t for t in tags if t.startswith("E: ")], "lintian: no errors (the rest is listed above)",
           "\n".join(tags))

    # the package's build tree goes before anything runs from the package
    shutil.rmtree(src)
    # one install at a time on this machine (another worktree's suite may
    # run this test too): from dpkg -i to dpkg --purge, under a lock
    with open("/run/lock/hostdev-preflight-package.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rc, out = dpkg(["--purge", "hostdev-preflight"])
        rc, out = dpkg(["-i", deb])
        if not tap.ok(rc == 0, "dpkg -i " + os.path.basename(deb), out):
            return
        try:
            check_installed(tap, tmp, top)
        finally:
            rc, out = dpkg(["--purge", "hostdev-preflight"])
            tap.ok(rc == 0 and not any(os.path.exists(q) for p in INSTALLED for q in (p, p + ".gz")),
                   "dpkg --purge leaves none of its files", out)


def dpkg(args):
    """dpkg, waiting up to two minutes for a lock apt or dpkg holds."""
    for _ in range(60):
        rc, out = sh(["dpkg"] + args)
        if rc == 0 or "lock" not in out:
            break
        time.sleep(2)
    return rc, out


def check_installed(tap, tmp, top):
    rc, out = sh(["dpkg", "-L", "hostdev-preflight"])
    listed = set(out.split("\n"))
    # dh_compress gzips documents over 4 kB
    missing = [p for p in INSTALLED
               if not any(q in listed and os.path.isfile(q) for q in (p, p + ".gz"))]
    tap.ok(not missing, "the package installs the binary, man page, completion, data files and docs", missing)
    outside = [p for p in listed if p and p not in ("/.", "/usr") and not p.startswith("/usr/")
               and not any(e == p or e.startswith(p + "/") for e in ETC)]
    tap.ok(not outside, "everything under /usr but the hook and its settings in /etc", outside)
    rc, out = sh(["dpkg-query", "-W", "-f=${Conffiles}", "hostdev-preflight"])
    conffiles = [line.split()[0] for line in out.splitlines() if line.strip()]
    tap.ok(sorted(conffiles) == sorted(ETC), "the hook and its settings are conffiles", out)
    st = os.stat(ETC[0])
    tap.ok(st.st_mode & 0o777 == 0o755 and st.st_uid == 0, "the hook is executable, root's", oct(st.st_mode))

    # the man page: found by man, rendered by groff without a warning
    rc, out = sh(["man", "-w", "hostdev-preflight"])
    tap.ok(rc == 0 and out.strip() == "/usr/share/man/man1/hostdev-preflight.1.gz", "man -w hostdev-preflight", out)
    p = subprocess.run(["man", "-l", "/usr/share/man/man1/hostdev-preflight.1.gz"], capture_output=True,
                       text=True, env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", PAGER="cat"))
    page = re.sub(r".\x08", "", p.stdout)
    sections = ["NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "RULES", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"]
    tap.ok(p.returncode == 0 and all(re.search(rf"^{s}$", page, re.M) for s in sections) and not p.stderr,
           "man -l renders every section, with no troff warning", p.stderr + page[:2000])
    tap.ok("/usr/share/hostdev-preflight/normalize.xsl" in page and "@" not in re.sub(r"\S+@\S+", "", page),
           "man: FILES names the installed paths (every @value@ filled in)",
           [l for l in page.splitlines() if "@" in l])

    # bash-completion finds the completion on its own (on demand, by name)
    loader = "/usr/share/bash-completion/bash_completion"
    rc, out = sh(["bash", "--norc", "--noprofile", "-c",
                  f"source {loader}; __load_completion hostdev-preflight; complete -p hostdev-preflight"])
    tap.ok(rc == 0 and "-F _hostdev_preflight hostdev-preflight" in out,
           "bash-completion loads the installed completion on demand", out)
    got = complete(["hostdev-preflight", "plan", "--format", ""],
                   script="/usr/share/bash-completion/completions/hostdev-preflight")
    tap.ok(got == ["json", "sh", "text"], "the installed completion completes plan --format", got)

    # the installed binary, from a temporary directory, with nothing of the
    # build: the package's tree is deleted, the environment has no HP_*
    work = os.path.join(tmp, "run")
    os.makedirs(work)
    for f in ("vm.xml", "vm-bad.xml"):
        shutil.copy(os.path.join(EXAMPLES, f), work)
    rc, out = sh([sys.executable, MKHOST, BCM5719, os.path.join(work, "host")])
    tap.ok(rc == 0, "mkhost.py: the example host tree", out)
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    binary = "/usr/bin/hostdev-preflight"

    def installed(*args):
        p = subprocess.run([binary] + list(args), cwd=work, env=env, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    rc, out, err = installed("--version")
    tap.ok(rc == 0 and out.startswith("hostdev-preflight "), "installed: --version", out + err)
    rc, out, err = installed("validate", "--no-host", "vm.xml")
    tap.ok(rc == 0 and out == "", "installed: validate --no-host vm.xml (exit 0, silent)", out + err)
    rc, out, err = installed("validate", "--no-host", "vm-bad.xml")
    tap.ok(rc == 1 and out.startswith("vm-bad.xml:18:7: error: ") and "[unassigned-has-guest-address]" in out,
           "installed: validate --no-host vm-bad.xml (exit 1, the diagnostic)", out + err)
    rc, out, err = installed("validate", "--root", "host", "--kernel-release", KREL, "vm.xml")
    tap.ok(rc == 0 and out == "", "installed: validate --root on the example host (exit 0)", out + err)
    rc, out, err = installed("plan", "--format", "json", "--root", "host", "--kernel-release", KREL, "vm.xml")
    try:
        plan = json.loads(out)
        targets = sorted({d["target_driver"] for d in plan["devices"]})
    except (ValueError, KeyError):
        targets = None
    tap.ok(rc == 0 and targets == ["vfio-pci"] and len(plan["devices"]) == 4,
           "installed: plan --root: four functions to vfio-pci", out + err)
    rc, out, err = installed("normalize", "--libvirt-compat", "vm.xml")
    tap.ok(rc == 0 and "<address type='unassigned'/>" in out, "installed: normalize --libvirt-compat", out + err)
    # the installed hook as libvirt runs it (NAME OP SUBOP EXTRA, the XML on
    # stdin, libvirt's environment, cwd /), on the example host
    hook_env = dict(env, LC_ALL="C", HOSTDEV_PREFLIGHT_DEFAULT_ROOT=os.path.join(work, "host"))
    for f, want in (("vm.xml", 0), ("vm-incomplete.xml", 1)):
        shutil.copy(os.path.join(EXAMPLES, f), work)
        with open(os.path.join(work, f), "rb") as xml:
            p = subprocess.run([ETC[0], "seed", "prepare", "begin", "-"], stdin=xml, cwd="/", env=hook_env,
                               capture_output=True, text=True)
        tap.ok(p.returncode == want and p.stdout == "" and (want == 0 or "[multifunction-incomplete]" in p.stderr),
               f"installed: the libvirt hook at prepare begin on {f} (exit {want})", p.stdout + p.stderr)
    # no path of the package's build tree is left in the binary
    data = open(binary, "rb").read()
    tap.ok(top.encode() not in data and b"/pkg/hostdev-preflight" not in data,
           "installed: the binary names no path of its build tree")
    rc, out = sh(["ldd", binary])
    tap.ok(rc == 0 and "not found" not in out and tmp not in out, "installed: ldd finds only system libraries", out)
    # the installed grammar and stylesheet work on their own
    if shutil.which("xmllint"):
        rc, out = sh(["xmllint", "--noout", "--relaxng", "/usr/share/hostdev-preflight/hostdev-preflight.rng",
                      os.path.join(work, "vm.xml")])
        tap.ok(rc == 0, "installed: xmllint --relaxng with the installed grammar", out)
    if shutil.which("xsltproc"):
        rc, out = sh(["xsltproc", "--stringparam", "libvirt-compat", "yes",
                      "/usr/share/hostdev-preflight/normalize.xsl", os.path.join(work, "vm.xml")])
        tap.ok(rc == 0 and 'type="unassigned"' in out, "installed: xsltproc with the installed stylesheet", out)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="hp-package-") as tmp:
        rc, out = sh([sys.executable, MKHOST, BCM5719, os.path.join(tmp, "host")])
        tap.ok(rc == 0, "mkhost.py: the example host tree", out)
        cmds = check_completion(tap, tmp)
        check_man_source(tap, cmds)
        check_matcher(tap, tmp)
        check_pre_commit(tap, tmp)
        check_package(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
