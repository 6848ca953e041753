"""Commands whose effects cannot be read off their text need a person: no policy (`auto`,
`allow`, `rigtui exec --approve auto`) may approve them, whatever wraps or hides them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rigtui.config import ApprovalSettings
from rigtui.sandbox.policy import approval_request, decide
from rigtui.sandbox.shell_sed_awk import awk_program_risk, sed_script_risk

AUTO = ApprovalSettings(commands="auto")
# Every program the attacks use is allowed by prefix: `allow` must still not run them.
ALLOW_ALL = ApprovalSettings(
    commands="allow",
    allow=["echo", "rm", "touch", "cd", "ln", "find", "env", "python3", "ls", "sh", "xargs"],
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project with a folder and a file, and a folder `x` beside it (`../x`)."""
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "proj" / "src" / "app.py").write_text("print(1)\n")
    (tmp_path / "x").mkdir()
    return tmp_path / "proj"


def needs_person(command, root: Path, cwd: Path | None = None) -> str:
    """The reason, after checking that both policies that run things unasked refuse."""
    for approval in (AUTO, ALLOW_ALL):
        decision = decide(command, cwd or root, root, approval)
        assert decision.action == "ask" and decision.needs_person, (command, decision)
    return decide(command, cwd or root, root, AUTO).reason


# The commands of issue 11 that ran under `--approve auto`, each with what the reason says.
LAUNDERED = [
    ("$(echo rm) -rf ../x", "command substitution `$(echo rm)`"),
    ("echo $(true); rm -rf ../x", "command substitution `$(true)`"),
    ("echo `true`; touch /abs", "command substitution ``true``"),
    ("cd && rm -rf *", "`cd` with no folder goes to the home folder"),
    ("ln -s .. up; touch up/x", "makes a link"),
    ("find . -exec sh -c 'cd ..; rm -rf x' \\;", "`sh -c` runs inline code"),
    ("env python3 -c \"import os; os.chdir('..')\"", "`python3 -c` runs inline code"),
]


@pytest.mark.parametrize(("command", "why"), LAUNDERED)
def test_the_laundered_commands_need_a_person(root: Path, command: str, why: str) -> None:
    assert why in needs_person(command, root)


