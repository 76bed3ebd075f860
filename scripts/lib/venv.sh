# Sourced by the scripts/*-env.sh scripts: one way to make a pinned Python venv, idempotently.
#
#   yard_pinned_venv LABEL VENV REQUIREMENTS EXTRA_STAMP CHECK_PYTHON [AFTER_CREATE]
#
# The venv holds exactly REQUIREMENTS, installed with `pip install --no-deps` (every transitive pin is in the
# file, so nothing unpinned slips in). A stamp inside the venv records the sha256 of the requirements, the
# interpreter version and EXTRA_STAMP (e.g. the stamp of a venv this one layers on); when it matches, the
# function prints the venv path at once. Otherwise the venv is rebuilt from scratch under a lock (a suite
# and a benchmark may start together: one builds, the other waits), AFTER_CREATE (a function name, optional)
# runs on the empty venv, the packages are installed, CHECK_PYTHON (a Python program) must run cleanly, and
# only then is the stamp written. Uses $PYTHON (default python3). Progress goes to stderr as "[LABEL] …";
# the venv path is the only line on stdout.
yard_pinned_venv() {
    local label="$1" venv="$2" req="$3" extra="$4" check="$5" after_create="${6:-}"
    local python="${PYTHON:-python3}"

    [[ -f "$req" ]] || { printf '[%s] missing %s\n' "$label" "$req" >&2; return 1; }
    command -v "$python" >/dev/null 2>&1 || { printf "[%s] interpreter '%s' not found\n" "$label" "$python" >&2; return 1; }

    local py_version want stamp
    py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; [[ -z "$extra" ]] || printf '%s\n' "$extra"; } | sha256sum | cut -d' ' -f1)"
    stamp="$venv/.yard-env-stamp"

    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "$venv"
        return 0
    fi

    local lock="${TMPDIR:-/tmp}/yard-$label.$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
    (
        flock 9
        if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
            exit 0   # another caller finished it while we waited
        fi
        local start=$SECONDS
        printf '[%s] creating %s with %s (%s)\n' "$label" "$venv" "$python" "$py_version" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv"
        # Keep the venv out of git without touching the repository's .gitignore.
        printf '*\n' >"$venv/.gitignore"
        if [[ -n "$after_create" ]]; then "$after_create" "$venv"; fi
        printf '[%s] installing pinned packages from %s\n' "$label" "$req" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-input -r "$req" >&2
        # Fail early (and leave no stamp) if the environment is not usable.
        PYTHONWARNINGS=ignore "$venv/bin/python" -c "$check" >&2
        echo "$want" >"$stamp"
        printf '[%s] ready in %ss\n' "$label" "$((SECONDS - start))" >&2
    ) 9>"$lock" || return 1
    echo "$venv"
}
