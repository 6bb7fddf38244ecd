"""The soak's machine clock, and its tap's checkpoints, set before a child starts.

On ``PYTHONPATH``, Python imports this module at start-up, before the command's
own code. With ``SOAK_MACHINE_TIME`` (epoch seconds) set, the process's wall
clock (``time.time``, ``datetime.now``...) starts at that moment and ticks on,
as a machine whose clock says so would; monotonic clocks are left alone. With
``SOAK_CHECKPOINT_EVERY`` set, the tap writes its STATE after that many
``llm_responses`` records instead of 100: the soak's runs collect tens of tasks,
not thousands, and mid-run checkpoints are what a crash leaves behind.
"""

import os

_START = os.environ.get("SOAK_MACHINE_TIME")
if _START:
    import time_machine

    time_machine.travel(float(_START), tick=True).start()

_CHECKPOINT_EVERY = os.environ.get("SOAK_CHECKPOINT_EVERY")
if _CHECKPOINT_EVERY:
    from tap_dataforseo_gemini.streams import LlmResponsesStream

    LlmResponsesStream.STATE_MSG_FREQUENCY = int(_CHECKPOINT_EVERY)
