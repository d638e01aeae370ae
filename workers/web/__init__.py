"""The web side of newswatch (``newswatch serve``): a server-rendered dashboard, the JSON API under
``/api/v1``, ``/metrics`` for Prometheus and ``/healthz``; see ``workers.web.server``."""
