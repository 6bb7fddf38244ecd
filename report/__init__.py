"""``make report``: the GEO marts as a static, self-contained HTML page."""
