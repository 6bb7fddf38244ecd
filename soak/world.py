"""Simulated days of the loop: post at 06:00, collect on the hours something is due.

The emulator's clock is virtual: the loop moves it (``Emulator.advance_clock``) to
each moment it plays, and every child process's wall clock starts at that moment
(plus the day's machine-clock step). Faults come from one seeded random stream:
a seed draws the same faults in the same order, though a poster's kill point is
polled, so two plays of a seed may part after one (its tasks, hence its runs).
"""

from __future__ import annotations

import json
import random
import time
import typing as t
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fake_dataforseo import Emulator, Fault
from soak import runs

LOGIN = "soak@example.com"
PASSWORD = "s0ak-Pa55word"
#: The first simulated day (a Monday), midnight UTC.
FIRST_DAY = datetime(2027, 3, 1, tzinfo=UTC)
POST_HOUR = 6
#: The hour of the day's last run, whether or not something is due.
LAST_HOUR = 23
#: Most collection runs a day (cost bound; the last hour always runs).
MAX_RUNS_A_DAY = 8
#: The prompt set: 3 prompts x 2 models x 2 repeats = 12 tasks a day; the budget
#: takes 10 of them at their worst-case prices (flash $0.0404, pro $0.0560).
PROMPTS = ("best-crm", "crm-gmail", "cheap-crm")
MODELS = ("gemini-2.5-flash", "gemini-2.5-pro")
REPEATS = 2
BUDGET_USD = 0.48


def poison(kind: str, task_id: str) -> dict[str, t.Any]:
    """A task_get answer that is not DataForSEO's, of one kind.

    ``poison answer``: a well-formed envelope around a task of the wrong shape
    (the tap keeps a failure record); ``garbled envelope``: the envelope itself
    lacks its ``status_message``, for this task id every time it is asked.
    """
    task = {"id": task_id, "status_code": 20000, "status_message": "Ok."}
    if kind == "garbled envelope":
        return {"status_code": 20000, "tasks": [{**task, "result": None}]}
    hostile = [{**task, "result": [{"items": 7}]}, {**task, "result": "none"}, None]
    return {
        "version": "0.1.20250526",
        "status_code": 20000,
        "status_message": "Ok.",
        "time": "0.01 sec.",
        "cost": 0,
        "tasks_count": 1,
        "tasks_error": 0,
        "tasks": [hostile[int(task_id[:8], 16) % len(hostile)]],
    }


#: Another extractor's state (chat_gpt's), given to a run by mistake.
FOREIGN_STATE = {"bookmarks": {"llm_responses": {"llm": "chat_gpt"}}}
#: Faults answered to one request of a run, and the path they hit.
HTTP_FAULTS = (
    (Fault.HTTP_500, 2),
    (Fault.INTERNAL_50000, 1),
    (Fault.DROP_CONNECTION, 1),
    (Fault.LOST_ANSWER, 1),
    (Fault.SLOW, 1),
    (Fault.NOT_JSON, 1),
)
PATHS = ("tasks_ready", "task_get", "id_list")
#: The share of tasks another client (a team's own script) collects as soon as
#: they finish: the tap finds those through id_list alone.
TAKEN_AS_DONE = 0.3
#: What a pending task adds to the state: its id in ``pending`` and its
#: ``date_posted`` entry (``"<36>", `` and ``"<36>": "<25>", ``: 111 bytes).
PENDING_BYTES = 112


def task_seconds(seed: int) -> t.Callable[[int], float]:
    """How long each posted task runs: minutes mostly, hours often, days sometimes."""

    def seconds(seq: int) -> float:
        rng = random.Random(f"{seed}/duration/{seq}")
        draw = rng.random()
        if draw < 0.6:
            return rng.uniform(60, 1800)
        if draw < 0.9:
            return rng.uniform(3600, 12 * 3600)
        return rng.uniform(24 * 3600, 71.5 * 3600)

    return seconds