@pytest.mark.parametrize(
    ("command", "why"),
    [
        # substitutions, wherever they are
        ('echo "a $(id) b"', "command substitution `$(id)`"),
        ("cat <(ls) >(wc)", "process substitution `<(ls)`"),
        ("x=$(id) ls", "command substitution"),
        ("cat <<EOF\n$(id)\nEOF\n", "command substitution"),
        ("cat <<EOF\n`id`\nEOF\n", "may start a substitution"),  # the grammar misses this one
        ("echo ${x:-$(id)}", "command substitution"),
        ("for f in $(ls); do :; done", "command substitution"),
        # what runs is decided by a value
        ("$X -rf src", "`$X` decides which program runs"),
        ("rm -rf $HOME", "`$HOME` decides an argument of `rm`"),
        ('cp "$1" src/', "`$1` decides an argument of `cp`"),
        ("echo hi > $OUT", "`$OUT` decides the file a redirection opens"),
        ("read f; rm -rf $f", "`$f` decides an argument of `rm`"),
        ("x=; : ${x:=../y}; rm -rf $x", "`$x` decides an argument of `rm`"),
        ("echo $((n))", "`n` in arithmetic"),
        ("eval ls", "eval runs text as shell code"),
        ("source env.sh", "`source` runs a file's code in this shell"),
        (". ./env.sh", "`.` runs a file's code in this shell"),
        ("alias ls='rm -rf ..'", "alias makes a word run other code"),
        ("trap 'rm -rf ..' EXIT", "runs that text as shell code later"),
        ("IFS=/; ls", "setting `IFS`"),
        ("EDITOR='sh -c x' git commit", "setting `EDITOR`"),
        ("PATH=$X:$PATH ls", "decides where `PATH` finds programs"),
        # inline code, plain and behind wrappers
        ("python3.11 -c 'import os'", "`python3.11 -c` runs inline code"),
        ("python -Bc 'import os'", "`python -Bc` runs inline code"),
        ("bash -lc ls", "`bash -lc` runs inline code"),
        ("sh -o errexit -c ls", "`sh -c` runs inline code"),
        ("node -e 'process.exit()'", "`node -e` runs inline code"),
        ("node --import data:text/javascript,x app.js", "runs inline code"),
        ("perl -pi -e 's/a/b/' f", "`perl -e` runs inline code"),
        ("perl -pie 's/a/b/' f", "`perl -pie` runs inline code"),
        ("ruby -e 'x'", "`ruby -e` runs inline code"),
        ("php -r 'x();'", "`php -r` runs inline code"),
        ("python -m timeit 'x'", "runs code given in its arguments"),
        ("echo 'rm -rf ..' | sh", "`sh` with no script reads its program from its input"),
        ("python3 - <<'EOF'\nimport os\nEOF\n", "reads its program from its input"),
        ("echo x | python3 /dev/stdin", "reads its program from its input"),
        ("env -i A=1 python3 -c x", "`python3 -c`"),
        ("env -S 'sh -c x'", "a command line as a string"),
        ("nice -n 5 bash -c x", "`bash -c`"),
        ("ionice -c3 nohup sh -c x", "`sh -c`"),
        ("timeout -s KILL 5 sh -c x", "`sh -c`"),
        ("stdbuf -oL python -c x", "`python -c`"),
        ("time sh -c x", "`sh -c`"),
        ("command sh -c x", "`sh -c`"),
        ("builtin eval x", "eval runs text"),
        ("exec -a name sh -c x", "`sh -c`"),
        ("setsid -f sh -c x", "`sh -c`"),
        ("flock /tmp/l -c ls", "not a program name"),
        ("taskset 1 sh -c x", "`sh -c`"),
        ("busybox sh -c x", "`sh -c`"),
        ("uv run python -c x", "`python -c`"),
        ("docker run img sh -c x", "`docker` is given `sh -c`"),
        ("find . -execdir sh -c x \\;", "`sh -c`"),
        ("find . -ok bash -c x \\;", "`bash -c`"),
        ("find -L . -delete", "find follows links"),
        ("ls | xargs rm", "xargs runs a command with arguments read from its input"),
        ("parallel rm ::: a b", "parallel"),
        ("watch ls", "watch runs its arguments as a shell command line"),
        ("jobs -x sh -c x", "`jobs -x` runs a command line"),
        ("mapfile -C 'rm -rf ..' -c 1 < notes.txt", "`mapfile -C` runs a command line"),
        ("rsync -avze 'sh -c x' src/ backup/", "`rsync -avze` runs a command line"),
        ("sudo ls", "runs a command as another user"),
        ("doas ls", "runs a command as another user"),
        ("chroot / ls", "another root"),
        ("unshare -r ls", "another root"),
        ("ssh host ls", "another machine"),
        ("echo ls | at now", "schedules commands"),
        ("make --eval='x:;ls'", "`make --eval=x:;ls` runs a command line"),
        ("make CC='sh -c x'", "sets a variable the Makefile may run"),
        ("make -f - all", "reads its Makefile from its input"),
        ("tar -I 'sh -c x' -xf a.tar", "`tar -I` runs a command line"),
        ("git -c core.pager='sh -c x' log", "`git -c core.pager='sh -c x'` can set a command"),
        ("git config core.fsmonitor x", "`git config` that sets a value"),
        ("git st", "may be an alias"),
        ("git submodule foreach ls", "runs a command line"),
        ("git rebase -x ls main", "runs a command line"),
        ("git fetch --upload-pack='sh -c x' origin", "an option that runs a program"),
        # awk and sed programs that run commands or touch files
        ("awk '{system(\"ls\")}' f", "calls system()"),
        ("awk 'BEGIN{\"ls\" | getline x}'", "uses getline"),
        ("awk '{print | \"sh\"}' f", "pipes to or from a command"),
        ("awk '{print > \"out\"}' f", "may write to a file"),
        ("sed 's/a/b/e' f", "the `e` or `w` flag of `s`"),
        ("sed -n '1w out' f", "uses `w`"),
        ("sed s/a/b/ f -e 'e ls'", "uses `e`"),  # GNU sed reads options after operands
        ("sed -f - f", "reads its script from its input"),
        # cd: no folder, home, back, unknown, out of the project
        ("cd ~/x", "goes to a home folder"),
        ("cd -", "$OLDPWD"),
        ("cd $D", "the folder is not known"),
        ("cd ..", "`cd ..` leaves the project"),
        ("cd src/../..", "leaves the project"),
        ("pushd ..", "`pushd ..` leaves the project"),
        ("cd src && cd ../.. && ls", "leaves the project"),
        ("f() { cd src; }; f; rm -rf ../x", "a function that runs `cd`"),
        ("for d in a b; do cd $d; done", "a `cd` inside a loop"),
        ("CDPATH=/ cd etc", "setting `CDPATH`"),
        # links
        ("ln -s /etc cfg", "makes a link"),
        ("ln -sf src/app.py a", "makes a link"),
        ("link src/app.py a", "makes a link"),
        ("cp -s src/app.py a", "makes a link"),
        ("cp --symbolic-link src/app.py a", "makes a link"),
        ("cp -rl src b", "makes a link"),
        # hidden paths outside
        ("cat {..,src}/x", "outside the project: ../x"),
        ("cat $'\\x2e\\x2e'/x", "outside the project: ../x"),
        ('cat .""./x', "outside the project: ../x"),
        ("rm -rf .*", "outside the project: .*"),
        ("d=..; rm -rf $d/x", "../x"),
        ("for d in src ..; do ls $d; done", "outside the project: .."),
        ("cd src; cat ../../x", "outside the project: ../../x"),  # if the cd fails
        ("cmd >out ../x", "outside the project: ../x"),
        ("git -C .. status", "outside the project: .."),
        ("echo `unparsed", "does not parse"),
    ],
)
def test_commands_whose_effects_cannot_be_read_need_a_person(
    root: Path, command: str, why: str
) -> None:
    assert why in needs_person(command, root)


