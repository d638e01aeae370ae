"""The impure shell of newswatch: Redis, dramatiq actors, HTTP, the command line."""
