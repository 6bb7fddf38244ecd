"""``python -m tap_dataforseo_gemini.prompts`` runs ``dataforseo-prompts``."""

from tap_dataforseo_gemini.prompts.cli import main

main()
