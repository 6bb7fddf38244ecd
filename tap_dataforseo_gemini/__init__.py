"""Singer tap for DataForSEO's AI Optimization LLM responses."""
