"""Pure stages of newswatch: no Redis, no dramatiq, no network, no settings."""
