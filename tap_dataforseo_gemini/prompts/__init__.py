"""``dataforseo-prompts``: post a prompt set under a hard budget, never twice a period.

Modules: ``prompt_set`` reads and checks the prompts file, ``plan`` turns it into
tagged tasks and prices them, ``journal`` remembers what was posted, ``client``
asks ``task_post``, ``id_list`` and ``models`` through the API client, ``post``
runs one posting, ``cli`` is the command line.
"""
