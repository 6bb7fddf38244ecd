"""The vendor's documented example payloads (docs.dataforseo.com)."""

from __future__ import annotations

import copy
import typing as t

#: tasks_ready: the seed page's example answer.
TASKS_READY = {
    "version": "0.1.20250526",
    "status_code": 20000,
    "status_message": "Ok.",
    "time": "0.1220 sec.",
    "cost": 0,
    "tasks_count": 1,
    "tasks_error": 0,
    "tasks": [
        {
            "id": "07151611-0696-0614-0000-2f58b489a3a1",
            "status_code": 20000,
            "status_message": "Ok.",
            "time": "0.0629 sec.",
            "cost": 0,
            "result_count": 2,
            "path": ["v3", "ai_optimization", "gemini", "llm_responses", "tasks_ready"],
            "data": {
                "api": "ai_optimization",
                "function": "llm_responses",
                "se": "gemini",
            },
            "result": [
                {
                    "id": "07141025-0696-0613-1000-29a9acb77e9c",
                    "se": "gemini",
                    "function": "llm_responses",
                    "date_posted": "2025-07-14 07:25:54 +00:00",
                    "tag": "",
                    "endpoint": "/v3/ai_optimization/gemini/llm_responses/task_get/"
                    "07141025-0696-0613-1000-29a9acb77e9c",
                },
                {
                    "id": "07141400-0696-0613-0000-ece0beb3cbad",
                    "se": "gemini",
                    "function": "llm_responses",
                    "date_posted": "2025-07-14 11:00:14 +00:00",
                    "tag": "",
                    "endpoint": "/v3/ai_optimization/gemini/llm_responses/task_get/"
                    "07141400-0696-0613-0000-ece0beb3cbad",
                },
            ],
        }
    ],
}

#: task_get: the documented example request (the docs' live example parameters)
#: with a result carrying every documented field.
TASK_GET_TASK: dict[str, t.Any] = {
    "id": "07141025-0696-0613-1000-29a9acb77e9c",
    "status_code": 20000,
    "status_message": "Ok.",
    "time": "0.0418 sec.",
    "cost": 0,
    "result_count": 1,
    "path": [
        "v3",
        "ai_optimization",
        "gemini",
        "llm_responses",
        "task_get",
        "07141025-0696-0613-1000-29a9acb77e9c",
    ],
    "data": {
        "api": "ai_optimization",
        "function": "llm_responses",
        "se": "gemini",
        "system_message": "communicate as if we are in a business meeting",
        "message_chain": [
            {"role": "user", "message": "Hello, what's up?"},
            {
                "role": "ai",
                "message": "Hello! I'm doing well, thank you. How can I assist you?",
            },
        ],
        "max_output_tokens": 200,
        "temperature": 0.3,
        "top_p": 0.5,
        "model_name": "gemini-2.5-flash",
        "web_search": True,
        "user_prompt": "provide information on how relevant the amusement park "
        "business is in France now",
    },
    "result": [
        {
            "model_name": "gemini-2.5-flash",
            "input_tokens": 38,
            "output_tokens": 196,
            "reasoning_tokens": 0,
            "web_search": True,
            "money_spent": 0.000501,
            "datetime": "2025-07-14 07:26:11 +00:00",
            "items": [
                {
                    "type": "message",
                    "sections": [
                        {
                            "type": "text",
                            "text": "The amusement park business in France remains "
                            "highly relevant, led by Disneyland Paris.",
                            "annotations": [
                                {
                                    "title": "statista.com",
                                    "url": "https://vertexaisearch.cloud.google.com/"
                                    "grounding-api-redirect/AbF9wXE",
                                    "direct_url": "https://www.statista.com/topics/"
                                    "amusement-parks-france/",
                                    "start_index": 0,
                                    "end_index": 61,
                                    "text": "The amusement park business in France "
                                    "remains highly relevant",
                                },
                                {
                                    "title": "Wikipedia",
                                    "url": "https://vertexaisearch.cloud.google.com/"
                                    "grounding-api-redirect/QzT81k",
                                    "direct_url": None,
                                    "start_index": 63,
                                    "end_index": 91,
                                    "text": "led by Disneyland Paris",
                                },
                            ],
                        },
                        {
                            "type": "text",
                            "text": "Attendance grew in 2024.",
                            "annotations": [],
                        },
                    ],
                }
            ],
            "fan_out_queries": [
                "amusement park industry France 2025",
                "Disneyland Paris attendance",
            ],
        }
    ],
}


def task_get_task(**changes: t.Any) -> dict[str, t.Any]:
    """A deep copy of the example task, with top-level changes."""
    task = copy.deepcopy(TASK_GET_TASK)
    task.update(changes)
    return task
