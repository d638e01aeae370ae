"""One error tree for the whole pipeline.

::

    PipelineError                 anything newswatch raises on purpose
    ├── ConfigError               a configuration file or setting is wrong (names file, key, problem)
    ├── TransientError            may succeed later: retried by the workers with backoff
    │   ├── FetchTimeout
    │   └── UpstreamError         5xx, 429, connection reset ... (carries retry_after_s)
    ├── PermanentError            will fail the same way again: recorded, never retried
    │   ├── FetchRefused          4xx, a blocked address or scheme, a body over the size cap
    │   ├── ParseError            a feed or page we cannot read
    │   └── BadInput              a replay line or a stored blob that is not what it claims
    │       └── UnreadableDate    a date in no form we read, or implausible: a warning on the record
    └── Rejected                  an expected outcome, not a failure: the article is set aside
        ├── Duplicate             already stored under another URL or the same one
        ├── OffTopic              the prefilter judged it off the subject
        └── Unusable              no article text, too large, extraction took too long

The workers map this tree onto dramatiq: ``TransientError`` is retried, the
others are in ``throws=`` and end up on the article's or the feed's status.
Every error carries a short machine-readable ``code`` for that status.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error newswatch raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(PipelineError):
    """A configuration file or setting is wrong; the message names the file, the key and the problem."""

    code = "config"

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.key = key


class TransientError(PipelineError):
    """May succeed if tried again later."""

    code = "transient"

    def __init__(self, message: str, *, code: str | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class FetchTimeout(TransientError):
    code = "timeout"


class UpstreamError(TransientError):
    code = "upstream"


class PermanentError(PipelineError):
    """Will fail the same way again; recorded and not retried."""

    code = "permanent"


class FetchRefused(PermanentError):
    code = "refused"


class ParseError(PermanentError):
    code = "parse"


class BadInput(PermanentError):
    code = "bad_input"


class UnreadableDate(BadInput):
    """An optional date that cannot be read; its caller keeps the article and records a warning."""

    code = "bad_date"


class Rejected(PipelineError):
    """An expected outcome: the item is set aside with a reason, nothing went wrong."""

    code = "rejected"


class Duplicate(Rejected):
    code = "duplicate"


class OffTopic(Rejected):
    code = "off_topic"


class Unusable(Rejected):
    code = "unusable"
