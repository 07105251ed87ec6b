"""Running Twofold in production: serving, workers, health probes, request ids and structured logs."""