@dataclass
class Day:
    """What one simulated day did, for its line."""

    number: int
    date: str
    ran: bool = True
    posted: int = 0
    runs: int = 0
    failed_runs: int = 0
    delivered: int = 0
    faults: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line: the day, what ran, what was injected."""
        if not self.ran:
            return f"day {self.number:2d} {self.date}  no run  {', '.join(self.faults)}"
        faults = ", ".join(self.faults) or "-"
        return (
            f"day {self.number:2d} {self.date}  posted {self.posted:2d}  runs "
            f"{self.runs:2d} ({self.failed_runs} failed)  responses "
            f"+{self.delivered:3d}  faults: {faults}"
        )


class World:
    """The emulator, the files of one team's set-up, and the fault stream."""

    def __init__(
        self,
        seed: int,
        folder: Path,
        fault_rate: float = 1.0,
        left_out: frozenset[str] = frozenset(),
    ) -> None:
        """Set up the emulator at the first day and the team's files in ``folder``.

        ``fault_rate`` multiplies every fault's chance (a short soak wants more);
        the poison kinds in ``left_out`` are drawn but not injected, so the rest
        of the stream stays the same.
        """
        self.seed = seed
        self.fault_rate = fault_rate
        self.left_out = left_out
        self.rng = random.Random(seed)
        self.folder = folder
        self.warehouse = folder / "warehouse"
        self.logs = folder / "logs"
        for path in (self.warehouse, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        self.emulator = Emulator(
            seed=seed,
            login=LOGIN,
            password=PASSWORD,
            rate_limit_per_minute=100_000,
            tasks_ready_limit_per_minute=100_000,
            id_list_limit_per_minute=100_000,
            rate_window_seconds=runs.WINDOW,
        )
        self.emulator.slow_seconds = 1.0
        self.emulator.post_delays = task_seconds(seed)
        self.config = folder / "config.json"
        self.prompts = folder / "prompts.yml"
        self.journal = folder / ".dataforseo-prompts" / "soak.jsonl"
        self.state: dict[str, t.Any] | None = None
        self.states: list[dict[str, t.Any]] = []
        #: The largest state a completed run ended with: (bytes, tasks pending).
        self.largest_state = (0, 0)
        #: That state's size less its pending tasks' share, the most seen.
        self.largest_unpending = 0
        self.largest_checkpoint = 0
        self.skew = timedelta(0)
        self.faults: Counter[str] = Counter()
        self.runs = 0
        self.posts = 0
        self.last_run: datetime | None = None
        self.off_days = 0
        self.budget = BUDGET_USD
        self.stalls = 0
        self.seen: set[Path] = set()
        #: Committed watermarks past a running task, and those tasks.
        self.watermarks_past_running: list[tuple[str, list[str]]] = []

    # ------------------------------------------------------------------ set-up
    def __enter__(self) -> World:
        """Start the emulator, move its clock to the first day, write the files."""
        self.emulator.start()
        self.at(FIRST_DAY)
        self.config.write_text(
            json.dumps(
                {
                    "login": LOGIN,
                    "password": PASSWORD,
                    "api_url": self.emulator.url,
                    "max_tries": 4,
                    "max_retry_seconds": 2,
                    "request_timeout": 5,
                    "progress_interval_seconds": 600,
                }
            )
        )
        prompts = "\n".join(
            f"  - {{text: What is the {key}?, tag: {key}}}" for key in PROMPTS
        )
        self.prompts.write_text(
            f"name: soak\nbudget_usd: {BUDGET_USD}\nprompts:\n{prompts}\n"
            f"llms:\n  gemini: [{', '.join(MODELS)}]\nweb_search: true\n"
            f"period: day\nrepeats: {REPEATS}\n"
            "journal: .dataforseo-prompts/soak.jsonl\n"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the emulator."""
        self.emulator.stop()

    # ------------------------------------------------------------------- clock
    def at(self, when: datetime) -> None:
        """Move the API's clock to ``when`` (never back); the other client collects."""
        delta = when - self.emulator.now()
        if delta > timedelta(0):
            self.emulator.advance_clock(delta)
        taken = [
            task_id
            for task_id in self.emulator.ready_ids()
            if random.Random(f"{self.seed}/taken/{task_id}").random() < TAKEN_AS_DONE
        ]
        if taken:
            self.emulator.collect_by_other_client(taken)
            self.faults["tasks taken as they finish"] += len(taken)

    def machine_time(self) -> float:
        """The machine's clock for a process started now: the API's plus the skew."""
        return (self.emulator.now() + self.skew).timestamp()

    def chance(self, p: float) -> bool:
        """One draw of the fault stream."""
        return self.rng.random() < p * self.fault_rate

    def count(self, day: Day, kind: str, label: str = "", times: int = 1) -> None:
        """Count an injected fault and name it (or ``label``) on the day's line."""
        self.faults[kind] += times
        day.faults.append(label or kind)

    # -------------------------------------------------------------------- days
    def play(self, number: int) -> Day:
        """Play one day: the post at 06:00, then the collection runs."""
        start = FIRST_DAY + timedelta(days=number)
        day = Day(number, start.date().isoformat())
        if self.off_days:
            self.off_days -= 1
            self.faults["days without runs"] += 1
            day.ran = False
            self.at(start + timedelta(days=1))
            return day
        if number and self.chance(0.05):
            self.off_days = self.rng.randint(1, 5)
            off = self.off_days + 1
            self.count(day, "days without runs", f"machine off {off}d")
            day.ran = False
            self.at(start + timedelta(days=1))
            return day
        self._day_faults(day)
        self.at(start + timedelta(hours=POST_HOUR))
        self._post(day)
        for hour in self._hours(start):
            self.at(start + timedelta(hours=hour, minutes=self.rng.randint(0, 5)))
            self._collect(day, hour)
        self.emulator.id_list_enabled = True
        self.at(start + timedelta(days=1))
        return day

    def _day_faults(self, day: Day) -> None:
        """The day's lasting faults: a clock step, an id_list outage."""
        if self.skew and self.chance(0.5):
            self.skew = timedelta(0)
            self.count(day, "clock back in step")
        elif self.chance(0.15):
            minutes = self.rng.choice((-10, 10))
            self.skew = timedelta(minutes=minutes)
            self.count(day, "clock step", f"clock step {minutes:+d}m")
        if self.chance(0.1):
            self.emulator.id_list_enabled = False
            self.count(day, "id_list outage")

    def _hours(self, start: datetime) -> list[int]:
        """The hours after the post when a task was done since the run before."""
        due = self.emulator.due_times()
        hours: list[int] = []
        previous = start + timedelta(hours=POST_HOUR)
        for hour in range(POST_HOUR + 1, LAST_HOUR):
            moment = start + timedelta(hours=hour)
            if any(previous < when <= moment for when in due):
                hours.append(hour)
                previous = moment
        return [*hours[: MAX_RUNS_A_DAY - 1], LAST_HOUR]

    # ----------------------------------------------------------------- posting
    def _post(self, day: Day) -> None:
        """``dataforseo-prompts post``, killed or lost-answered now and then."""
        before = len(self.emulator.task_ids())
        kill = None
        if self.chance(0.15):
            kill = self.rng.randint(1, 14)
            self.count(day, "kill poster")
        if self.chance(0.1):
            self.emulator.inject(Fault.LOST_ANSWER, path_contains="task_post")
            self.count(day, "lost task_post answer")
        for attempt in range(2):
            with (self.logs / f"post-{day.number:02d}-{attempt}.log").open("w") as log:
                outcome = runs.post(
                    self.config,
                    self.prompts,
                    self.journal,
                    log,
                    machine_time=self.machine_time(),
                    kill_at_line=kill,
                )
            self.posts += 1
            self.stalls += outcome.stalled
            self.emulator.clear_faults()
            if outcome.returncode == 0:
                break
            # The scheduler retries a failed post half an hour later.
            self.at(self.emulator.now() + timedelta(minutes=30))
            kill = None
        day.posted = len(self.emulator.task_ids()) - before

    # -------------------------------------------------------------- collection
    def _collect(self, day: Day, hour: int) -> None:
        """One collection run with the run's faults."""
        kill, fails_after, state = self._run_faults(day)
        folder = self.folder / "run"
        folder.mkdir(exist_ok=True)
        name = f"tap-{day.number:02d}-{hour:02d}.log"
        with (self.logs / name).open("w") as log:
            outcome, committed = runs.collect(
                self.config,
                state,
                self.warehouse,
                folder,
                log,
                machine_time=self.machine_time(),
                kill=kill,
                target_fails_after=fails_after,
            )
        self.emulator.clear_faults()
        self.runs += 1
        day.runs += 1
        if outcome.returncode != 0:
            day.failed_runs += 1
        self.stalls += outcome.stalled
        # A run given another extractor's state commits to that state, not ours.
        if state is not FOREIGN_STATE:
            self.committed(committed, completed=outcome.returncode == 0)
        day.delivered += self._new_responses()
        self.last_run = self.emulator.now()

    def _run_faults(
        self, day: Day
    ) -> tuple[runs.Kill | None, int | None, dict[str, t.Any] | None]:
        """Inject a run's faults; the kill, the target's failure, the state to give."""
        kill = None
        fails_after = None
        state = self.state
        if self.chance(0.08):
            kill = runs.Kill("tap", self.rng.randint(1, 40))
            self.count(day, "kill tap")
        elif self.chance(0.05):
            kill = runs.Kill("target", self.rng.randint(1, 40))
            self.count(day, "kill target")
        elif self.chance(0.05):
            fails_after = self.rng.randint(1, 10)
            self.count(day, "target fails")
        if self.chance(0.15):
            fault, times = self.rng.choice(HTTP_FAULTS)
            self.emulator.inject(fault, times, path_contains=self.rng.choice(PATHS))
            self.count(day, fault.value)
        if self.chance(0.05):
            self.emulator.inject(Fault.RATE_LIMIT_40202, self.rng.randint(3, 10))
            self.count(day, "40202 burst")
        if self.chance(0.08):
            taken = self.emulator.ready_ids()
            if taken:
                self.emulator.collect_by_other_client(taken)
                self.count(day, "other client", f"other client took {len(taken)}")
        if self.chance(0.05):
            self._poison(day, "poison answer")
        if self.chance(0.02):
            self._poison(day, "garbled envelope")
        if self.chance(0.03) and len(self.states) > 3:
            state = self.rng.choice(self.states[:-2])
            self.count(day, "stale state")
        elif self.chance(0.02):
            state = FOREIGN_STATE
            self.count(day, "foreign state")
        return kill, fails_after, state

    def _new_responses(self) -> int:
        """``llm_responses`` rows in the batches committed since the last call."""
        new = set(self.warehouse.glob("batch-*.jsonl")) - self.seen
        self.seen |= new
        return sum(path.read_text().count('"stream": "llm_responses"') for path in new)

    def _poison(self, day: Day, kind: str) -> None:
        """One of the latest tasks gets an answer that is not DataForSEO's."""
        latest = self.emulator.task_ids()[-2 * len(PROMPTS) * len(MODELS) :]
        if latest:
            task_id = self.rng.choice(latest)
            if kind in self.left_out:
                return
            self.emulator.set_answer(task_id, poison(kind, task_id))
            self.count(day, kind)

    def drain(self) -> int:
        """After the last day: every task done, two clean runs; the runs' failures."""
        self.skew = timedelta(0)
        self.emulator.id_list_enabled = True
        self.emulator.clear_faults()
        self.at(self.emulator.now() + timedelta(hours=72))
        failures = 0
        for hour in (1, 2):
            self.at(self.emulator.now() + timedelta(hours=hour))
            with (self.logs / f"tap-drain-{hour}.log").open("w") as log:
                outcome, committed = runs.collect(
                    self.config,
                    self.state,
                    self.warehouse,
                    self.folder / "run",
                    log,
                    machine_time=self.machine_time(),
                )
            self.runs += 1
            failures += outcome.returncode != 0
            self.committed(committed, completed=outcome.returncode == 0)
        return failures

    def committed(self, states: list[dict[str, t.Any]], *, completed: bool) -> None:
        """Keep the last state a run's target committed; check and measure each.

        Sizes are of the state's JSON, as a state file holds it:
        ``largest_state`` of the state a completed run ends with (and how many
        tasks it holds pending), ``largest_unpending`` of such a state less
        :data:`PENDING_BYTES` a pending task, ``largest_checkpoint`` of any state
        committed, mid-run ones too.
        """
        for state in states:
            text = json.dumps(state)
            if len(text) > self.largest_checkpoint:
                self.largest_checkpoint = len(text)
                (self.folder / "largest-checkpoint.json").write_text(text)
            self._check_watermark(state)
        if states:
            self.state = states[-1]
            self.states.append(states[-1])
            if completed:
                size = len(json.dumps(self.state))
                pending = len(pending_of(self.state))
                self.largest_state = max(self.largest_state, (size, pending))
                unpending = size - PENDING_BYTES * pending
                self.largest_unpending = max(self.largest_unpending, unpending)

    def _check_watermark(self, state: dict[str, t.Any]) -> None:
        """Note a committed ledger watermark past a task still running.

        A crash right after that commit would leave the next runs reading
        ``id_list`` from after that task: once another client takes it off
        ``tasks_ready``, it is lost.
        """
        ledger = state.get("bookmarks", {}).get("llm_responses", {}).get("ledger")
        if not ledger:
            return
        posted_from = datetime.fromisoformat(ledger["posted_from"])
        passed = [
            task_id
            for task_id, posted in self.emulator.running().items()
            if posted < posted_from
        ]
        if passed:
            self.watermarks_past_running.append((ledger["posted_from"], passed))


def pending_of(state: dict[str, t.Any] | None) -> list[str]:
    """The task ids a state holds pending."""
    bookmarks = (state or {}).get("bookmarks", {})
    return bookmarks.get("llm_responses", {}).get("pending", [])


def wall(started: float) -> float:
    """Seconds since ``started`` (monotonic)."""
    return time.monotonic() - started