@pytest.mark.parametrize(
    "command",
    [
        "ls src | grep x",
        "cd src && pytest",
        "cd src && ls ..",  # `..` from src is the project
        "mkdir -p build && cd build && cmake ..",
        "python -m pytest -k 'not slow' -x",
        "git status",
        "git log --oneline -5 && git diff HEAD~1 -- src",
        "git -c user.name=x commit -m msg",
        "make",
        "pytest -q tests 2>&1 | tail -n 20",
        "echo '$(x)' \"it's\" > notes.txt",  # single quotes: not a substitution
        "cat <<'EOF' > src/new.py\nprint($(not run))\nEOF\n",  # a quoted heredoc is text
        "echo done # $(a comment)",
        'for f in src/*.py; do python -m py_compile "$f"; done',
        "d=src; ls $d/app.py",
        "i=0; while [ $i -lt 3 ]; do i=$((i+1)); done",
        'while IFS= read -r line; do echo "$line"; done < notes.txt',
        "python < script.py",
        "sed -i 's/foo/bar/g;s/new/old/' src/app.py",
        "awk -F: '$3 > 10 {print $1}' notes.txt",
        "find . -name '*.pyc' -delete",
        "find . -name '*.py' -exec ruff check {} +",
        "timeout 60 pytest -x",
        "env PYTHONPATH=src pytest",
        "uv run pytest",
        "nice -n 10 make -j4",
        "pushd src && make && popd",
        "mkdir -p src/{a,b} && touch src/{a,b}/__init__.py",
        "echo $? $PWD && ls $PWD/src",
        "[[ -f src/app.py ]] && echo yes || echo no",
        "case $1 in a) ls ;; *) pwd ;; esac",
        "command -v python3 && which python3",
        "curl -o out.html https://example.invalid/a",
        "ls > /dev/null 2>&1",
        "python3 --version && node --version && julia --version",
        "sh -s < setup.sh",  # a program read from a file of the project
    ],
)
def test_ordinary_commands_still_run_without_a_person_under_auto(root: Path, command: str) -> None:
    decision = decide(command, root, root, AUTO)
    assert decision.action == "run" and not decision.needs_person, decision.reason


def test_a_folder_changed_with_and_then_is_where_later_paths_are_read_from(root: Path) -> None:
    # after `cd src &&` the shell is in src: `../x` is the project's x...
    assert decide("cd src && cat ../x", root, root, AUTO).action == "run"
    # ...but after `cd src;` the cd may have failed, so `../x` may be beside the project
    assert decide("cd src; cat ../x", root, root, AUTO).outside_paths == ("../x",)
    # and a folder that does not exist yet is still followed
    assert decide("mkdir -p a/b && cd a/b && cat ../../x", root, root, AUTO).action == "run"
    assert decide("cd a/b && cat ../../../x", root, root, AUTO).needs_person


def test_a_glob_that_matches_a_link_out_of_the_project_counts_as_outside(
    root: Path, tmp_path: Path
) -> None:
    (root / "src" / "out").symlink_to(tmp_path / "x")
    assert decide("cp src/app.py src/*/", root, root, AUTO).outside_paths == ("src/*/",)
    assert decide("cd src/out", root, root, AUTO).needs_person


