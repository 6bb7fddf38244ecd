"""The soak's machine clock: a child process started with ``SOAK_MACHINE_TIME``.

On ``PYTHONPATH``, Python imports this module at start-up, before the command's
own code. With ``SOAK_MACHINE_TIME`` (epoch seconds) set, the process's wall
clock (``time.time``, ``datetime.now``...) starts at that moment and ticks on,
as a machine whose clock says so would; monotonic clocks are left alone.
"""

import os

_START = os.environ.get("SOAK_MACHINE_TIME")
if _START:
    import time_machine

    time_machine.travel(float(_START), tick=True).start()
