"""How a DataForSEO request is made: the endpoint table and the client that sends by it.

``endpoints`` names every endpoint the tap and ``dataforseo-prompts`` call, with
its method, path, rate window and error policy; ``client`` sends a request by
endpoint name with the run's pacing, retries, deadline, size cap and clock.
"""
