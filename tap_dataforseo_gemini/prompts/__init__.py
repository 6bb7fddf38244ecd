"""``dataforseo-prompts``: post a prompt set under a hard budget, never twice a period.

Modules: ``prompt_set`` reads and checks the prompts file, ``plan`` turns it into
tagged tasks and prices them, ``journal`` remembers what was posted, ``poster``
talks to ``task_post`` and ``id_list``, ``cli`` is the command line.
"""
