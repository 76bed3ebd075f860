"""CPU time of server processes from /proc (Linux), for the tracking benchmarks."""

from __future__ import annotations

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, own ticks, reaped children's ticks) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    utime, stime, cutime, cstime = map(int, fields[11:15])
    return int(fields[1]), utime + stime, cutime + cstime


def session_cpu_seconds(session_id: int) -> float:
    """CPU seconds (user + system, including reaped children) of every process in a session.

    The servers are started with start_new_session=True, so the session holds the server and every
    worker it forks (uvicorn/gunicorn workers), even ones re-parented away from the server.
    """
    total_ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # Fields after the command name, which may itself contain spaces or parentheses.
        fields = stat[stat.rindex(b")") + 2:].split()
        session, utime, stime, cutime, cstime = int(fields[3]), *map(int, fields[11:15])
        if session == session_id:
            total_ticks += utime + stime + cutime + cstime
    return total_ticks / CLOCK_TICKS
