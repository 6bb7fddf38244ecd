"""``python -m tap_dataforseo_gemini`` runs the tap's command line."""

from tap_dataforseo_gemini.tap import main

main()