def test_allow_needs_every_command_a_wrapper_runs_to_be_allowed(root: Path) -> None:
    allow = ApprovalSettings(commands="allow", allow=["timeout", "find", "pytest"])
    assert decide("timeout 60 pytest", root, root, allow).action == "run"
    assert decide("timeout 60 rm -rf src", root, root, allow).action == "ask"
    assert decide("find . -name '*.pyc' -exec rm {} +", root, root, allow).action == "ask"
    assert decide("cd src && pytest", root, root, allow).action == "run"  # cd needs no prefix


def test_a_list_of_words_is_read_without_a_shell(root: Path) -> None:
    assert decide(["echo", "$(rm -rf ..)"], root, root, AUTO).action == "run"  # literal text
    assert decide(["sh", "-c", "ls"], root, root, AUTO).needs_person


def test_the_request_shows_that_only_a_person_can_approve(root: Path) -> None:
    decision = decide("echo $(id)", root, root, AUTO)
    request = approval_request("echo $(id)", root, "local", decision)
    assert request.needs_person and request.to_dict()["needs_person"] is True
    assert "only a person can approve" in request.prompt()
    assert "command substitution `$(id)`" in request.prompt()


@pytest.mark.parametrize(
    ("script", "risky"),
    [
        ("s/a/b/g", False),
        ("s|/usr|/opt|g;/^#/d", False),
        ("1,/end/{s/x/y/;p}", False),
        ("$a\\\ntext w not a command", False),
        ("y/abc/xyz/", False),
        ("s/new/old/w out", True),
        ("s/a/b/e", True),
        ("/x/ e ls", True),
        ("2r /etc/passwd", True),
        ("W out", True),
        ("s/unfinished", True),
        ("k", True),
    ],
)
def test_sed_scripts_that_touch_files_or_run_commands_are_risky(script: str, risky: bool):
    assert bool(sed_script_risk(script)) is risky, sed_script_risk(script)


@pytest.mark.parametrize(
    ("program", "risky"),
    [
        ("{print $1}", False),
        ('$3 > 10 || $1 == "x" {n++} END {print n}', False),
        ('{system("ls")}', True),
        ('{print $1 > "out"}', True),
        ('{print | "sort"}', True),
        ('{"date" | getline d}', True),
        ('@load "x"', True),
    ],
)
def test_awk_programs_that_run_commands_or_write_files_are_risky(program: str, risky: bool):
    assert bool(awk_program_risk(program)) is risky


WORDS = st.sampled_from(
    ["cd", "..", "~", "$X", "${X:-y}", "$(", ")", "`", "'", '"', "{", "}", "(", "((", "))",
     "[[", "]]", "find", "-exec", "\\;", "{}", "sh", "-c", "env", "A=1", "python3", "awk",
     "sed", "s/a/b/", "git", "for", "in", "do", "done", "if", "then", "fi", "case", "esac",
     "<<", "EOF", "<<<", "<", ">", "2>&1", "$((", "*", ".*", "{a,b}", "$'\\x2e'", "ln", "-s",
     "xargs", "timeout", "let", "read", "declare", "-i", "f()", "pushd", "popd", "#", "\\",
     "$", "$@", "eval", "source", ".", "trap", "alias", "x", "=", "%", "\t"]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", ";", "|", "||", "&&", "&", "\n", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(WORDS | st.text(max_size=6), SEPARATORS), max_size=16))
def test_any_words_joined_with_separators_get_a_decision(tmp_path_factory, parts) -> None:
    root = tmp_path_factory.getbasetemp()
    command = "".join(word + separator for word, separator in parts)
    decision = decide(command, root, root, AUTO)
    assert decision.action in ("run", "ask")
    assert decision.action == "ask" or not decision.needs_person


def test_characters_that_crash_the_bash_grammar_get_a_decision(tmp_path) -> None:
    """tree-sitter-bash's scanner dies (SIGSEGV) on some non-ASCII characters, e.g. U+D5201
    after `{`: the grammar is given ASCII stand-ins (the tree's shape is the same) and the
    names are read from the real bytes. Run in a child: a crash must not take pytest down."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom pathlib import Path\nfrom rigtui.config import ApprovalSettings\n"
        "from rigtui.sandbox.policy import decide\n"
        "root = Path(sys.argv[1])\n"
        "for c in ['{\\U000d5201\\u012f', 'source ~ ||pushd }$X ) {\\U000d5201\\u012f',"
        " 'cat ../caf\\u00e9']:\n"
        "    d = decide(c, root, root, ApprovalSettings(commands='auto'))\n"
        "    print(d.action, d.needs_person)\n"
        "print(decide('cat caf\\u00e9/x', root, root, ApprovalSettings(commands='auto')).action)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:4] == ["ask True", "ask True", "ask True", "run"]
