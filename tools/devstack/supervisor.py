"""honcho's Manager, except that a process that dies is started again instead of stopping the
platform: after a pause that doubles with each quick death (1 s up to 30 s, back to 1 s once
it has run for a minute), and the output says so. Ctrl-C or SIGTERM still stops every process
(each in its own process group, so grandchildren such as Triton's python stubs go too)."""

import contextlib
import multiprocessing
import os
import queue
import signal
import time
from typing import Any

from honcho.manager import KILL_WAIT, SIGNALS, Manager


class RestartBackoff:
    """Pause before restarting a process that exited after running `ran` seconds."""

    def __init__(self, first: float = 1.0, ceiling: float = 30.0, healthy_after: float = 60.0):
        self._first, self._ceiling, self._healthy_after = first, ceiling, healthy_after
        self._quick_deaths: dict[str, int] = {}

    def delay(self, name: str, ran: float) -> float:
        quick = 0 if ran >= self._healthy_after else self._quick_deaths.get(name, 0)
        self._quick_deaths[name] = quick + 1
        return float(min(self._ceiling, self._first * 2**quick))


class Supervisor(Manager):
    def __init__(self, backoff: RestartBackoff | None = None) -> None:
        super().__init__()
        self._backoff = backoff or RestartBackoff()
        self._started_at: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self.restarts = 0

    def loop(self) -> None:
        def _terminate(signum: int, _frame: Any) -> None:
            self._system_print(f"{SIGNALS[signum]['name']} received\n")
            self.returncode = SIGNALS[signum]["rc"]
            self.terminate()

        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
        self._start()
        stopping_since: float | None = None
        while True:
            with contextlib.suppress(queue.Empty):
                self._handle(self.events.get(timeout=0.1))
            if not self._terminating:
                self._restart_due()
                continue
            self._restart_at.clear()
            stopping_since = stopping_since or time.monotonic()
            if self._all_stopped():
                self._flush()
                return
            if time.monotonic() - stopping_since > KILL_WAIT:
                self.kill()

    def _flush(self) -> None:
        """The last lines the processes wrote before they stopped."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._handle(self.events.get(timeout=0.1))

    def _handle(self, msg: Any) -> None:
        entry = self._processes[msg.name]
        if msg.type == "line":
            self._printer.write(msg)
        elif msg.type == "start":
            entry["pid"] = msg.data["pid"]
            self._started_at[msg.name] = time.monotonic()
            self._system_print(f"{msg.name} started (pid={msg.data['pid']})\n")
            if self._terminating:  # started again just as everything stops
                self._procmgr.terminate(entry["pid"])
        elif msg.type == "stop":
            entry["returncode"] = msg.data["returncode"]
            if self._terminating:
                self._system_print(f"{msg.name} stopped (rc={msg.data['returncode']})\n")
                return
            ran = time.monotonic() - self._started_at.get(msg.name, time.monotonic())
            delay = self._backoff.delay(msg.name, ran)
            self._restart_at[msg.name] = time.monotonic() + delay
            self._system_print(
                f"{msg.name} exited (rc={msg.data['returncode']}) after {ran:.0f} s;"
                f" restarting it in {delay:.0f} s\n"
            )

    def _restart_due(self) -> None:
        now = time.monotonic()
        for name in [n for n, at in self._restart_at.items() if at <= now]:
            del self._restart_at[name]
            entry = self._processes[name]
            with contextlib.suppress(ProcessLookupError, PermissionError, TypeError):
                os.killpg(entry["pid"], signal.SIGKILL)  # what the dead one left in its group
            entry.pop("returncode", None)
            entry["pid"] = None
            self.restarts += 1
            self._system_print(f"restarting {name}\n")
            entry["process"] = multiprocessing.Process(
                name=name, target=entry["obj"].run, args=(self.events, True)
            )
            entry["process"].start()

    def _killall(self, force: bool = False) -> None:
        for name, entry in self._processes.items():
            if "returncode" in entry or entry.get("pid") is None:
                continue  # stopped, or not started yet (it is stopped when it says it started)
            signame = "SIGKILL" if force else "SIGTERM"
            self._system_print(f"sending {signame} to {name} (pid {entry['pid']})\n")
            if force:
                self._procmgr.kill(entry["pid"])
            else:
                self._procmgr.terminate(entry["pid"])

    def _all_stopped(self) -> bool:
        return all("returncode" in p for p in self._processes.values())
