"""A local emulator of DataForSEO's AI Optimization "LLM responses" API for tests.

    with Emulator(seed=0, latency=0.01) as emu:
        ids = emu.add_tasks(100)            # done tasks, listed in tasks_ready
        emu.inject(Fault.HTTP_500, times=2, path_contains="/task_get/")
        ...                                 # point the tap at emu.url

Run it alone with `python -m fake_dataforseo --port 8765 --tasks 100`.
"""

from .faults import Fault
from .server import Emulator, RequestRecord

__all__ = ["Emulator", "Fault", "RequestRecord"]
